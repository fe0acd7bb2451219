"""Each public model against a seeded world: what `encode` builds is exactly the model (every
field, no other, each of its type), the model writes the same JSON itself, and reading the
body back gives the domain object again."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from cstui import errors as E
from cstui import wire as W
from cstui.demo.knowledge import load_knowledge
from cstui.domain import metrics
from cstui.domain.automations import Notification, Urgency
from cstui.domain.channels import Attachment, Delivery, Inbound, IngestOutcome, NewAttachment
from cstui.domain.model import Channel, MessageKind, Role, Ticket, TransferRequest
from cstui.remote.http_store import HttpStore
from cstui.seed import DEFAULT_NOW, seed_store
from cstui.store import init_store
from cstui.store.base import TransferOutcome
from cstui.store.sql import SqlStore

# The models whose body carries the whole domain object: it reads back equal.
WHOLE = {
    W.AgentPublic,
    W.ArticlePublic,
    W.EventPublic,
    W.GreenTicketPublic,
    W.MessagePublic,
    W.OrderPublic,
    W.QueueDepthPublic,
    W.TicketMatchPublic,
    W.TransferPublic,
    W.ViewingPublic,
    W.WaitingEscalationPublic,
    W.AgentLoadPublic,
    W.AttachmentPublic,
    W.IngestPublic,
    W.NotificationPublic,
}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqlStore]:
    store = init_store(str(tmp_path_factory.mktemp("wire") / "world.db"), clock=lambda: DEFAULT_NOW)
    seed_store(store, tickets=300, seed=3, workers=1)
    load_knowledge(store, None, seed=3)
    yield store
    store.close()


@pytest.fixture(scope="module")
def decided(world: SqlStore) -> list[TransferRequest]:
    """What the seed leaves out: a merged duplicate, transfers waiting and decided (those),
    someone viewing a ticket."""
    store, decisions = world, []
    team = store.list_agents()
    boss = next(a.name for a in team if a.role is Role.SUPERVISOR)
    agents = [a.name for a in team if a.role is Role.AGENT]
    tickets = [store.get_ticket(i, with_messages=False) for i in range(1, 301)]
    duplicate, survivor = next(
        (t, other)
        for t in tickets
        if t.is_active and not t.open_escalations
        for other in store.customer_tickets(t.customer.id)
        if other.id != t.id and other.is_active
    )
    store.merge_tickets(duplicate.id, into=survivor.id, actor=boss)
    owned = [t for t in tickets if t.is_active and t.owner in agents and t.id != duplicate.id]
    for ticket, approve in zip(owned, (None, True, False), strict=False):
        to = next(a for a in agents if a != ticket.owner)
        asked = store.transfer(ticket.id, actor=str(ticket.owner), to=to, reason="换班")
        if approve is not None and asked.request is not None:
            decisions.append(store.decide_transfer(asked.request.id, actor=boss, approve=approve))
    store.set_presence(actor=agents[0], ticket_id=1)
    return decisions


@dataclass
class ChannelSamples:
    attachments: list[Attachment]
    deliveries: list[Delivery]
    outcomes: list[IngestOutcome]


@pytest.fixture(scope="module")
def channel_things(world: SqlStore) -> ChannelSamples:
    """A chat conversation with a photo, a reply with a file (queued), one sent, one
    failed, and the same message twice."""
    store = world
    chat = Inbound(
        channel=Channel.CHAT,
        external_id="wire-m1",
        sender_address="wire-u1",
        sender_name="赵六",
        subject="破损",
        text="外箱破了",
        full_text="外箱破了",
        received_at=DEFAULT_NOW,
        conversation_id="wire-c1",
        attachments=(NewAttachment("破损.png", "image/png", b"\x89PNG\r\n\x1a\n" + b"1" * 9),),
    )
    outcomes = [store.ingest(chat), store.ingest(chat)]
    tid = outcomes[0].ticket_id
    assert tid is not None
    owner = next(a.name for a in store.list_agents() if a.role is Role.AGENT)
    store.take(tid, actor=owner)
    for text in ("已登记", "退款已提交", "请查收"):
        files = (
            [NewAttachment("单据.pdf", "application/pdf", b"%PDF-1.4")] if text == "请查收" else []
        )
        store.add_message(tid, actor=owner, kind=MessageKind.REPLY, text=text, attachments=files)
    sent, failed, *_ = store.claim_deliveries(
        channels={Channel.CHAT}, limit=2, lease=timedelta(minutes=1)
    )
    store.delivery_sent(sent.id)
    store.delivery_failed(failed.id, error="webhook: 410 Gone", retry_at=None)
    return ChannelSamples(store.attachments(tid), store.deliveries(ticket_id=tid), outcomes)


@pytest.fixture(scope="module")
def tickets(world: SqlStore, decided: list[TransferRequest]) -> list[Ticket]:
    return [world.get_ticket(i) for i in range(1, 301)]


@pytest.fixture(scope="module")
def samples(
    world: SqlStore,
    tickets: list[Ticket],
    decided: list[TransferRequest],
    channel_things: ChannelSamples,
) -> dict[type[W.Public[Any]], list[Any]]:
    """Every kind of body, from everything the world has of it."""
    hits = [h for q in ("退款", "status:open tier:vip", "SO") for h in world.search_tickets(
        q, actor=None, limit=100).items]  # fmt: skip
    customers = [world.get_customer(c) for c in sorted({t.customer.id for t in tickets})]
    kb_hits = [h for q in ("退款", "refund", "发票") for h in world.search_articles(q, limit=30)]
    kb_hits += world.search_articles_unranked("退款", limit=30)
    suggested = [world.suggest(t.id, limit=5) for t in tickets[:40]]
    suggested += [world.suggest(text="快递到哪了？？SO20261102004512 发票也要", limit=10)]
    articles = [world.get_article(h.article_id) for h in kb_hits]
    transfers = world.pending_transfers() + decided
    events = list(world.events())
    return {
        W.TicketPublic: tickets,
        W.TicketHitPublic: hits,
        W.TicketMatchPublic: [h.match for h in hits if h.match],
        W.CustomerSummary: customers,
        W.CustomerPublic: customers,
        W.CustomerRevealed: customers,
        W.OrderPublic: [o for c in customers for o in world.customer_orders(c.id)],
        W.DuePublic: [t.due for t in tickets],
        W.EscalationPublic: [e for t in tickets for e in t.escalations],
        W.MessagePublic: [m for t in tickets for m in t.messages],
        W.TransferPublic: transfers,
        W.TransferOutcomePublic: [TransferOutcome(tickets[0], r) for r in transfers[:5]]
        + [TransferOutcome(tickets[1], None)],
        W.AgentPublic: world.list_agents(),
        W.ArticlePublic: articles,
        W.ArticleHitPublic: kb_hits,
        W.SuggestionsPublic: suggested,
        W.EventPublic: events,
        W.MetricsPublic: [metrics.compute(events), metrics.compute([])],
        W.QueueDepthPublic: [world.queue_depth()],
        W.GreenTicketPublic: world.green_board(limit=500),
        W.WaitingEscalationPublic: world.waiting_escalations(limit=1000),
        W.AgentLoadPublic: world.agent_loads(),
        W.ViewingPublic: list(world.viewers().items()),
        W.AttachmentPublic: channel_things.attachments,
        W.DeliveryPublic: channel_things.deliveries,
        W.IngestPublic: channel_things.outcomes,
        W.NotificationPublic: [
            Notification(
                1,
                7,
                "green_warning",
                Urgency.URGENT,
                "automation.green_warning",
                {"ticket": "7"},
                DEFAULT_NOW,
            ),
            Notification(
                2,
                None,
                "low_csat",
                Urgency.WARNING,
                "automation.low_csat",
                {},
                DEFAULT_NOW,
                read_at=DEFAULT_NOW,
            ),
        ],
    }


def public_models() -> list[type[W.Public[Any]]]:
    """Every model in `cstui.wire` that is built from a domain object."""
    found = [getattr(W, name) for name in W.__all__]
    return [
        m for m in found if isinstance(m, type) and issubclass(m, W.Public) and m is not W.Public
    ]


def test_every_public_model_is_sampled(samples: dict[type[W.Public[Any]], list[Any]]) -> None:
    assert set(public_models()) == set(samples)
    assert all(samples.values()), [m.__name__ for m, objs in samples.items() if not objs]


@pytest.mark.parametrize("model", public_models(), ids=lambda m: m.__name__)
def test_a_body_is_exactly_its_model_and_reads_back(
    model: type[W.Public[Any]], samples: dict[type[W.Public[Any]], list[Any]]
) -> None:
    for obj in samples[model]:
        body = model.encode(obj)
        checked = model.from_domain(obj)  # every field, no other, each of its type
        assert checked.model_dump(mode="json", exclude_unset=True) == body
        back = checked.to_domain()
        assert model.encode(back) == body
        if model in WHOLE:
            assert back == obj


def test_a_ticket_with_its_thread(tickets: list[Ticket]) -> None:
    threads = [t for t in tickets if t.messages]
    assert threads
    for t in threads:
        body = W.TicketPublic.encode(t, messages=True)
        checked = W.TicketPublic.model_validate(body)
        assert checked.model_dump(mode="json") == body
        back = checked.to_domain()
        assert back.messages == t.messages
        assert W.TicketPublic.encode(back, messages=True) == body


def test_the_samples_reach_every_branch_of_a_ticket(tickets: list[Ticket]) -> None:
    """Each field that may be empty is seen both empty and set: each way of writing it ran."""
    optional = ["order", "complaint_cause", "follow_up_due", "resolution_code", "resolved_at"]
    optional += ["merged_into", "owner", "escalations", "links"]
    for name in optional:
        values = [getattr(t, name) for t in tickets]
        assert any(v in (None, ()) for v in values) and any(v not in (None, ()) for v in values), (
            name
        )


def test_a_field_the_model_does_not_name_or_a_missing_one_is_refused(
    tickets: list[Ticket],
) -> None:
    body = W.TicketPublic.encode(tickets[0])
    with pytest.raises(ValidationError, match="surprise"):
        W.TicketPublic.model_validate({**body, "surprise": 1})
    with pytest.raises(ValidationError, match="merged_into"):
        W.TicketPublic.model_validate({k: v for k, v in body.items() if k != "merged_into"})
    customer = {**body["customer"], "phone": "13800001234"}
    with pytest.raises(ValidationError, match="phone"):
        W.TicketPublic.model_validate({**body, "customer": customer})


def test_the_http_store_reads_past_new_fields_and_names_what_it_cannot_read(
    tickets: list[Ticket],
) -> None:
    """A newer server may add fields (ignored); an answer without the fields this client
    needs, or not JSON at all, is `Unavailable` in one line, not a traceback."""
    store = HttpStore("http://127.0.0.1:9", "token")  # never connects: nothing is sent
    body = W.TicketPublic.encode(tickets[0])
    newer = {**body, "sentiment": "calm", "customer": {**body["customer"], "vip_since": None}}
    read = store._body(W.TicketPublic, json.dumps(newer)).to_domain()
    assert W.TicketPublic.encode(read) == body
    for unreadable, named in ((json.dumps({**body, "status": "lost"}), "status"), ("<html>", "")):
        with pytest.raises(E.Unavailable) as refused:
            store._body(W.TicketPublic, unreadable)
        message = str(refused.value)
        assert "cannot read" in message and named in message and "\n" not in message
    store.close()

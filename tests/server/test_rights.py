"""The rights matrix, generated from the route table: every route × every kind of caller.

Every route of the app is in `ROUTES` (and every entry there is a real route) and has one
valid sample request in `SAMPLES`. Each sample goes to a real server on loopback as: no
token, a bad token, the agent who owns the ticket (or wrote the article), another agent, a
supervisor and an admin. Without a valid token: 401 (public routes excepted). A caller the
table refuses gets that refusal's status (403; 409 where someone else works the ticket); a
caller it allows gets anything but 401 or 403. Each case gets objects of its own, owned by
the owner, so what one allowed call changes never decides another case.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.routing import iter_route_contexts

from cstui.domain import rights
from cstui.domain.channels import NewAttachment
from cstui.domain.model import (
    ArticleKind,
    Category,
    Channel,
    Department,
    EventKind,
    GoodsType,
    MessageKind,
    ResolutionCode,
    Role,
)
from cstui.domain.rights import ROUTES, Route, Who
from cstui.domain.survey import make_token
from cstui.errors import CstuiError
from cstui.server.app import create_app
from cstui.store.base import NewCustomer, NewOrder, NewTicket
from cstui.store.sql import SqlStore
from tests.conftest import pg_database
from tests.server.conftest import SURVEY_SECRET, Served, channel_options, serve_store, signed

OWNER, OTHER = "alice", "bob"
CALLERS: dict[str, tuple[str, Role] | None] = {
    "no token": None,
    "bad token": None,
    "owner": (OWNER, Role.AGENT),
    "another agent": (OTHER, Role.AGENT),
    "supervisor": ("sue", Role.SUPERVISOR),
    "admin": ("ops", Role.ADMIN),
}


@dataclass
class World:
    """Makes what a sample needs, fresh each time: tickets alice owns, articles she wrote."""

    store: SqlStore
    numbers: Iterator[int] = field(default_factory=itertools.count)

    def customer(self) -> int:
        return self.store.add_customer(NewCustomer("张三", phone="13800001234")).id

    def ticket(
        self,
        *,
        customer: int | None = None,
        goods: GoodsType = GoodsType.GENERAL,
        owned: bool = True,
    ) -> int:
        customer = customer or self.customer()
        number = f"SO-R{next(self.numbers):06d}"
        self.store.add_order(NewOrder(number, customer, 99.0, goods))
        new = NewTicket(
            customer, "退款没到账", "钱还没到", Channel.CHAT, Category.REFUND, order_number=number
        )
        tid = self.store.create_ticket(new).id
        if owned and self.store.ticket_owner(tid) is None:
            self.store.take(tid, actor=OWNER)
        return tid

    def customer_of(self, ticket_id: int) -> int:
        return self.store.get_ticket(ticket_id, with_messages=False).customer.id

    def follow_up_due(self) -> int:
        tid = self.ticket()
        due = self.store.get_ticket(tid).created_at
        self.store.schedule_follow_up(tid, actor=OWNER, due=due)
        return tid

    def escalation(self) -> int:
        tid = self.ticket()
        return self.store.escalate(tid, actor=OWNER, department=Department.QC, reason="验货").id

    def transfer_request(self) -> int:
        outcome = self.store.transfer(self.ticket(), actor=OWNER, to="carol", reason="换班")
        assert outcome.request is not None
        return outcome.request.id

    def article(self) -> int:
        return self.store.add_article(title="退款多久到账", body="三到五个工作日。", actor=OWNER).id

    def draft(self) -> int:
        return self.store.capture_article(self.ticket(), actor=OWNER).id

    def name(self) -> str:
        return f"new{next(self.numbers)}"

    def attachment(self) -> int:
        """A file on an internal note of a fresh ticket of the owner's."""
        tid = self.ticket()
        photo = NewAttachment("破损.png", "image/png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
        self.store.add_message(
            tid, actor=OWNER, kind=MessageKind.NOTE, text="照片", attachments=[photo]
        )
        return self.store.attachments(tid)[0].id

    def survey_link(self) -> str:
        """The survey token of a fresh resolved ticket."""
        tid = self.ticket()
        self.store.resolve(tid, actor=OWNER, code=ResolutionCode.SOLVED)
        expires = datetime.now(UTC) + timedelta(days=1)
        return make_token(tid, secret=SURVEY_SECRET, expires=expires)

    def intake(self) -> Call:
        """A signed chat message from a new customer."""
        tag = self.name()
        body, headers = signed(
            {"message_id": tag, "conversation_id": tag, "sender_id": tag, "text": "在吗"}
        )
        return Call({"channel": "chat"}, content=body, headers=headers)


@dataclass(frozen=True)
class Call:
    """One request: path parameters, query, JSON body (or raw bytes), headers."""

    path: dict[str, Any] = field(default_factory=dict)
    query: dict[str, Any] | None = None
    json: Any = None
    headers: dict[str, str] | None = None
    content: bytes | None = None


def on_ticket(json: Any = None, **kwargs: Any) -> Callable[[World], Call]:
    """A call on a fresh ticket of the owner's (`kwargs` for `World.ticket`)."""
    return lambda w: Call({"ticket_id": w.ticket(**kwargs)}, json=json)


FORM = {"Content-Type": "application/x-www-form-urlencoded"}
TEMPLATE = "rights-hello"
DUE = "2026-12-01T10:00:00+08:00"
WINDOW = {"since": "2026-01-01", "until": "2027-01-01"}

# One valid request per route, keyed like the table: a new route without one fails here.
SAMPLES: dict[Route, Callable[[World], Call]] = {
    ("GET", "/healthz"): lambda w: Call(),
    ("GET", "/readyz"): lambda w: Call(),
    ("GET", "/openapi.json"): lambda w: Call(),
    ("GET", "/docs"): lambda w: Call(),
    ("GET", "/docs/oauth2-redirect"): lambda w: Call(),
    ("GET", "/redoc"): lambda w: Call(),
    ("GET", "/csat/{token}"): lambda w: Call({"token": w.survey_link()}),
    ("POST", "/csat/{token}"): lambda w: Call(
        {"token": w.survey_link()}, content=b"score=5", headers=FORM
    ),
    ("POST", "/intake/{channel}"): lambda w: w.intake(),
    ("GET", "/tickets/{ticket_id}/attachments"): on_ticket(),
    ("GET", "/tickets/{ticket_id}/deliveries"): on_ticket(),
    ("GET", "/deliveries"): lambda w: Call(query={"state": "failed", "limit": 5}),
    ("GET", "/attachments/{attachment_id}"): lambda w: Call({"attachment_id": w.attachment()}),
    ("GET", "/tickets"): lambda w: Call(query={"view": "all-open", "limit": 5}),
    ("GET", "/tickets/count"): lambda w: Call(),
    ("GET", "/tickets/search"): lambda w: Call(query={"q": "退款", "limit": 5}),
    ("GET", "/tickets/{ticket_id}"): on_ticket(),
    ("GET", "/tickets/{ticket_id}/messages"): on_ticket(),
    ("POST", "/tickets"): lambda w: Call(
        json={
            "customer_id": w.customer(),
            "subject": "包裹没到",
            "body": "三天了",
            "channel": "chat",
            "category": "logistics",
        }
    ),
    ("PATCH", "/tickets/{ticket_id}"): lambda w: Call(
        {"ticket_id": w.ticket()}, json={"priority": "high"}, headers={"If-Match": "*"}
    ),
    ("POST", "/tickets/{ticket_id}/take"): on_ticket(owned=False),
    ("POST", "/tickets/{ticket_id}/messages"): on_ticket({"kind": "note", "text": "看一下物流"}),
    ("POST", "/tickets/{ticket_id}/customer-messages"): on_ticket({"text": "还没到账"}),
    ("POST", "/tickets/{ticket_id}/escalations"): on_ticket(
        {"department": "finance", "reason": "退款核实"}
    ),
    ("POST", "/escalations/{escalation_id}/state"): lambda w: Call(
        {"escalation_id": w.escalation()}, json={"state": "acknowledged"}
    ),
    ("POST", "/tickets/{ticket_id}/transfer"): on_ticket({"to": "carol", "reason": "换班"}),
    ("GET", "/transfers"): lambda w: Call(),
    ("POST", "/transfers/{request_id}/decision"): lambda w: Call(
        {"request_id": w.transfer_request()}, json={"approve": True}
    ),
    ("POST", "/tickets/{ticket_id}/steal"): on_ticket({"reason": "客户要求主管处理"}),
    ("POST", "/tickets/{ticket_id}/merge"): lambda w: merge_call(w),
    ("POST", "/tickets/{ticket_id}/links"): lambda w: Call(
        {"ticket_id": w.ticket()}, json={"other": w.ticket()}
    ),
    ("POST", "/tickets/{ticket_id}/resolve"): on_ticket({"code": "solved"}),
    ("POST", "/tickets/{ticket_id}/green"): on_ticket({"reason": "生鲜"}, goods=GoodsType.FRESH),
    ("POST", "/tickets/{ticket_id}/complaint"): on_ticket({"cause": "attitude"}),
    ("POST", "/tickets/{ticket_id}/category"): on_ticket({"category": "invoice"}),
    ("POST", "/tickets/{ticket_id}/csat"): on_ticket({"score": 5}),
    ("POST", "/tickets/{ticket_id}/follow-up"): on_ticket({"due": DUE}),
    ("POST", "/tickets/{ticket_id}/follow-up/done"): lambda w: Call(
        {"ticket_id": w.follow_up_due()}, json={"note": "已回访"}
    ),
    ("GET", "/me"): lambda w: Call(),
    ("GET", "/agents"): lambda w: Call(),
    ("GET", "/agents/{name}"): lambda w: Call({"name": "carol"}),
    ("POST", "/agents"): lambda w: Call(json={"name": w.name(), "role": "agent"}),
    # carol never calls in this module: a new token of hers revokes nothing used here
    ("POST", "/agents/{name}/token"): lambda w: Call({"name": "carol"}),
    ("POST", "/agents/{name}/routing"): lambda w: Call({"name": "carol"}, json={"paused": False}),
    ("POST", "/customers"): lambda w: Call(json={"name": "李四"}),
    ("POST", "/customers/retier"): lambda w: Call(),
    ("GET", "/customers/{customer_id}"): lambda w: Call({"customer_id": w.customer()}),
    ("POST", "/customers/{customer_id}/reveal"): lambda w: reveal_call(w),
    ("GET", "/customers/{customer_id}/orders"): lambda w: Call({"customer_id": w.customer()}),
    ("GET", "/customers/{customer_id}/tickets"): lambda w: Call({"customer_id": w.customer()}),
    ("POST", "/orders"): lambda w: Call(
        json={"number": w.name(), "customer_id": w.customer(), "amount": 10.0}
    ),
    ("PUT", "/presence"): lambda w: Call(json={"ticket_id": None}),
    ("GET", "/presence"): lambda w: Call(),
    ("GET", "/kb/search"): lambda w: Call(query={"q": "退款"}),
    ("POST", "/kb/articles"): lambda w: Call(json={"title": "发票", "body": "电子发票。"}),
    ("GET", "/kb/articles/{article_id}"): lambda w: Call({"article_id": w.article()}),
    ("PATCH", "/kb/articles/{article_id}"): lambda w: Call(
        {"article_id": w.article()}, json={"title": "退款到账时间"}
    ),
    ("POST", "/kb/articles/{article_id}/publish"): lambda w: Call({"article_id": w.draft()}),
    ("POST", "/kb/capture/{ticket_id}"): on_ticket(),
    ("GET", "/kb/templates/{name}"): lambda w: Call({"name": TEMPLATE}),
    ("GET", "/tickets/{ticket_id}/suggestions"): on_ticket(),
    ("GET", "/suggestions"): lambda w: Call(query={"text": "快递到哪了"}),
    ("GET", "/events"): lambda w: Call(),
    ("GET", "/events/log"): lambda w: Call(query={"limit": 5}),
    ("GET", "/events/window"): lambda w: Call(query=WINDOW),
    ("GET", "/metrics"): lambda w: Call(query=WINDOW),
    ("GET", "/export"): lambda w: Call(),
    ("GET", "/floor/queues"): lambda w: Call(),
    ("GET", "/floor/green"): lambda w: Call(),
    ("GET", "/floor/escalations"): lambda w: Call(),
    ("GET", "/floor/agents"): lambda w: Call(),
    ("GET", "/floor/automations"): lambda w: Call(query={"since": "2026-11-20T00:00:00+08:00"}),
    ("GET", "/notifications"): lambda w: Call(query={"unread": "true"}),
    ("POST", "/notifications/read"): lambda w: Call(json={"ids": [1, 2]}),
}


def merge_call(w: World) -> Call:
    """A duplicate into another ticket of the same customer (both the owner's)."""
    survivor = w.ticket()
    duplicate = w.ticket(customer=w.customer_of(survivor))
    return Call({"ticket_id": duplicate}, json={"into": survivor})


def reveal_call(w: World) -> Call:
    """The customer of the owner's ticket, naming that ticket as the reason."""
    tid = w.ticket()
    return Call({"customer_id": w.customer_of(tid)}, query={"ticket_id": tid})


def refusal(key: Route, call: Call, caller: tuple[str, Role]) -> CstuiError | None:
    """What the table says to this caller: None (allowed), or the error it refuses with."""
    right = ROUTES[key]
    name, role = caller
    try:
        if right.who is Who.CUSTOMER_OWNER_OR_SUPERVISOR:
            assert call.query is not None
            customer, tid = call.path["customer_id"], call.query["ticket_id"]
            named = rights.NamedTicket(tid, customer, OWNER)
            rights.check_reveal(
                actor=name, role=role, customer_id=customer, ticket=named, owns_a_ticket=True
            )
        else:
            rights.check(right, actor=name, role=role, owner=OWNER)
    except CstuiError as exc:
        return exc
    return None


# -- the app's routes and the table --------------------------------------------------------


def app_routes() -> dict[Route, str]:
    """Every (method, declared path) of the real app → the path it is served at."""
    app = create_app(None)  # type: ignore[arg-type]  # routes only: no request is served
    found = {}
    for context in iter_route_contexts(app.routes):
        for method in (context.methods or set()) - {"HEAD"}:
            declared = getattr(context.original_route, "path", None)
            found[(method, str(declared))] = str(context.path)
    return found


ROUTE_PATHS = app_routes()


def test_every_route_is_in_the_table_and_every_entry_is_a_route() -> None:
    assert sorted(set(ROUTE_PATHS) - set(ROUTES)) == [], "routes without a right"
    assert sorted(set(ROUTES) - set(ROUTE_PATHS)) == [], "rights of no route"


def test_every_route_has_a_sample() -> None:
    assert sorted(set(ROUTE_PATHS) ^ set(SAMPLES)) == []


# -- the matrix --------------------------------------------------------------------------------


@dataclass
class Matrix:
    served: Served
    world: World
    clients: dict[str, httpx.Client]


def open_matrix(served: Served) -> Iterator[Matrix]:
    served.store.add_article(
        title="问候", body="您好，{name}", kind=ArticleKind.TEMPLATE, tags=[TEMPLATE], actor=OWNER
    )
    bearer = {
        caller: {"Authorization": f"Bearer {served.tokens[who[0]]}"} if who else {}
        for caller, who in CALLERS.items()
    }
    bearer["bad token"] = {"Authorization": "Bearer not-a-token"}
    # verify=False: plain http on loopback, and no CA bundle to load
    clients = {
        caller: httpx.Client(base_url=served.url, headers=bearer[caller], timeout=10, verify=False)
        for caller in CALLERS
    }
    yield Matrix(served, World(served.store), clients)
    for client in clients.values():
        client.close()


@pytest.fixture(scope="module")
def sqlite_matrix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    target = tmp_path_factory.mktemp("rights") / "rights.db"
    for served in serve_store(target, channel_options()):
        yield from open_matrix(served)


@pytest.fixture(scope="module")
def postgres_matrix() -> Iterator[Matrix]:
    with pg_database(f"cstui_test_rights_{os.getpid()}") as url:
        for served in serve_store(url, channel_options()):
            yield from open_matrix(served)


# Ownership read from the store, and the reveal decided in its transaction: on PostgreSQL too.
ON_POSTGRES = (
    ("POST", "/customers/{customer_id}/reveal"),
    ("POST", "/tickets/{ticket_id}/complaint"),
    ("PATCH", "/tickets/{ticket_id}"),
    ("PATCH", "/kb/articles/{article_id}"),
    ("POST", "/intake/{channel}"),
    ("GET", "/attachments/{attachment_id}"),
    ("POST", "/csat/{token}"),
)
CASES = [pytest.param("sqlite", key, id=f"{key[0]} {key[1]}") for key in sorted(ROUTES)] + [
    pytest.param("postgres", key, id=f"postgres {key[0]} {key[1]}", marks=pytest.mark.postgres)
    for key in ON_POSTGRES
]


@pytest.mark.parametrize(("backend", "key"), CASES)
def test_every_caller_gets_what_the_table_says(
    backend: str, key: Route, request: pytest.FixtureRequest
) -> None:
    matrix: Matrix = request.getfixturevalue(f"{backend}_matrix")
    public = ROUTES[key].who in (Who.PUBLIC, Who.SIGNED)  # no token needed
    for caller, who in CALLERS.items():
        call = SAMPLES[key](matrix.world)
        status, body = send(matrix.clients[caller], key, call)
        case = f"{caller} → {key[0]} {key[1]}: {status} {body[:200]}"
        if who is None:
            assert (status == 401) != public, case
            continue
        refused = refusal(key, call, who)
        if refused is None:
            assert status not in (401, 403), case
            assert status < 500, case
        else:
            assert status == refused.http_status, f"{case} (the table: {refused})"


def send(client: httpx.Client, key: Route, call: Call) -> tuple[int, str]:
    """The status and the start of the body; a stream (the live feed) is left at its headers."""
    url = ROUTE_PATHS[key].format(**call.path)
    with client.stream(
        key[0], url, params=call.query, json=call.json, content=call.content, headers=call.headers
    ) as response:
        if response.headers.get("content-type", "").startswith("text/event-stream"):
            return response.status_code, ""
        return response.status_code, response.read().decode(errors="replace")


def test_a_route_missing_from_the_table_is_refused(sqlite_matrix: Matrix) -> None:
    """Fails closed: a route the table does not know is refused, whoever asks."""
    key = ("POST", "/tickets/{ticket_id}/complaint")
    call = SAMPLES[key](sqlite_matrix.world)
    right = ROUTES.pop(key)
    try:
        status, body = send(sqlite_matrix.clients["admin"], key, call)
    finally:
        ROUTES[key] = right
    assert status == 403 and "no rights are defined" in body
    assert sqlite_matrix.world.store.get_ticket(call.path["ticket_id"]).complaint_cause is None


# -- the reveal an agent may not make -------------------------------------------------------


def test_an_agent_revealing_a_customer_not_on_their_ticket_gets_403_logged_as_refused(
    sqlite_matrix: Matrix,
) -> None:
    world, store = sqlite_matrix.world, sqlite_matrix.served.store
    mine = world.ticket()  # alice's
    stranger = world.customer()
    alice = sqlite_matrix.clients["owner"]
    before = max((e.id for e in store.events()), default=0)
    by_her_ticket = alice.post(f"/api/v1/customers/{stranger}/reveal", params={"ticket_id": mine})
    without_ticket = alice.post(f"/api/v1/customers/{stranger}/reveal")
    for response in (by_her_ticket, without_ticket):
        assert response.status_code == 403, response.text
        assert response.json()["kind"] == "permission_denied"
        assert "13800001234" not in response.text and "phone" not in response.json()
    logged = [e for e in store.events() if e.id > before]
    assert [(e.kind, e.actor, e.ticket_id, e.new and e.new["customer_id"]) for e in logged] == [
        (EventKind.REVEAL_REFUSED, OWNER, mine, stranger),
        (EventKind.REVEAL_REFUSED, OWNER, None, stranger),
    ]
    assert all("reveal a customer's contact" in (e.new or {})["reason"] for e in logged)

"""The store contract: the same tests run on SQLite, PostgreSQL and over HTTP (on both).

The HTTP cases are the `HttpStore` talking to a real uvicorn server on loopback (one per
module), whose store (SQLite, or PostgreSQL) is replaced for every test and shares the
test's clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from cstui.domain.model import (
    Category,
    Channel,
    ComplaintCause,
    Department,
    EscalationState,
    EventKind,
    GoodsType,
    MessageKind,
    Priority,
    ResolutionCode,
    Role,
    Status,
)
from cstui.errors import AlreadyOwned, BadInput, Conflict, NotFound, PermissionDenied, StaleVersion
from cstui.server.app import create_app
from cstui.server.deps import ServerOptions
from cstui.store import SqlStore, View, init_store
from cstui.store.base import NewCustomer, NewOrder, NewTicket
from tests.conftest import FakeClock, _reset_pg, assert_the_log_decodes
from tests.serving import TEAM, TeamHttpStore, ThreadServer, add_team


@pytest.fixture(scope="module")
def http_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThreadServer]:
    """One real server for the module; each test points it at its own fresh store."""
    first = init_store(str(tmp_path_factory.mktemp("http") / "first.db"))
    with ThreadServer(create_app(first, ServerOptions(rate_per_second=0))) as server:
        yield server
    first.close()


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgres", marks=pytest.mark.postgres),
        "http",
        pytest.param("http-postgres", marks=pytest.mark.postgres),
    ]
)
def store(request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock) -> Iterator[Any]:
    """An empty store with a team: agents alice, bob, carol and supervisor sue."""
    if request.param.startswith("http"):
        backing = str(tmp_path / "served.db")
        if request.param == "http-postgres":
            backing = request.getfixturevalue("pg_url")
            _reset_pg(backing)
        yield from _http_store(request.getfixturevalue("http_server"), backing, clock)
        return
    if request.param == "sqlite":
        target = str(tmp_path / "cstui.db")
    else:
        target = request.getfixturevalue("pg_url")
        _reset_pg(target)
    s = init_store(target, clock=clock)
    for name, role, shift in TEAM:
        s.add_agent(name, role, shift)
    yield s
    assert_the_log_decodes(s)
    s.close()


def _http_store(server: ThreadServer, target: str, clock: FakeClock) -> Iterator[Any]:
    backing = init_store(target, clock=clock)
    tokens = add_team(backing)
    server.app.state.cstui.store = backing
    team = TeamHttpStore(server.url, tokens)
    yield team
    team.close()
    assert_the_log_decodes(backing)
    backing.close()


def new_ticket(
    store: SqlStore,
    *,
    goods: GoodsType = GoodsType.GENERAL,
    subject: str = "退款没到账",
    customer_id: int | None = None,
    channel: Channel = Channel.CHAT,
    category: Category = Category.REFUND,
    order: bool = True,
    cause: ComplaintCause | None = None,
    priority: Priority = Priority.NORMAL,
) -> int:
    if customer_id is None:
        customer_id = store.add_customer(NewCustomer("张三", phone="13800001234")).id
    number = None
    if order:
        existing = store.customer_orders(customer_id)
        number = existing[0].number if existing else f"SO{customer_id:06d}{len(subject):04d}"
        if not existing:
            store.add_order(NewOrder(number, customer_id, 199.0, goods, tracking_no="SF1"))
    ticket = store.create_ticket(
        NewTicket(
            customer_id,
            subject,
            "body",
            channel,
            category,
            priority=priority,
            order_number=number,
            complaint_cause=cause,
        )
    )
    return ticket.id


def kinds(store: SqlStore, ticket_id: int) -> list[EventKind]:
    return [e.kind for e in store.events(ticket_id=ticket_id)]


class TestOwnership:
    def test_take_is_exclusive_and_names_the_owner(self, store: SqlStore) -> None:
        tid = new_ticket(store)
        taken = store.take(tid, actor="alice")
        assert (taken.owner, taken.dispatch_count, taken.status) == ("alice", 1, Status.OPEN)
        with pytest.raises(AlreadyOwned) as refused:
            store.take(tid, actor="bob")
        assert refused.value.owner == "alice"
        assert store.get_ticket(tid).owner == "alice"
        assert kinds(store, tid).count(EventKind.TAKEN) == 1

    def test_escalation_keeps_the_owner_and_blocks_resolve(self, store: SqlStore) -> None:
        tid = new_ticket(store)
        store.take(tid, actor="alice")
        esc = store.escalate(
            tid,
            actor="alice",
            department=Department.WAREHOUSE,
            reason="parcel returned, not marked",
        )
        ticket = store.get_ticket(tid)
        assert ticket.owner == "alice" and ticket.dispatch_count == 1
        assert [e.department for e in ticket.open_escalations] == [Department.WAREHOUSE]
        with pytest.raises(Conflict, match="escalation is still open"):
            store.resolve(tid, actor="alice", code=ResolutionCode.REFUNDED)
        store.update_escalation(esc.id, actor="bob", state=EscalationState.DONE, note="marked")
        resolved = store.resolve(tid, actor="alice", code=ResolutionCode.REFUNDED)
        assert resolved.status is Status.RESOLVED and resolved.owner == "alice"

    def test_supervisor_override_is_audited(self, store: SqlStore) -> None:
        tid = new_ticket(store)
        store.take(tid, actor="alice")
        store.escalate(tid, actor="alice", department=Department.QC, reason="inspect")
        with pytest.raises(PermissionDenied):
            store.resolve(tid, actor="alice", code=ResolutionCode.SOLVED, override=True)
        store.resolve(tid, actor="sue", code=ResolutionCode.SOLVED, override=True)
        assert EventKind.RESOLVE_OVERRIDE in kinds(store, tid)

    def test_transfer_waits_for_a_supervisor(self, store: SqlStore) -> None:
        tid = new_ticket(store)
        store.take(tid, actor="alice")
        with pytest.raises(BadInput):
            store.transfer(tid, actor="alice", to="bob", reason="  ")
        outcome = store.transfer(tid, actor="alice", to="bob", reason="end of shift")
        assert outcome.request is not None and outcome.ticket.owner == "alice"
        with pytest.raises(PermissionDenied):
            store.decide_transfer(outcome.request.id, actor="carol", approve=True)
        store.decide_transfer(outcome.request.id, actor="sue", approve=True)
        ticket = store.get_ticket(tid)
        assert (ticket.owner, ticket.dispatch_count) == ("bob", 2)
        assert EventKind.TRANSFER_APPROVED in kinds(store, tid)

    def test_steal_is_for_supervisors(self, store: SqlStore) -> None:
        tid = new_ticket(store)
        store.take(tid, actor="alice")
        with pytest.raises(PermissionDenied):
            store.steal(tid, actor="bob", reason="I know this customer")
        stolen = store.steal(tid, actor="sue", reason="customer asked for a supervisor")
        assert stolen.owner == "sue"
        (event,) = [e for e in store.events(ticket_id=tid) if e.kind is EventKind.STOLEN]
        assert event.old == {"owner": "alice"} and event.new["reason"].startswith("customer")

    def test_returning_customer_reaches_the_same_owner(
        self, store: SqlStore, clock: FakeClock
    ) -> None:
        first = new_ticket(store, channel=Channel.CHAT)
        store.take(first, actor="carol")
        customer = store.get_ticket(first).customer.id
        clock.advance(days=6)
        again = store.get_ticket(
            new_ticket(store, customer_id=customer, channel=Channel.PHONE, subject="又来问退款")
        )
        assert again.owner == "carol" and again.status is Status.OPEN
        clock.advance(days=8)
        later = store.get_ticket(new_ticket(store, customer_id=customer, subject="新问题"))
        assert later.owner is None

    def test_the_most_recently_active_owner_gets_the_customer_back(
        self, store: SqlStore, clock: FakeClock
    ) -> None:
        older = new_ticket(store)
        customer = store.get_ticket(older).customer.id
        store.take(older, actor="alice")
        clock.advance(hours=1)
        newer = new_ticket(store, customer_id=customer, subject="又来问")
        if store.get_ticket(newer).owner is None:
            store.take(newer, actor="alice")
        store.steal(newer, actor="sue", reason="customer asked for a supervisor")
        clock.advance(hours=1)
        assert store.get_ticket(new_ticket(store, customer_id=customer)).owner == "sue"
        clock.advance(hours=1)
        store.add_message(older, actor="alice", kind=MessageKind.REPLY, text="已退款")
        clock.advance(hours=1)  # the older ticket is now the latest touched, its id the lower
        assert store.get_ticket(new_ticket(store, customer_id=customer)).owner == "alice"

    def test_stale_version_is_refused(self, store: SqlStore) -> None:
        tid = new_ticket(store)
        version = store.take(tid, actor="alice").version
        store.add_message(tid, actor="alice", kind=MessageKind.NOTE, text="checking")
        with pytest.raises(StaleVersion):
            store.add_message(
                tid, actor="alice", kind=MessageKind.REPLY, text="hi", expected_version=version
            )
        assert [m.kind for m in store.messages(tid)] == [MessageKind.CUSTOMER, MessageKind.NOTE]


class TestMessagesAndSla:
    def test_reply_meets_first_response(self, store: SqlStore) -> None:
        tid = new_ticket(store)
        assert store.get_ticket(tid).due.first_response is not None
        store.take(tid, actor="alice")
        store.add_message(tid, actor="alice", kind=MessageKind.REPLY, text="您好")
        due = store.get_ticket(tid).due
        assert due.first_response is None and due.resolution is not None

    def test_pending_pauses_and_customer_resumes(self, store: SqlStore, clock: FakeClock) -> None:
        tid = new_ticket(store)
        store.take(tid, actor="alice")
        store.set_status(tid, actor="alice", status=Status.PENDING)
        paused = store.get_ticket(tid)
        assert paused.due.nearest() is None
        clock.advance(hours=3)
        store.customer_message(tid, text="我补充一下订单信息")
        resumed = store.get_ticket(tid)
        assert resumed.status is Status.OPEN and resumed.due.resolution is not None

    def test_idempotency_key_never_duplicates(self, store: SqlStore) -> None:
        tid = new_ticket(store)
        store.take(tid, actor="alice")
        a = store.add_message(
            tid, actor="alice", kind=MessageKind.REPLY, text="hi", idempotency_key="k-1"
        )
        b = store.add_message(
            tid, actor="alice", kind=MessageKind.REPLY, text="hi", idempotency_key="k-1"
        )
        assert a.id == b.id
        assert len([m for m in store.messages(tid) if m.kind is MessageKind.REPLY]) == 1

    def test_reply_needs_ownership(self, store: SqlStore) -> None:
        tid = new_ticket(store)
        with pytest.raises(Conflict, match="take it first"):
            store.add_message(tid, actor="alice", kind=MessageKind.REPLY, text="hi")
        store.take(tid, actor="alice")
        with pytest.raises(Conflict, match="owned by alice"):
            store.add_message(tid, actor="bob", kind=MessageKind.REPLY, text="hi")

    def test_green_channel_needs_fresh_medical_or_a_supervisor(self, store: SqlStore) -> None:
        general = new_ticket(store)
        store.take(general, actor="alice")
        with pytest.raises(PermissionDenied):
            store.escalate(
                general, actor="alice", department=Department.WAREHOUSE, reason="urgent", green=True
            )
        fresh = new_ticket(store, goods=GoodsType.FRESH, subject="生鲜退货")
        store.take(fresh, actor="alice")
        esc = store.escalate(
            fresh, actor="alice", department=Department.WAREHOUSE, reason="榴莲坏了", green=True
        )
        assert esc.due_at - esc.created_at == timedelta(hours=2)
        assert store.get_ticket(fresh).green_channel

    def test_second_complaint_on_the_same_matter(self, store: SqlStore) -> None:
        first = new_ticket(store, category=Category.COMPLAINT, cause=ComplaintCause.ATTITUDE)
        customer = store.get_ticket(first).customer.id
        again = new_ticket(
            store,
            customer_id=customer,
            category=Category.COMPLAINT,
            cause=ComplaintCause.ATTITUDE,
            subject="还是没人管",
        )
        assert not store.get_ticket(first).second_complaint
        assert store.get_ticket(again).second_complaint
        assert store.get_customer(customer).complaint_count == 2

    def test_complaint_gets_a_follow_up(self, store: SqlStore) -> None:
        tid = new_ticket(store, category=Category.COMPLAINT, cause=ComplaintCause.PROCESS)
        store.take(tid, actor="alice")
        resolved = store.resolve(tid, actor="alice", code=ResolutionCode.COMPENSATED)
        assert resolved.follow_up_due is not None
        assert [t.id for t in store.list_tickets(View.FOLLOW_UP, actor=None).items] == [tid]


class TestViews:
    def test_keyset_pages_cover_the_queue_once_in_urgency_order(
        self, store: SqlStore, clock: FakeClock
    ) -> None:
        priorities = [Priority.LOW, Priority.URGENT, Priority.NORMAL, Priority.HIGH]
        ids = []
        for i in range(23):
            ids.append(new_ticket(store, subject=f"t{i}", priority=priorities[i % 4]))
            clock.advance(minutes=7)
        seen, cursor = [], None
        while True:
            page = store.list_tickets(View.UNASSIGNED, actor=None, limit=5, cursor=cursor)
            seen.extend(page.items)
            cursor = page.next_cursor
            if cursor is None:
                break
        assert sorted(t.id for t in seen) == sorted(ids)
        keys = [(t.due.nearest(), t.id) for t in seen]
        assert keys == sorted(keys)
        assert store.count_tickets(View.UNASSIGNED, actor=None) == 23

    def test_views_select_what_they_name(self, store: SqlStore) -> None:
        mine = new_ticket(store)
        store.take(mine, actor="alice")
        esc = new_ticket(store, subject="escalated")
        store.take(esc, actor="bob")
        store.escalate(esc, actor="bob", department=Department.LOGISTICS, reason="lost")
        done = new_ticket(store, subject="done")
        store.take(done, actor="alice")
        store.resolve(done, actor="alice", code=ResolutionCode.SOLVED)
        free = new_ticket(store, subject="free")

        def ids(view: View, actor: str | None = None) -> set[int]:
            return {t.id for t in store.list_tickets(view, actor=actor).items}

        assert ids(View.MINE, "alice") == {mine}
        assert ids(View.UNASSIGNED) == {free}
        assert ids(View.ESCALATED) == {esc}
        assert ids(View.CLOSED) == {done}
        assert ids(View.ALL_OPEN) == {mine, esc, free}
        assert store.count_tickets(View.ALL_OPEN, actor=None) == 3

    def test_bad_cursor_and_limit_are_bad_input(self, store: SqlStore) -> None:
        with pytest.raises(BadInput, match="cursor"):
            store.list_tickets(View.ALL_OPEN, actor=None, cursor="not-a-cursor")
        with pytest.raises(BadInput, match="limit"):
            store.list_tickets(View.ALL_OPEN, actor=None, limit=0)
        with pytest.raises(NotFound):
            store.get_ticket(999)

    def test_every_read_carries_the_same_escalations_and_links(
        self, store: SqlStore, clock: FakeClock
    ) -> None:
        """Pages, searches, a customer's tickets and the ticket itself read escalations and
        links alike, in order, with their exact times."""
        tid = new_ticket(store, subject="压坏了")
        customer_id = store.get_ticket(tid).customer.id
        others = [new_ticket(store, subject=f"other {i}") for i in range(2)]
        store.take(tid, actor="alice")
        first = store.escalate(tid, actor="alice", department=Department.QC, reason="inspect")
        clock.advance(minutes=3, microseconds=250)
        store.escalate(tid, actor="alice", department=Department.WAREHOUSE, reason="resend")
        store.update_escalation(first.id, actor="alice", state=EscalationState.DONE, note="好")
        for other in reversed(others):
            store.link_tickets(tid, other, actor="alice")
        whole = store.get_ticket(tid)
        assert [e.department for e in whole.escalations] == [Department.QC, Department.WAREHOUSE]
        assert whole.escalations[0].notes and "好" in whole.escalations[0].notes[-1]
        assert whole.escalations[1].created_at == clock.now
        assert whole.links == tuple(sorted(others))

        def same(t: Any) -> None:
            assert (t.escalations, t.links) == (whole.escalations, whole.links)

        same(next(t for t in store.list_tickets(View.ALL_OPEN, actor=None).items if t.id == tid))
        same(next(t for t in store.customer_tickets(customer_id) if t.id == tid))
        same(next(h.ticket for h in store.search_tickets("压坏了", actor=None).items))
        bare = store.get_ticket(others[0])
        assert bare.escalations == () and bare.links == (tid,)


class TestLogAndTransfer:
    def test_every_write_appends_events(self, store: SqlStore) -> None:
        tid = new_ticket(store)
        store.take(tid, actor="alice")
        store.add_message(tid, actor="alice", kind=MessageKind.REPLY, text="好的")
        store.resolve(tid, actor="alice", code=ResolutionCode.SOLVED)
        assert kinds(store, tid) == [
            EventKind.CREATED,
            EventKind.TAKEN,
            EventKind.REPLY,
            EventKind.RESOLVED,
        ]

    def test_export_import_round_trip(self, store: SqlStore, tmp_path) -> None:
        from cstui.store import init_store

        tid = new_ticket(store)
        store.take(tid, actor="alice")
        store.escalate(tid, actor="alice", department=Department.FINANCE, reason="refund")
        exported = list(store.export_records())
        other = init_store(str(tmp_path / "copy.db"))
        other.import_records(list(enumerate(exported, start=1)))
        assert list(other.export_records()) == exported
        assert other.get_ticket(tid).owner == "alice"
        other.close()

    def test_a_bad_line_imports_nothing(self, store: SqlStore, tmp_path) -> None:
        from cstui.store import init_store

        new_ticket(store)
        records = list(enumerate(store.export_records(), start=1))
        bad_line = len(records) // 2
        records[bad_line - 1][1][
            "status" if records[bad_line - 1][1]["type"] == "ticket" else "id"
        ] = "bogus"
        other = init_store(str(tmp_path / "copy.db"))
        with pytest.raises(BadInput, match=f"line {bad_line}"):
            other.import_records(records)
        assert list(other.export_records()) == []
        other.close()

    def test_an_event_that_does_not_fit_its_kind_imports_nothing(
        self, store: SqlStore, tmp_path
    ) -> None:
        from cstui.store import init_store

        store.take(new_ticket(store), actor="alice")
        records = list(enumerate(store.export_records(), start=1))
        number, taken = next((n, r) for n, r in records if r.get("kind") == "taken")
        other = init_store(str(tmp_path / "copy.db"))
        for new, problem in (
            ('{"owner": 7}', "new.owner: expected a string, got 7"),
            ('{"owner": "alice", "by": "x"}', "new: unknown field 'by'"),
            ("{}", "new.owner: missing"),
            ("[]", "new: expected an object"),
            ("{", "old, new: expected JSON objects"),
        ):
            taken["new"] = new
            with pytest.raises(BadInput, match=f"^line {number}: (event taken: )?{problem}$"):
                other.import_records(records)
            assert list(other.export_records()) == []
        taken["kind"] = "bogus"
        with pytest.raises(BadInput, match=f"^line {number}: kind: 'bogus' is not one of"):
            other.import_records(records)
        other.close()


def test_the_event_log_refuses_updates_and_deletes(store: SqlStore) -> None:
    """Append-only is enforced by the database, for every client, not only by this code."""
    from sqlalchemy import text

    if not isinstance(store, SqlStore):
        pytest.skip("a property of the database itself: SQL stores only")
    from sqlalchemy.exc import DatabaseError

    new_ticket(store)
    for statement in ("UPDATE events SET actor = 'mallory'", "DELETE FROM events"):
        with pytest.raises(DatabaseError, match="append-only"), store.engine.begin() as conn:
            conn.execute(text(statement))
    assert {e.actor for e in store.events()} != {"mallory"}
    assert len(list(store.events())) > 0


def test_presence_marks_who_has_a_ticket_open(store: SqlStore, clock: FakeClock) -> None:
    ticket = store.create_ticket(
        NewTicket(
            customer_id=store.add_customer(NewCustomer(name="李娜")).id,
            subject="物流",
            body="到哪了",
            channel=Channel.CHAT,
            category=Category.LOGISTICS,
        )
    )
    store.add_agent("pia", Role.AGENT)
    store.add_agent("quin", Role.AGENT)
    store.set_presence(actor="pia", ticket_id=ticket.id)
    store.set_presence(actor="quin", ticket_id=ticket.id)
    assert store.viewers([ticket.id]) == {ticket.id: ("pia", "quin")}
    store.set_presence(actor="quin", ticket_id=None)  # quin moved on
    assert store.viewers() == {ticket.id: ("pia",)}
    clock.advance(minutes=2)  # pia's console stopped beating
    assert store.viewers() == {}


def test_reveal_is_recorded(store: SqlStore) -> None:
    customer = store.add_customer(NewCustomer(name="王芳", phone="13812345678"))
    store.add_agent("pia", Role.AGENT)
    store.take(new_ticket(store, customer_id=customer.id), actor="pia")
    revealed = store.reveal_contact(customer.id, actor="pia")
    assert revealed.phone == "13812345678"
    events = [e for e in store.events() if e.kind is EventKind.PII_REVEALED]
    assert [(e.actor, (e.new or {})["customer_id"]) for e in events] == [("pia", customer.id)]


def test_a_reveal_is_for_the_owner_of_the_customers_ticket_and_a_refusal_is_logged(
    store: SqlStore,
) -> None:
    """Alice owns a ticket of one customer: she may not reveal another customer, neither by
    naming her own ticket nor another's, nor a customer she has no ticket of."""
    mine = new_ticket(store)
    store.take(mine, actor="alice")
    theirs = new_ticket(store)
    store.take(theirs, actor="bob")
    own_customer = store.get_ticket(mine).customer.id
    other = store.get_ticket(theirs).customer.id
    attempts = [(other, mine), (other, theirs), (other, None), (own_customer, theirs)]
    for customer_id, ticket_id in attempts:
        with pytest.raises(PermissionDenied, match="reveal a customer's contact"):
            store.reveal_contact(customer_id, actor="alice", ticket_id=ticket_id)
    refused = [e for e in store.events() if e.kind is EventKind.REVEAL_REFUSED]
    assert [(e.actor, e.ticket_id, (e.new or {})["customer_id"]) for e in refused] == [
        ("alice", t, c) for c, t in attempts
    ]
    assert not [e for e in store.events() if e.kind is EventKind.PII_REVEALED]
    assert store.reveal_contact(own_customer, actor="alice", ticket_id=mine).phone
    assert store.reveal_contact(other, actor="sue").phone  # a supervisor
    with pytest.raises(PermissionDenied, match="not customer"):  # even a supervisor's reason
        store.reveal_contact(other, actor="sue", ticket_id=mine)


def test_complaints_follow_ups_and_the_green_channel_are_the_owners(store: SqlStore) -> None:
    """Someone else's ticket is refused (nothing changes); the owner and a supervisor may."""
    tid = new_ticket(store, goods=GoodsType.FRESH)
    store.take(tid, actor="alice")
    due = store.get_ticket(tid).created_at + timedelta(days=1)
    refused = [
        lambda who: store.register_complaint(tid, actor=who, cause=ComplaintCause.ATTITUDE),
        lambda who: store.schedule_follow_up(tid, actor=who, due=due),
        lambda who: store.set_green_channel(tid, actor=who, reason="生鲜"),
    ]
    version = store.get_ticket(tid).version
    for act in refused:
        with pytest.raises(PermissionDenied, match=r"owner \(alice\)"):
            act("bob")
    assert store.get_ticket(tid).version == version
    store.register_complaint(tid, actor="alice", cause=ComplaintCause.ATTITUDE)
    store.schedule_follow_up(tid, actor="sue", due=due)
    with pytest.raises(PermissionDenied):
        store.complete_follow_up(tid, actor="bob", note="called")
    store.complete_follow_up(tid, actor="alice", note="called")
    store.set_green_channel(tid, actor="alice", reason="生鲜")
    ticket = store.get_ticket(tid)
    assert ticket.complaint_cause is ComplaintCause.ATTITUDE and ticket.green_channel
    assert ticket.follow_up_due is None


def test_a_tickets_owner_is_one_read(store: SqlStore) -> None:
    tid = new_ticket(store)
    assert store.ticket_owner(tid) is None
    store.take(tid, actor="alice")
    assert store.ticket_owner(tid) == "alice"
    with pytest.raises(NotFound):
        store.ticket_owner(tid + 1000)


def test_a_colleague_may_add_a_note_but_not_reply(store: SqlStore) -> None:
    tid = new_ticket(store)
    store.take(tid, actor="alice")
    note = store.add_message(tid, actor="bob", kind=MessageKind.NOTE, text="这位客户上周也来过")
    assert note.author == "bob"
    with pytest.raises(Conflict, match="owned by alice"):
        store.add_message(tid, actor="bob", kind=MessageKind.REPLY, text="您好")


def test_search_by_filters_and_subject_words(store: SqlStore) -> None:
    refund = new_ticket(store, subject="退款没到账 Refund")
    parcel = new_ticket(store, subject="包裹丢失", category=Category.LOGISTICS)
    store.take(parcel, actor="alice")

    def ids(query: str) -> list[int]:
        return [h.ticket.id for h in store.search_tickets(query, actor=None).items]

    assert ids("refund") == [refund]  # words match the subject whatever their case
    assert ids("category:logistics") == [parcel]
    assert ids("owner:alice status:open") == [parcel]
    assert ids("owner:none 退款") == [refund]
    assert ids("") == [parcel, refund]  # newest first
    first = store.search_tickets("", actor=None, limit=1)
    assert first.next_cursor is not None
    rest = store.search_tickets("", actor=None, limit=1, cursor=first.next_cursor)
    assert [h.ticket.id for h in rest.items] == [refund] and rest.next_cursor is None
    with pytest.raises(BadInput, match="status:bogus"):
        store.search_tickets("status:bogus", actor=None)
    with pytest.raises(NotFound):
        store.search_tickets("owner:nobody", actor=None)

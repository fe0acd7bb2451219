"""`/notifications` through a real server: each agent reads and marks only their own, by
HTTP and through the HTTP store."""

from __future__ import annotations

from cstui.domain.automations import AutomationPolicy
from cstui.domain.model import Department, EscalationState
from cstui.remote.http_store import HttpStore
from tests.server.conftest import Served


def _department_answered(served: Served) -> int:
    """A ticket of alice's whose escalation the supervisor acknowledged, swept: alice is told."""
    ticket = served.new_ticket()
    store = served.store
    store.take(ticket, actor="alice")
    esc = store.escalate(ticket, actor="alice", department=Department.WAREHOUSE, reason="查库存")
    store.update_escalation(esc.id, actor="sue", state=EscalationState.ACKNOWLEDGED)
    store.sweep(AutomationPolicy())
    return ticket


def test_each_agent_reads_and_marks_only_their_own(served: Served) -> None:
    ticket = _department_answered(served)
    with served.client("alice") as alice, served.client("bob") as bob:
        mine = alice.get("/notifications", params={"unread": "true"}).json()["items"]
        ours = [n for n in mine if n["ticket_id"] == ticket]
        assert [n["rule"] for n in ours] == ["department_answer"]
        assert ours[0]["read_at"] is None and ours[0]["params"]["state"] == "acknowledged"
        ids = [n["id"] for n in ours]
        assert all(n["ticket_id"] != ticket for n in bob.get("/notifications").json()["items"])
        assert bob.post("/notifications/read", json={"ids": ids}).json() == {"marked": 0}
        assert alice.post("/notifications/read", json={"ids": ids}).json() == {"marked": 1}
        assert alice.post("/notifications/read", json={"ids": ids}).json() == {"marked": 0}
        unread = alice.get("/notifications", params={"unread": "true"}).json()["items"]
        assert all(n["id"] not in ids for n in unread)
        assert alice.post("/notifications/read", json={"ids": ["x"]}).status_code == 422


def test_the_http_store_reads_the_callers_feed(served: Served) -> None:
    ticket = _department_answered(served)
    remote = HttpStore(served.url, served.tokens["alice"])
    try:
        found = [
            n
            for n in remote.notifications(actor="alice", unread_only=True)
            if n.ticket_id == ticket
        ]
        assert [n.rule for n in found] == ["department_answer"]
        assert remote.mark_read(actor="alice", ids=[found[0].id]) == 1
        assert all(
            n.id != found[0].id for n in remote.notifications(actor="alice", unread_only=True)
        )
        assert remote.notifications(actor="alice")[0].read_at is not None
    finally:
        remote.close()

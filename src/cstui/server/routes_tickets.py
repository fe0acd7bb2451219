"""`/tickets`: the queue, one ticket, and every action on it (CONTRACT.md's list, and more).

Every endpoint is a plain `def`: FastAPI runs it in its threadpool, where the blocking
store call belongs. Reads and writes go through the same store code as the CLI, which
applies the domain rules and the optimistic version checks. Each answers with the body its
`response_model` names (`cstui.wire`), encoded here: FastAPI does not check it again.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request, Response

from cstui import wire as W
from cstui.domain.model import MessageKind, Status
from cstui.errors import BadInput
from cstui.server import schemas as S
from cstui.server.deps import (
    AgentDep,
    IfMatch,
    StoreDep,
    etag,
    expected_version,
    fingerprint,
    state_of,
)
from cstui.server.idempotent import run_once
from cstui.server.responses import JSONResponse
from cstui.server.uploads import decode_attachments
from cstui.store.base import NewTicket, View

router = APIRouter(tags=["tickets"])

TicketId = Annotated[int, Path(ge=1, le=S.MAX_ID)]
# Visible ASCII, as an HTTP structured-field string is (a uuid, say).
IdempotencyKey = Annotated[
    str | None, Header(alias="Idempotency-Key", max_length=128, pattern=r"^[\x20-\x7e]+$")
]
Limit = Annotated[int, Query(ge=1, le=500)]
Cursor = Annotated[str | None, Query(max_length=400)]


def _key(request: Request, body: Any = None) -> str:
    return fingerprint(request.method, request.url.path, body)


@router.get("/tickets", response_model=W.Page[W.TicketPublic])
def list_tickets(
    store: StoreDep,
    agent: AgentDep,
    view: View = View.ALL_OPEN,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> JSONResponse:
    """A keyset page of a queue view, most urgent first (`mine` is the caller's)."""
    page = store.list_tickets(view, actor=agent.name, limit=limit, cursor=cursor)
    return JSONResponse(W.page(W.TicketPublic, page))


@router.get("/tickets/count", response_model=W.CountPublic)
def count_tickets(store: StoreDep, agent: AgentDep, view: View = View.ALL_OPEN) -> JSONResponse:
    return JSONResponse({"count": store.count_tickets(view, actor=agent.name)})


@router.get("/tickets/search", response_model=W.Page[W.TicketHitPublic])
def search_tickets(
    store: StoreDep,
    agent: AgentDep,
    q: Annotated[str, Query(max_length=200)] = "",
    limit: Limit = 50,
    cursor: Cursor = None,
) -> JSONResponse:
    """Tickets matching `status:open tier:vip 退款`: filters, and words found in an id, order,
    tracking number or phone (or its last 4 digits), the subject, customer name or thread."""
    page = store.search_tickets(q, actor=agent.name, limit=limit, cursor=cursor)
    return JSONResponse(W.page(W.TicketHitPublic, page))


@router.get("/tickets/{ticket_id}", response_model=W.TicketPublic)
def get_ticket(
    store: StoreDep, agent: AgentDep, ticket_id: TicketId, messages: bool = True
) -> JSONResponse:
    """One ticket (with its thread); the ETag is its version, for If-Match on PATCH."""
    ticket = store.get_ticket(ticket_id, with_messages=messages)
    body = W.TicketPublic.encode(ticket, messages=messages)
    return JSONResponse(body, headers={"ETag": etag(ticket.version)})


@router.patch("/tickets/{ticket_id}", response_model=W.TicketPublic)
def patch_ticket(
    store: StoreDep,
    agent: AgentDep,
    ticket_id: TicketId,
    change: S.TicketPatch,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Set the status or the priority, only if the ticket is still at the If-Match version."""
    version = expected_version(if_match)
    if (change.status is None) == (change.priority is None):
        raise BadInput("body: give exactly one of status, priority")
    if change.status is not None:
        ticket = store.set_status(
            ticket_id, actor=agent.name, status=Status(change.status), expected_version=version
        )
    else:
        assert change.priority is not None
        ticket = store.set_priority(
            ticket_id, actor=agent.name, priority=change.priority, expected_version=version
        )
    return JSONResponse(W.TicketPublic.encode(ticket), headers={"ETag": etag(ticket.version)})


@router.post("/tickets", response_model=W.TicketPublic, status_code=201)
def create_ticket(
    request: Request,
    store: StoreDep,
    agent: AgentDep,
    new: S.TicketIn,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """A customer's new request, from a channel integration (admin)."""

    def act() -> tuple[int, Any]:
        ticket = store.create_ticket(NewTicket(**new.model_dump()), actor=agent.name)
        return 201, W.TicketPublic.encode(ticket)

    return run_once(store, agent, key, _key(request, new), act)


@router.post("/tickets/{ticket_id}/take", response_model=W.TicketPublic)
def take(
    request: Request,
    store: StoreDep,
    agent: AgentDep,
    ticket_id: TicketId,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Take the ticket: 200, or 409 `{"owner": NAME}` when someone has it."""
    return run_once(
        store,
        agent,
        key,
        _key(request),
        lambda: (200, W.TicketPublic.encode(store.take(ticket_id, actor=agent.name))),
    )


@router.get("/tickets/{ticket_id}/messages", response_model=W.Items[W.MessagePublic])
def list_messages(store: StoreDep, agent: AgentDep, ticket_id: TicketId) -> JSONResponse:
    store.get_ticket(ticket_id, with_messages=False)  # 404 for an unknown ticket
    return JSONResponse(W.items(W.MessagePublic, store.messages(ticket_id)))


@router.post("/tickets/{ticket_id}/messages", response_model=W.MessagePublic, status_code=201)
def add_message(
    request: Request,
    store: StoreDep,
    agent: AgentDep,
    ticket_id: TicketId,
    message: S.MessageIn,
    key: IdempotencyKey = None,
    if_match: IfMatch = None,
) -> JSONResponse:
    """A reply to the customer or an internal note, with files (base64, each within the
    attachment limit); a retried key never sends twice."""
    version = expected_version(if_match) if if_match else None
    files = decode_attachments(
        message.attachments, max_bytes=state_of(request).options.channels.attachment_max_bytes
    )

    def act() -> tuple[int, Any]:
        sent = store.add_message(
            ticket_id,
            actor=agent.name,
            kind=MessageKind(message.kind),
            text=message.text,
            expected_version=version,
            attachments=files,
        )
        return 201, W.MessagePublic.encode(sent)

    return run_once(store, agent, key, _key(request, message), act)


@router.post(
    "/tickets/{ticket_id}/customer-messages", response_model=W.MessagePublic, status_code=201
)
def customer_message(
    request: Request,
    store: StoreDep,
    agent: AgentDep,
    ticket_id: TicketId,
    message: S.CustomerMessageIn,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """The customer writes again (a channel integration: admin)."""

    def act() -> tuple[int, Any]:
        sent = store.customer_message(ticket_id, text=message.text, channel=message.channel)
        return 201, W.MessagePublic.encode(sent)

    return run_once(store, agent, key, _key(request, message), act)


@router.post("/tickets/{ticket_id}/escalations", response_model=W.EscalationPublic, status_code=201)
def escalate(
    request: Request,
    store: StoreDep,
    agent: AgentDep,
    ticket_id: TicketId,
    escalation: S.EscalationIn,
    key: IdempotencyKey = None,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Ask a department to act; the owner stays responsible."""
    version = expected_version(if_match) if if_match else None

    def act() -> tuple[int, Any]:
        made = store.escalate(
            ticket_id,
            actor=agent.name,
            department=escalation.department,
            reason=escalation.reason,
            green=escalation.green,
            expected_version=version,
        )
        return 201, W.EscalationPublic.encode(made)

    return run_once(store, agent, key, _key(request, escalation), act)


@router.post("/escalations/{escalation_id}/state", response_model=W.EscalationPublic)
def escalation_state(
    request: Request,
    store: StoreDep,
    agent: AgentDep,
    escalation_id: TicketId,
    change: S.EscalationStateIn,
    key: IdempotencyKey = None,
) -> JSONResponse:
    def act() -> tuple[int, Any]:
        moved = store.update_escalation(
            escalation_id, actor=agent.name, state=change.state, note=change.note
        )
        return 200, W.EscalationPublic.encode(moved)

    return run_once(store, agent, key, _key(request, change), act)


@router.post("/tickets/{ticket_id}/transfer", response_model=W.TransferOutcomePublic)
def transfer(
    request: Request,
    store: StoreDep,
    agent: AgentDep,
    ticket_id: TicketId,
    hand_over: S.TransferIn,
    key: IdempotencyKey = None,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Hand the ticket over; by default it waits for a supervisor's approval."""
    version = expected_version(if_match) if if_match else None

    def act() -> tuple[int, Any]:
        outcome = store.transfer(
            ticket_id,
            actor=agent.name,
            to=hand_over.to,
            reason=hand_over.reason,
            expected_version=version,
        )
        return 200, W.TransferOutcomePublic.encode(outcome)

    return run_once(store, agent, key, _key(request, hand_over), act)


@router.get("/transfers", response_model=W.Items[W.TransferPublic])
def pending_transfers(store: StoreDep, agent: AgentDep) -> JSONResponse:
    return JSONResponse(W.items(W.TransferPublic, store.pending_transfers()))


@router.post("/transfers/{request_id}/decision", response_model=W.TransferPublic)
def decide_transfer(
    request: Request,
    store: StoreDep,
    agent: AgentDep,
    request_id: TicketId,
    decision: S.DecisionIn,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Approve or deny a transfer (supervisors: an agent gets 403)."""

    def act() -> tuple[int, Any]:
        decided = store.decide_transfer(
            request_id, actor=agent.name, approve=decision.approve, note=decision.note
        )
        return 200, W.TransferPublic.encode(decided)

    return run_once(store, agent, key, _key(request, decision), act)


@router.post("/tickets/{ticket_id}/steal", response_model=W.TicketPublic)
def steal(
    request: Request,
    store: StoreDep,
    agent: AgentDep,
    ticket_id: TicketId,
    why: S.ReasonIn,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Take a ticket from its owner (supervisors, audited: an agent gets 403)."""
    return run_once(
        store,
        agent,
        key,
        _key(request, why),
        lambda: (
            200,
            W.TicketPublic.encode(store.steal(ticket_id, actor=agent.name, reason=why.reason)),
        ),
    )


@router.post("/tickets/{ticket_id}/merge", response_model=W.TicketPublic)
def merge(
    request: Request,
    store: StoreDep,
    agent: AgentDep,
    ticket_id: TicketId,
    target: S.MergeIn,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Merge this duplicate into `into` (same customer; 409 otherwise): the survivor, with
    both threads, is returned; this ticket is closed and points to it."""
    return run_once(
        store,
        agent,
        key,
        _key(request, target),
        lambda: (
            200,
            W.TicketPublic.encode(
                store.merge_tickets(ticket_id, into=target.into, actor=agent.name),
                messages=True,
            ),
        ),
    )


@router.post("/tickets/{ticket_id}/links", response_model=W.TicketPublic)
def link(
    request: Request,
    store: StoreDep,
    agent: AgentDep,
    ticket_id: TicketId,
    target: S.LinkIn,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Link two related tickets (both ways; linking again changes nothing)."""
    return run_once(
        store,
        agent,
        key,
        _key(request, target),
        lambda: (
            200,
            W.TicketPublic.encode(store.link_tickets(ticket_id, target.other, actor=agent.name)),
        ),
    )


@router.post("/tickets/{ticket_id}/resolve", response_model=W.TicketPublic)
def resolve(
    request: Request,
    store: StoreDep,
    agent: AgentDep,
    ticket_id: TicketId,
    resolution: S.ResolveIn,
    key: IdempotencyKey = None,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Resolve with a code; 409 while an escalation is open (unless a supervisor overrides)."""
    version = expected_version(if_match) if if_match else None

    def act() -> tuple[int, Any]:
        done = store.resolve(
            ticket_id,
            actor=agent.name,
            code=resolution.code,
            override=resolution.override,
            expected_version=version,
        )
        return 200, W.TicketPublic.encode(done)

    return run_once(store, agent, key, _key(request, resolution), act)


@router.post("/tickets/{ticket_id}/green", response_model=W.TicketPublic)
def green_channel(
    request: Request,
    store: StoreDep,
    agent: AgentDep,
    ticket_id: TicketId,
    why: S.ReasonIn,
    key: IdempotencyKey = None,
) -> JSONResponse:
    def act() -> tuple[int, Any]:
        ticket = store.set_green_channel(ticket_id, actor=agent.name, reason=why.reason)
        return 200, W.TicketPublic.encode(ticket)

    return run_once(store, agent, key, _key(request, why), act)


@router.post("/tickets/{ticket_id}/complaint", response_model=W.TicketPublic)
def register_complaint(
    request: Request,
    store: StoreDep,
    agent: AgentDep,
    ticket_id: TicketId,
    complaint: S.ComplaintIn,
    key: IdempotencyKey = None,
) -> JSONResponse:
    def act() -> tuple[int, Any]:
        ticket = store.register_complaint(ticket_id, actor=agent.name, cause=complaint.cause)
        return 200, W.TicketPublic.encode(ticket)

    return run_once(store, agent, key, _key(request, complaint), act)


@router.post("/tickets/{ticket_id}/csat", status_code=204)
def record_csat(
    request: Request,
    store: StoreDep,
    agent: AgentDep,
    ticket_id: TicketId,
    answer: S.CsatIn,
    key: IdempotencyKey = None,
) -> Response:
    """A satisfaction survey answer (a survey integration: admin); a retried key counts once."""

    def act() -> tuple[int, Any]:
        store.record_csat(ticket_id, score=answer.score)
        return 204, None

    answered = run_once(store, agent, key, _key(request, answer), act)
    if answered.status_code != 204:
        return answered
    return Response(status_code=204, headers=_replayed(answered))


@router.post("/tickets/{ticket_id}/follow-up", response_model=W.TicketPublic)
def schedule_follow_up(
    request: Request,
    store: StoreDep,
    agent: AgentDep,
    ticket_id: TicketId,
    follow_up: S.FollowUpIn,
    key: IdempotencyKey = None,
) -> JSONResponse:
    due = _when(follow_up.due, "due")

    def act() -> tuple[int, Any]:
        ticket = store.schedule_follow_up(ticket_id, actor=agent.name, due=due)
        return 200, W.TicketPublic.encode(ticket)

    return run_once(store, agent, key, _key(request, follow_up), act)


@router.post("/tickets/{ticket_id}/follow-up/done", response_model=W.TicketPublic)
def complete_follow_up(
    request: Request,
    store: StoreDep,
    agent: AgentDep,
    ticket_id: TicketId,
    done: S.FollowUpDoneIn,
    key: IdempotencyKey = None,
) -> JSONResponse:
    def act() -> tuple[int, Any]:
        ticket = store.complete_follow_up(ticket_id, actor=agent.name, note=done.note)
        return 200, W.TicketPublic.encode(ticket)

    return run_once(store, agent, key, _key(request, done), act)


def _replayed(response: Response) -> dict[str, str]:
    replayed = response.headers.get("Idempotent-Replayed")
    return {"Idempotent-Replayed": replayed} if replayed else {}


def _when(value: str, field: str) -> datetime:
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise BadInput(f"{field}: not an ISO date-time: {value!r}") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)

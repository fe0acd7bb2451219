"""The table of writes: one line per command, from which both ends of the API are derived.

Each line (`Op`) names a command (`cstui.domain.commands`), its route (method and path under
`/api/v1`), its answer (a `cstui.wire` model, or None for 204), the right it needs, and
whether it takes If-Match and Idempotency-Key. The team server builds every write route on
tickets from `WRITES` (`cstui.server.commands`), the HTTP store posts every command through
it (`HttpStore.execute`), and the rights table learns each route's right from it.

Field names join the three: a command's fields are its route's path parameters and body
fields, plus `actor` (the token's agent), `expected_version` (If-Match) and
`idempotency_key` (Idempotency-Key). A line without a `body` gets one derived from the
command's remaining fields.

Plain data and pydantic only: the server, the HTTP store and the CLI all import it.
"""

from __future__ import annotations

import re
import types
import typing
from dataclasses import MISSING, dataclass, fields
from datetime import UTC, datetime
from enum import Enum, StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, Field, Strict, StrictBool, create_model

from cstui import wire as W
from cstui.domain import commands as C
from cstui.domain import rights
from cstui.domain.channels import NewAttachment
from cstui.domain.commands import Command
from cstui.domain.files import decode_attachment, encode_attachment
from cstui.domain.rights import Right
from cstui.errors import BadInput, CstuiError
from cstui.wire import requests as Q

# The fields every route fills from the request itself, never from the body.
FROM_REQUEST = ("actor", "expected_version", "idempotency_key")


class IfMatch(StrEnum):
    NO = "no"  # the route takes no If-Match
    OPTIONAL = "optional"  # checked when sent
    REQUIRED = "required"  # 428 without it; the answer carries the ticket's new ETag


@dataclass(frozen=True)
class Op:
    """One write route: the command it runs and how it is reached and answered."""

    command: type[Command[Any]]
    method: str
    path: str  # under /api/v1, as the route declares it
    response: type[W.Public[Any]] | None  # None: 204, no body
    right: Right
    status: int = 200
    if_match: IfMatch = IfMatch.NO
    idempotency_key: bool = True  # the route honours an Idempotency-Key
    body: type[BaseModel] | None = None  # None: derived from the command's fields
    name: str = ""  # the endpoint's name (the OpenAPI operation); the command's by default
    doc: str = ""  # the endpoint's description
    thread: bool = False  # the answer is a ticket with its thread

    @property
    def route(self) -> tuple[str, str]:
        return (self.method, self.path)

    @property
    def endpoint(self) -> str:
        return self.name or snake(self.command.__name__)

    @property
    def path_params(self) -> tuple[str, ...]:
        return tuple(re.findall(r"{(\w+)}", self.path))

    def body_model(self) -> type[BaseModel] | None:
        return self.body or derived_body(self.command, self.path_params)

    def body_fields(self) -> tuple[str, ...]:
        """The fields of the body this command fills (a shared route's body has others')."""
        model = self.body_model()
        own = {f.name for f in fields(self.command)}  # type: ignore[arg-type]
        return tuple(name for name in (model.model_fields if model else ()) if name in own)

    def encode(self, result: Any) -> Any:
        """The body of the answer (None for 204)."""
        if self.response is None:
            return None
        if self.thread:
            return W.TicketPublic.encode(result, messages=True)
        return self.response.encode(result)


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


TICKET = "/tickets/{ticket_id}"

# fmt: off
WRITES: tuple[Op, ...] = (
    Op(C.CreateTicket, "POST", "/tickets", W.TicketPublic, rights.CREATE_TICKET, status=201,
       body=Q.TicketIn, doc="A customer's new request, from a channel integration (admin)."),
    Op(C.Take, "POST", f"{TICKET}/take", W.TicketPublic, rights.TAKE,
       doc='Take the ticket: 200, or 409 `{"owner": NAME}` when someone has it.'),
    Op(C.SetStatus, "PATCH", TICKET, W.TicketPublic, rights.CHANGE_TICKET,
       if_match=IfMatch.REQUIRED, idempotency_key=False, body=Q.TicketPatch, name="patch_ticket",
       doc="Set the status or the priority, only if the ticket is still at the If-Match "
           "version."),
    Op(C.SetPriority, "PATCH", TICKET, W.TicketPublic, rights.CHANGE_TICKET,
       if_match=IfMatch.REQUIRED, idempotency_key=False, body=Q.TicketPatch, name="patch_ticket",
       doc="Set the status or the priority, only if the ticket is still at the If-Match "
           "version."),
    Op(C.SetCategory, "POST", f"{TICKET}/category", W.TicketPublic, rights.CHANGE_TICKET,
       doc="File the ticket under another category (a correction of triage, logged)."),
    Op(C.AddMessage, "POST", f"{TICKET}/messages", W.MessagePublic, rights.WRITE_MESSAGE,
       status=201, if_match=IfMatch.OPTIONAL, body=Q.MessageIn,
       doc="A reply to the customer or an internal note; a retried key never sends twice."),
    Op(C.CustomerMessage, "POST", f"{TICKET}/customer-messages", W.MessagePublic,
       rights.POST_AS_CUSTOMER, status=201, body=Q.CustomerMessageIn,
       doc="The customer writes again (a channel integration: admin)."),
    Op(C.Escalate, "POST", f"{TICKET}/escalations", W.EscalationPublic, rights.ESCALATE,
       status=201, if_match=IfMatch.OPTIONAL, body=Q.EscalationIn,
       doc="Ask a department to act; the owner stays responsible."),
    Op(C.UpdateEscalation, "POST", "/escalations/{escalation_id}/state", W.EscalationPublic,
       rights.UPDATE_ESCALATION, body=Q.EscalationStateIn, name="escalation_state"),
    Op(C.Transfer, "POST", f"{TICKET}/transfer", W.TransferOutcomePublic, rights.TRANSFER,
       if_match=IfMatch.OPTIONAL, body=Q.TransferIn,
       doc="Hand the ticket over; by default it waits for a supervisor's approval."),
    Op(C.DecideTransfer, "POST", "/transfers/{request_id}/decision", W.TransferPublic,
       rights.DECIDE_TRANSFER, body=Q.DecisionIn,
       doc="Approve or deny a transfer (supervisors: an agent gets 403)."),
    Op(C.Steal, "POST", f"{TICKET}/steal", W.TicketPublic, rights.STEAL, body=Q.ReasonIn,
       doc="Take a ticket from its owner (supervisors, audited: an agent gets 403)."),
    Op(C.Merge, "POST", f"{TICKET}/merge", W.TicketPublic, rights.MERGE, body=Q.MergeIn,
       thread=True,
       doc="Merge this duplicate into `into` (same customer; 409 otherwise): the survivor, "
           "with\nboth threads, is returned; this ticket is closed and points to it."),
    Op(C.Link, "POST", f"{TICKET}/links", W.TicketPublic, rights.LINK, body=Q.LinkIn,
       doc="Link two related tickets (both ways; linking again changes nothing)."),
    Op(C.Resolve, "POST", f"{TICKET}/resolve", W.TicketPublic, rights.RESOLVE,
       if_match=IfMatch.OPTIONAL, body=Q.ResolveIn,
       doc="Resolve with a code; 409 while an escalation is open (unless a supervisor "
           "overrides)."),
    Op(C.GreenChannel, "POST", f"{TICKET}/green", W.TicketPublic, rights.GREEN_CHANNEL,
       body=Q.ReasonIn),
    Op(C.RegisterComplaint, "POST", f"{TICKET}/complaint", W.TicketPublic,
       rights.REGISTER_COMPLAINT, body=Q.ComplaintIn),
    Op(C.RecordCsat, "POST", f"{TICKET}/csat", None, rights.RECORD_CSAT, status=204,
       body=Q.CsatIn,
       doc="A satisfaction survey answer (a survey integration: admin); a retried key counts "
           "once."),
    Op(C.ScheduleFollowUp, "POST", f"{TICKET}/follow-up", W.TicketPublic,
       rights.SCHEDULE_FOLLOW_UP, body=Q.FollowUpIn),
    Op(C.CompleteFollowUp, "POST", f"{TICKET}/follow-up/done", W.TicketPublic,
       rights.COMPLETE_FOLLOW_UP, body=Q.FollowUpDoneIn),
)
# fmt: on

OPS: dict[type[Command[Any]], Op] = {op.command: op for op in WRITES}


def routes() -> dict[tuple[str, str], tuple[Op, ...]]:
    """The write routes, each with its commands (one, or several sharing a body: PATCH)."""
    found: dict[tuple[str, str], tuple[Op, ...]] = {}
    for op in WRITES:
        found[op.route] = (*found.get(op.route, ()), op)
    return found


def learn_rights(ops: tuple[Op, ...]) -> None:
    """Each route's right, for the rights table (`cstui.domain.rights.ROUTES`), which
    decides every request: a route it already names must be named with the same right."""
    for op in ops:
        known = rights.ROUTES.setdefault(op.route, op.right)
        if known is not op.right:
            raise CstuiError(f"{op.method} {op.path}: the rights table says {known.doing!r}")


learn_rights(WRITES)


# -- from a request to a command, and back ---------------------------------------------------


def command_for(
    ops: tuple[Op, ...],
    *,
    path: dict[str, Any],
    body: BaseModel | None,
    actor: str,
    expected_version: int | None,
) -> tuple[Op, Command[Any]]:
    """The command a request to a route asks for, and its line.

    A route shared by several commands (PATCH) runs the one whose body fields are given:
    exactly one of them must be.
    """
    op = ops[0] if len(ops) == 1 else _chosen(ops, body)
    given = body.model_dump() if body is not None else {}
    known = {
        "actor": actor,
        "expected_version": expected_version,
        **path,
        **{name: given[name] for name in op.body_fields()},
    }
    hints = _hints(op.command)
    values = {
        f.name: _coerced(hints[f.name], known[f.name], f.name)
        for f in fields(op.command)  # type: ignore[arg-type]
        if f.name in known
    }
    return op, op.command(**values)


def _chosen(ops: tuple[Op, ...], body: BaseModel | None) -> Op:
    given = body.model_dump(exclude_none=True) if body is not None else {}
    chosen = [op for op in ops if any(name in given for name in op.body_fields())]
    if len(chosen) != 1:
        names = ", ".join(name for op in ops for name in op.body_fields())
        raise BadInput(f"body: give exactly one of {names}")
    return chosen[0]


_HINTS: dict[type[Command[Any]], dict[str, Any]] = {}


def _hints(kind: type[Command[Any]]) -> dict[str, Any]:
    """The command's field types, resolved once."""
    if kind not in _HINTS:
        _HINTS[kind] = typing.get_type_hints(kind)
    return _HINTS[kind]


def _plain(hint: Any) -> Any:
    """`X` of `X | None`."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return hint


def _coerced(hint: Any, value: Any, name: str) -> Any:
    """A body's value as the command's field holds it: an enum, a date-time, files."""
    kind = _plain(hint)
    if _is_files(kind) and isinstance(value, list):
        return tuple(decode_attachment(f["name"], f["content_base64"]) for f in value)
    if value is None or not isinstance(kind, type) or isinstance(value, kind):
        return value
    if issubclass(kind, Enum):
        return kind(value)
    if issubclass(kind, datetime) and isinstance(value, str):
        return when(value, name)
    return value


def when(value: str, field: str) -> datetime:
    """An ISO date-time from a body (UTC when it names no offset)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise BadInput(f"{field}: not an ISO date-time: {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def values(cmd: Command[Any]) -> dict[str, Any]:
    """A command's fields by name."""
    return {f.name: getattr(cmd, f.name) for f in fields(cmd)}  # type: ignore[arg-type]


def path_of(op: Op, cmd: Command[Any]) -> str:
    return op.path.format(**{name: int(getattr(cmd, name)) for name in op.path_params})


def body_of(op: Op, cmd: Command[Any]) -> dict[str, Any] | None:
    """What the HTTP store posts for `cmd` (None: no body)."""
    names = op.body_fields()
    if not names:
        return None
    given = {name: getattr(cmd, name) for name in names}
    # No files: no `attachments` at all, the body a server from before files takes too.
    return {name: _wire_value(value) for name, value in given.items() if value != ()}


def _is_files(kind: Any) -> bool:
    return typing.get_origin(kind) is tuple and typing.get_args(kind)[:1] == (NewAttachment,)


def _wire_value(value: Any) -> Any:
    if isinstance(value, tuple) and value and isinstance(value[0], NewAttachment):
        return [encode_attachment(f) for f in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    return value


# -- a body for a command that names none --------------------------------------------------------


_DERIVED: dict[tuple[type[Command[Any]], tuple[str, ...]], type[BaseModel] | None] = {}


def derived_body(kind: type[Command[Any]], path_params: tuple[str, ...]) -> type[BaseModel] | None:
    """A request body of the command's own fields (None if it has none): strict numbers and
    flags, bounded text, ISO date-times, the enums by value."""
    if (kind, path_params) in _DERIVED:
        return _DERIVED[kind, path_params]
    hints = _hints(kind)
    own: dict[str, Any] = {}
    for f in fields(kind):  # type: ignore[arg-type]
        if f.name in FROM_REQUEST or f.name in path_params:
            continue
        default = ... if f.default is MISSING else f.default
        own[f.name] = (_body_type(hints[f.name]), default)
    model = create_model(f"{kind.__name__}In", __base__=Q.Body, **own) if own else None
    _DERIVED[kind, path_params] = model
    return model


def _body_type(hint: Any) -> Any:
    kind = _plain(hint)
    optional = kind is not hint
    body: Any = {
        str: Annotated[str, Field(max_length=20_000)],
        bool: StrictBool,
        int: Annotated[int, Strict(), Field(ge=0, le=Q.MAX_ID)],
        datetime: Annotated[str, Field(max_length=40, description="ISO date-time")],
    }.get(kind, kind)
    return body | None if optional else body

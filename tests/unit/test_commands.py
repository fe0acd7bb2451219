"""The table of commands is whole: every command has a line and a store handler, and what
the HTTP store sends for a command is what the server reads back into the same command."""

from __future__ import annotations

import inspect
import typing
from datetime import UTC, datetime
from enum import Enum
from typing import Any

import pytest

from cstui import commands as K
from cstui.domain import commands as C
from cstui.domain import rights
from cstui.domain.model import MessageKind, Status
from cstui.errors import BadInput
from cstui.store.commands import HANDLERS

COMMANDS = sorted(
    (
        kind
        for _, kind in inspect.getmembers(C, inspect.isclass)
        if issubclass(kind, C.Command) and kind is not C.Command
    ),
    key=lambda kind: kind.__name__,
)


def test_every_command_has_a_store_handler_and_a_line() -> None:
    assert COMMANDS, "no command found"
    assert sorted(k.__name__ for k in COMMANDS) == sorted(k.__name__ for k in HANDLERS)
    assert sorted(k.__name__ for k in COMMANDS) == sorted(k.__name__ for k in K.OPS)
    assert len(K.OPS) == len(K.WRITES), "a command has two lines"


def test_every_line_has_its_right_in_the_rights_table() -> None:
    for op in K.WRITES:
        assert rights.ROUTES[op.route] is op.right, op.route


def test_a_shared_route_answers_alike() -> None:
    """Commands sharing a route (PATCH) share how it is reached and answered."""
    for group in K.routes().values():
        shape = {
            (op.endpoint, op.response, op.status, op.if_match, op.body_model()) for op in group
        }
        assert len(shape) == 1, group


def sample(hint: Any) -> Any:
    """A value of a command field's type (never None, so every field is carried)."""
    if typing.get_origin(hint) is tuple:
        # AddMessage's files: the HTTP body does not carry them through the table of writes
        # yet (the reply route takes them as its own field), so none are sampled here.
        return ()
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    kind = args[0] if args else hint
    if isinstance(kind, type) and issubclass(kind, Enum):
        # What an agent may send: a note, a status other than new or resolved.
        return {MessageKind: MessageKind.NOTE, Status: Status.PENDING}.get(kind, next(iter(kind)))
    return {
        str: "退款 x",
        int: 3,  # an id, a score
        bool: True,
        datetime: datetime(2026, 11, 20, 2, 0, tzinfo=UTC),
    }[kind]


@pytest.mark.parametrize("op", K.WRITES, ids=lambda op: op.command.__name__)
def test_what_the_http_store_sends_the_server_reads_back(op: K.Op) -> None:
    hints = typing.get_type_hints(op.command)
    given = {name: sample(hint) for name, hint in hints.items()}
    given.pop("idempotency_key", None)  # a header the server keeps for itself
    if op.if_match is K.IfMatch.NO:
        given.pop("expected_version", None)
    cmd = op.command(**given)
    body = K.body_of(op, cmd)
    model = op.body_model()
    parsed = None if model is None else model.model_validate(body)
    assert (body is None) == (model is None)
    path = {name: given[name] for name in op.path_params}
    assert K.path_of(op, cmd) == op.path.format(**path)
    ops = K.routes()[op.route]
    chosen, read = K.command_for(
        ops,
        path=path,
        body=parsed,
        actor=str(given.get("actor", "alice")),
        expected_version=given.get("expected_version"),
    )
    assert chosen is op
    assert read == cmd


def test_a_shared_route_takes_exactly_one_of_its_fields() -> None:
    ops = K.routes()[("PATCH", "/tickets/{ticket_id}")]
    body = ops[0].body_model()
    assert body is not None
    for sent in ({}, {"status": "open", "priority": "high"}):
        with pytest.raises(BadInput, match="give exactly one of status, priority"):
            K.command_for(
                ops,
                path={"ticket_id": 1},
                body=body.model_validate(sent),
                actor="a",
                expected_version=None,
            )


def test_a_body_date_time_is_read_or_refused() -> None:
    ops = K.routes()[("POST", "/tickets/{ticket_id}/follow-up")]
    body = ops[0].body_model()
    assert body is not None
    _, cmd = K.command_for(
        ops,
        path={"ticket_id": 3},
        body=body.model_validate({"due": "2026-11-20T10:00"}),
        actor="alice",
        expected_version=None,
    )
    assert cmd == C.ScheduleFollowUp(
        ticket_id=3, actor="alice", due=datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    )
    with pytest.raises(BadInput, match="due: not an ISO date-time"):
        K.command_for(
            ops,
            path={"ticket_id": 3},
            body=body.model_validate({"due": "tomorrow"}),
            actor="alice",
            expected_version=None,
        )


def test_a_line_without_a_body_gets_one_from_its_command() -> None:
    """A new write needs no hand-written body: its command's own fields make one."""
    derived = K.derived_body(C.Steal, ("ticket_id",))
    assert derived is not None
    assert list(derived.model_fields) == ["reason"]
    assert derived.model_validate({"reason": "离职"}).model_dump() == {"reason": "离职"}
    with pytest.raises(ValueError, match="Extra inputs"):
        derived.model_validate({"reason": "x", "actor": "mallory"})  # never from the body
    assert K.derived_body(C.Take, ("ticket_id",)) is None


@pytest.mark.parametrize(
    ("cmd", "message"),
    [
        (C.AddMessage(ticket_id=1, actor="a", kind=MessageKind.CUSTOMER, text="x"), "kind:"),
        (C.AddMessage(ticket_id=1, actor="a", kind=MessageKind.NOTE, text=" \n"), "text:"),
        (C.RecordCsat(ticket_id=1, score=6), "score:"),
        (C.RecordCsat(ticket_id=1, score=0), "score:"),
    ],
)
def test_a_command_refuses_bad_arguments_before_any_store(
    cmd: C.Command[Any], message: str
) -> None:
    with pytest.raises(BadInput, match=message):
        cmd.check()


def test_good_arguments_pass() -> None:
    C.AddMessage(ticket_id=1, actor="a", kind=MessageKind.REPLY, text="您好").check()
    C.RecordCsat(ticket_id=1, score=5).check()

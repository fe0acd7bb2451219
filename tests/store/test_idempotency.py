"""Idempotency keys in the store: the claim, the effect and the answer commit together."""

from __future__ import annotations

from typing import Any

import pytest

from cstui.domain.model import Category, Channel, MessageKind
from cstui.errors import BadInput, Conflict, CstuiError, Unavailable
from cstui.store.base import NewCustomer, NewTicket
from cstui.store.sql import SqlStore


def _ticket(store: SqlStore) -> int:
    customer = store.add_customer(NewCustomer("赵敏"))
    new = NewTicket(customer.id, "发票", "开张发票", Channel.EMAIL, Category.INVOICE)
    ticket = store.create_ticket(new).id
    store.take(ticket, actor="alice")
    return ticket


def _refused(exc: CstuiError) -> tuple[int, Any]:
    return exc.http_status, {"error": str(exc)}


def _once(store: SqlStore, key: str, action: Any, fingerprint: str = "f") -> Any:
    return store.run_once(
        actor="alice", key=key, fingerprint=fingerprint, action=action, refusal=_refused
    )


def _notes(store: SqlStore, ticket: int) -> list[str]:
    return [m.body for m in store.messages(ticket) if m.kind is MessageKind.NOTE]


def test_a_key_acts_once_and_replays_its_answer(store: SqlStore) -> None:
    ticket = _ticket(store)

    def note() -> tuple[int, Any]:
        sent = store.add_message(ticket, actor="alice", kind=MessageKind.NOTE, text="checked")
        return 201, {"id": sent.id}

    first = _once(store, "k1", note)
    again = _once(store, "k1", note)
    assert first == ((201, first[0][1]), False)
    assert again == (first[0], True)
    assert _notes(store, ticket) == ["checked"]
    with pytest.raises(BadInput, match="another request"):
        _once(store, "k1", note, fingerprint="other")


def test_a_refusal_undoes_what_the_action_wrote_and_is_replayed(store: SqlStore) -> None:
    ticket = _ticket(store)
    calls: list[int] = []

    def half_done() -> tuple[int, Any]:
        calls.append(1)
        store.add_message(ticket, actor="alice", kind=MessageKind.NOTE, text="half")
        raise Conflict("refused after a write")

    first = _once(store, "k2", half_done)
    again = _once(store, "k2", half_done)
    assert first == ((409, {"error": "refused after a write"}), False)
    assert again == (first[0], True)
    assert calls == [1] and _notes(store, ticket) == []


def test_a_server_error_keeps_nothing_so_the_retry_acts(store: SqlStore) -> None:
    ticket = _ticket(store)

    def failing() -> tuple[int, Any]:
        store.add_message(ticket, actor="alice", kind=MessageKind.NOTE, text="lost")
        raise Unavailable("the database went away")

    with pytest.raises(Unavailable):
        _once(store, "k3", failing)
    assert _notes(store, ticket) == []

    def working() -> tuple[int, Any]:
        store.add_message(ticket, actor="alice", kind=MessageKind.NOTE, text="sent")
        return 201, {}

    assert _once(store, "k3", working) == ((201, {}), False)
    assert _notes(store, ticket) == ["sent"]

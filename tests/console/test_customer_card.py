"""The customer card reads its satisfaction answers from the log's typed payloads."""

from __future__ import annotations

from datetime import timedelta

from cstui.console.customer import gather_card
from cstui.domain.model import EventKind
from cstui.store import SqlStore
from tests.console.conftest import NOW


def test_the_card_lists_each_csat_answer_of_the_customers_tickets(store: SqlStore) -> None:
    answer = next(e for e in store.events() if e.kind is EventKind.CSAT and e.ticket_id)
    assert answer.ticket_id is not None and answer.new is not None
    ticket = store.get_ticket(answer.ticket_id, with_messages=False)
    card = gather_card(store, ticket.customer.id, now=NOW, window=timedelta(days=90))
    logged = [
        (tk.id, e.new["score"])
        for tk in card.tickets
        for e in store.events(ticket_id=tk.id)
        if e.kind is EventKind.CSAT and e.new
    ]
    assert card.csat == tuple(logged)
    assert (ticket.id, answer.new["score"]) in card.csat

"""Suggested answers for `SqlStore` (a mixin): triage a message, rank the knowledge base.

The ranked index (`cstui.assist.ranking.AnswerIndex`) lives in memory, one per store, and is
rebuilt when the knowledge base's generation (`kb.answers.generation`: two index lookups)
has moved since it was built; every process (console, server) sees an edit on its next
suggestion. Building it reads the published FAQs and templates once: milliseconds for a
few hundred, seconds for 100,000, so a large index is rebuilt in the background while the
previous one goes on answering.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Concatenate, ParamSpec, TypeVar

from cstui.assist.answer import answer_text
from cstui.assist.ranking import MAX_SUGGESTIONS, AnswerIndex, Suggested, Suggestions
from cstui.assist.triage import triage
from cstui.domain.model import ArticleKind, ArticleLang, Category, MessageKind, Ticket
from cstui.domain.templates import fill, ticket_values
from cstui.errors import BadInput
from cstui.store.auto_answer import named_order

if TYPE_CHECKING:
    from cstui.store.kb import answers
    from cstui.store.tx import Tx

P = ParamSpec("P")
T = TypeVar("T")
_BUILDING = threading.Lock()  # one build at a time; readers of a built index never wait
# On a ticket about its parcel, its FAQs are shown under the order's parcel line.
LOGISTICS = Category.LOGISTICS
SYNC_REBUILD = 5_000  # distinct answers: an index this small is rebuilt before answering


class AssistMethods:
    """`HelpdeskStore.suggest` for `SqlStore`."""

    _answer_index: tuple[answers.Generation, AnswerIndex] | None = None

    if TYPE_CHECKING:

        def _reading(
            self, fn: Callable[Concatenate[Tx, P], T], /, *args: P.args, **kwargs: P.kwargs
        ) -> T: ...

        def get_ticket(self, ticket_id: int, *, with_messages: bool = True) -> Ticket: ...

    def suggest(
        self,
        ticket_id: int | None = None,
        *,
        text: str | None = None,
        limit: int = 3,
        kind: ArticleKind | None = None,
    ) -> Suggestions:
        """The triage and the best `limit` answers (of `kind`, if given) for a ticket's last
        customer message (templates filled from the ticket and its order), or for a text."""
        if (ticket_id is None) == (text is None):
            raise BadInput("suggest: give either a ticket id or a text")
        if not 1 <= limit <= MAX_SUGGESTIONS:
            raise BadInput(f"limit: between 1 and {MAX_SUGGESTIONS}")
        ticket = None if ticket_id is None else self.get_ticket(ticket_id)
        message = customer_text(ticket) if ticket is not None else text or ""
        if not message.strip():
            raise BadInput("suggest: the text is empty")
        found = triage(message)
        if ticket is not None and ticket.order is None and found.orders:
            # The order the customer names, when it is theirs, fills the answers as the
            # ticket's own would (another customer's order is never shown).
            named = self._reading(named_order, found.orders, ticket.customer.id)
            ticket = replace(ticket, order=named) if named else ticket
        ranked = self._answers().rank(message, found, limit, kind)
        from cstui.store.kb import answers  # the knowledge base loads on first use

        full = self._reading(answers.bodies, ids=[a.id for a, _ in ranked])
        items = []
        for a, score in ranked:
            body = full.get(a.id, a.body)
            filled = None
            if a.kind is ArticleKind.TEMPLATE:
                filled = fill(body, _values(ticket, found.orders, a.lang))
            elif ticket and ticket.order and LOGISTICS is found.category is a.category:
                body = answer_text(body, ticket.order, a.lang)  # as an automatic answer reads
            items.append(
                Suggested(
                    a.id,
                    a.title,
                    a.kind,
                    score,
                    filled.text if filled else body,
                    filled.missing if filled else (),
                    ArticleLang(a.lang),
                )
            )
        return Suggestions(found, tuple(items), ticket_id)

    def _answers(self) -> AnswerIndex:
        """The built index if current; else rebuilt now (a small base: milliseconds), or,
        for a large one, rebuilt in the background while the previous one answers."""
        from cstui.store.kb import answers  # the knowledge base loads on first use

        current = self._reading(answers.generation)
        built = self._answer_index
        if built is not None and built[0] == current:
            return built[1]
        if built is not None and len(built[1]) > SYNC_REBUILD:
            if _BUILDING.acquire(blocking=False):  # else a rebuild is already under way
                threading.Thread(target=self._rebuild, args=(current,), daemon=True).start()
            return built[1]
        with _BUILDING:
            built = self._answer_index
            if built is None or built[0] != current:
                built = self._build_answers(current)
        return built[1]

    def _rebuild(self, current: answers.Generation) -> None:
        try:
            self._build_answers(current)
        except Exception:
            pass  # failed: nobody waits on this thread, and the next call tries again
        finally:
            _BUILDING.release()

    def _build_answers(self, current: answers.Generation) -> tuple[answers.Generation, AnswerIndex]:
        from cstui.store.kb import answers

        built = (current, AnswerIndex(self._reading(answers.answerables)))
        self._answer_index = built
        return built


def _values(ticket: Ticket | None, named: tuple[str, ...], lang: str) -> dict[str, str]:
    """What fills a template: the ticket and its order, or the order a text names."""
    values = ticket_values(ticket, lang=lang) if ticket else {}
    if ticket is None and named:
        values["order_id"] = named[0]
    return values


def customer_text(ticket: Ticket) -> str:
    """What the customer last said; the subject too while it is their first message."""
    said = [m for m in ticket.messages if m.kind is MessageKind.CUSTOMER]
    if not said:
        return ticket.subject
    last = said[-1].body
    return f"{ticket.subject}\n{last}" if len(said) == 1 else last

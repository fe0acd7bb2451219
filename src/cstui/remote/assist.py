"""Suggested answers over the team server (a mixin of `HttpStore`): the server triages and
ranks, with its own copy of the answer index."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from cstui import wire as W
from cstui.assist.ranking import Suggestions
from cstui.domain.model import ArticleKind
from cstui.errors import BadInput

if TYPE_CHECKING:
    from cstui.wire.base import Wire

    M = TypeVar("M", bound=Wire)


class RemoteAssist:
    """`HelpdeskStore.suggest` for `HttpStore`."""

    if TYPE_CHECKING:

        def _get(self, path: str, **params: Any) -> bytes: ...
        def _body(self, model: type[M], data: bytes | str) -> M: ...

    def suggest(
        self,
        ticket_id: int | None = None,
        *,
        text: str | None = None,
        limit: int = 3,
        kind: ArticleKind | None = None,
    ) -> Suggestions:
        if (ticket_id is None) == (text is None):
            raise BadInput("suggest: give either a ticket id or a text")
        only = kind.value if kind else None
        if ticket_id is not None:
            data = self._get(f"/tickets/{int(ticket_id)}/suggestions", limit=limit, kind=only)
        else:
            data = self._get("/suggestions", text=text, limit=limit, kind=only)
        return self._body(W.SuggestionsPublic, data).to_domain()

"""Suggested answers: a ticket's (or a text's) triage and its likeliest articles."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from cstui import wire as W
from cstui.assist.ranking import MAX_SUGGESTIONS
from cstui.domain.model import ArticleKind
from cstui.server import schemas as S
from cstui.server.deps import AgentDep, StoreDep
from cstui.server.responses import JSONResponse

router = APIRouter(tags=["suggestions"])

Limit = Annotated[int, Query(ge=1, le=MAX_SUGGESTIONS)]


@router.get("/tickets/{ticket_id}/suggestions", response_model=W.SuggestionsPublic)
def ticket_suggestions(
    store: StoreDep,
    agent: AgentDep,
    ticket_id: Annotated[int, Path(ge=1, le=S.MAX_ID)],
    limit: Limit = 3,
    kind: ArticleKind | None = None,
) -> JSONResponse:
    """The ticket's last customer message triaged, and its best answers (templates filled)."""
    found = store.suggest(ticket_id, limit=limit, kind=kind)
    return JSONResponse(W.SuggestionsPublic.encode(found))


@router.get("/suggestions", response_model=W.SuggestionsPublic)
def text_suggestions(
    store: StoreDep,
    agent: AgentDep,
    text: Annotated[str, Query(min_length=1, max_length=4000)],
    limit: Limit = 3,
    kind: ArticleKind | None = None,
) -> JSONResponse:
    """A customer's text triaged, and its best answers (only templates: `kind=template`)."""
    found = store.suggest(text=text, limit=limit, kind=kind)
    return JSONResponse(W.SuggestionsPublic.encode(found))

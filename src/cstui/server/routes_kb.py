"""`/kb`: search the knowledge base mid-conversation, read, add, capture and publish."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from cstui import wire as W
from cstui.domain.model import ArticleKind, ArticleLang
from cstui.server import schemas as S
from cstui.server.deps import AgentDep, IfMatch, StoreDep, expected_version
from cstui.server.responses import JSONResponse

router = APIRouter(prefix="/kb", tags=["knowledge base"])

ArticleId = Annotated[int, Path(ge=1, le=S.MAX_ID)]


@router.get("/search", response_model=W.Items[W.ArticleHitPublic])
def search(
    store: StoreDep,
    agent: AgentDep,
    q: Annotated[str, Query(max_length=200)],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    kind: ArticleKind | None = None,
    lang: ArticleLang | None = None,
    drafts: bool = False,
    fast: bool = False,
) -> JSONResponse:
    """Ranked hits in Chinese or English (`fast`: the first hits, unranked, as you type)."""
    if fast:
        hits = store.search_articles_unranked(q, limit=limit, include_drafts=drafts)
    else:
        hits = store.search_articles(q, limit=limit, kind=kind, lang=lang, include_drafts=drafts)
    return JSONResponse(W.items(W.ArticleHitPublic, hits))


@router.post("/articles", response_model=W.ArticlePublic, status_code=201)
def add_article(store: StoreDep, agent: AgentDep, new: S.ArticleIn) -> JSONResponse:
    article = store.add_article(
        title=new.title,
        body=new.body,
        kind=ArticleKind(new.kind),
        lang=ArticleLang(new.lang),
        tags=new.tags,
        category=new.category,
        actor=agent.name,
    )
    return JSONResponse(W.ArticlePublic.encode(article), 201)


@router.get("/articles/{article_id}", response_model=W.ArticlePublic)
def get_article(store: StoreDep, agent: AgentDep, article_id: ArticleId) -> JSONResponse:
    return JSONResponse(W.ArticlePublic.encode(store.get_article(article_id)))


@router.patch("/articles/{article_id}", response_model=W.ArticlePublic)
def update_article(
    store: StoreDep,
    agent: AgentDep,
    article_id: ArticleId,
    change: S.ArticlePatch,
    if_match: IfMatch = None,
) -> JSONResponse:
    version = expected_version(if_match) if if_match else None
    article = store.update_article(
        article_id,
        actor=agent.name,
        title=change.title,
        body=change.body,
        tags=change.tags,
        expected_version=version,
    )
    return JSONResponse(W.ArticlePublic.encode(article))


@router.post("/articles/{article_id}/publish", response_model=W.ArticlePublic)
def publish(store: StoreDep, agent: AgentDep, article_id: ArticleId) -> JSONResponse:
    """A captured draft becomes searchable (supervisors)."""
    return JSONResponse(W.ArticlePublic.encode(store.publish_article(article_id, actor=agent.name)))


@router.post("/capture/{ticket_id}", response_model=W.ArticlePublic, status_code=201)
def capture(store: StoreDep, agent: AgentDep, ticket_id: ArticleId) -> JSONResponse:
    """A ticket's thread as a draft case article."""
    captured = store.capture_article(ticket_id, actor=agent.name)
    return JSONResponse(W.ArticlePublic.encode(captured), 201)


@router.get("/templates/{name}", response_model=W.ArticlePublic)
def find_template(
    store: StoreDep,
    agent: AgentDep,
    name: Annotated[str, Path(min_length=1, max_length=200)],
    lang: ArticleLang | None = None,
) -> JSONResponse:
    return JSONResponse(W.ArticlePublic.encode(store.find_template(name, lang=lang)))

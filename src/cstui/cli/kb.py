"""`cstui kb …`: search the knowledge base mid-conversation, and add to it.

An agent captures a ticket's thread as a draft case (`kb capture`); searches leave drafts
out (`--drafts` shows them) until a supervisor publishes one (`kb publish`).

On these commands `--lang` names the article's language (CONTRACT.md: `kb add --lang zh|en`);
the interface language is still set before the command (`cstui --lang zh kb …`) or by
CSTUI_LANG.
"""

from __future__ import annotations

from collections.abc import Callable, Set
from dataclasses import replace
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.text import Text

from cstui.cli.context import ID, env_of, global_options, say, stdout_is_tty
from cstui.cli.tickets import choice
from cstui.domain.display import inert_spans
from cstui.domain.model import Article, ArticleKind, ArticleLang, Category, SearchHit
from cstui.serialize import article_dict, hit_dict
from cstui.store.base import HelpdeskStore

F = TypeVar("F", bound=Callable[..., Any])

HIGHLIGHT = "bold reverse"


def kb_options(f: F) -> F:
    """The global options but --lang, which on kb commands is the article's language."""
    f = global_options(f)
    params = getattr(f, "__click_params__", [])
    f.__click_params__ = [p for p in params if "--lang" not in p.opts]  # type: ignore[attr-defined]
    return f


@click.group("kb")
@global_options
def kb() -> None:
    """Search and add knowledge-base articles: FAQs, templates, service cases."""


@kb.command("search")
@click.argument("query")
@click.option("--limit", default=20, show_default=True, help="Hits (1–100)")
@click.option("--kind", default=None, help="Only this kind: faq template case")
@click.option("--lang", "article_lang", default=None, help="Only this language: zh en")
@click.option("--fast", is_flag=True, help="First hits, unranked (as you type)")
@click.option("--drafts", is_flag=True, help="Also drafts waiting to be published")
@kb_options
@click.pass_context
def search(
    ctx: click.Context,
    query: str,
    limit: int,
    kind: str | None,
    article_lang: str | None,
    fast: bool,
    drafts: bool,
) -> None:
    """Search in Chinese, English or both: 退款, "return policy", iPhone 15 维修."""
    env = env_of(ctx)
    kind_ = choice(ArticleKind, kind, "--kind") if kind else None
    lang_ = choice(ArticleLang, article_lang, "--lang") if article_lang else None
    store = env.store()
    if fast:
        if kind_ or lang_:
            raise click.BadParameter("--fast takes no --kind or --lang", param_hint="--fast")
        hits = store.search_articles_unranked(query, limit=limit, include_drafts=drafts)
    else:
        hits = store.search_articles(
            query, limit=limit, kind=kind_, lang=lang_, include_drafts=drafts
        )
    draft_ids = _drafts_among(store, hits) if drafts else set()
    items = [{**hit_dict(h), "draft": h.article_id in draft_ids} for h in hits]
    env.emit({"items": items}, lambda: _print_hits(hits, draft_ids))


def _drafts_among(store: HelpdeskStore, hits: list[SearchHit]) -> Set[int]:
    """Which hits are drafts: a hit does not say, and only `--drafts` can return one."""
    return {h.article_id for h in hits if store.get_article(h.article_id).draft}


def _print_hits(hits: list[SearchHit], draft_ids: Set[int] = frozenset()) -> None:
    """Matches in reverse video on a terminal, between [ ] in a pipe or a file."""
    if not hits:
        say("no matching articles")
        return
    hits = [_inert_hit(h) for h in hits]
    if not stdout_is_tty():
        for h in hits:
            facets = f"{h.kind.value}/{h.lang.value}{_draft_mark(h, draft_ids)}"
            say(f"#{h.article_id} {facets} {h.marked(title=True)}")
            say(f"    {h.marked()}")
        return
    console = Console(highlight=False)
    for h in hits:
        facets = f"{h.kind.value}/{h.lang.value}{_draft_mark(h, draft_ids)} "
        line = Text(f"#{h.article_id} ", style="dim") + Text(facets)
        console.print(line + _styled(h.title, h.title_highlights, "bold"))
        console.print(Text("    ") + _styled(h.snippet, h.highlights))


def _inert_hit(hit: SearchHit) -> SearchHit:
    """The hit's title and snippet made inert, its highlights moved with them."""
    title, title_spans = inert_spans(hit.title, hit.title_highlights)
    snippet, spans = inert_spans(hit.snippet, hit.highlights)
    return replace(
        hit, title=title, title_highlights=title_spans, snippet=snippet, highlights=spans
    )


def _draft_mark(hit: SearchHit, draft_ids: Set[int]) -> str:
    return " draft" if hit.article_id in draft_ids else ""


def _styled(text: str, spans: tuple[tuple[int, int], ...], base: str = "") -> Text:
    out = Text(text, style=base)
    for start, end in spans:
        out.stylize(HIGHLIGHT, start, end)
    return out


@kb.command("add")
@click.option("--title", required=True)
@click.option("--body", required=True)
@click.option("--kind", default="faq", show_default=True, help="faq template case")
@click.option("--lang", "article_lang", default="zh", show_default=True, help="zh en")
@click.option("--tags", default="", help="Comma-separated: 退款,售后")
@click.option("--category", default=None, help=" ".join(c.value for c in Category))
@kb_options
@click.pass_context
def add(
    ctx: click.Context,
    title: str,
    body: str,
    kind: str,
    article_lang: str,
    tags: str,
    category: str | None,
) -> None:
    """Add an article; it is searchable at once."""
    env = env_of(ctx)
    article = env.store().add_article(
        title=title,
        body=body,
        kind=choice(ArticleKind, kind, "--kind"),
        lang=choice(ArticleLang, article_lang, "--lang"),
        tags=split_tags(tags),
        category=choice(Category, category, "--category") if category else None,
        actor=env.actor(),
    )
    env.emit(article_dict(article), lambda: say(f"article #{article.id} added"))


@kb.command("show")
@click.argument("article_id", type=ID)
@kb_options
@click.pass_context
def show(ctx: click.Context, article_id: int) -> None:
    """One article in full."""
    env = env_of(ctx)
    article = env.store().get_article(article_id)
    env.emit(article_dict(article), lambda: _print_article(article))


def _print_article(a: Article) -> None:
    say(f"#{a.id} {a.title}")
    status = " · draft" if a.draft else ""
    source = f" · from ticket #{a.source_ticket_id}" if a.source_ticket_id else ""
    say(f"  {a.kind.value} · {a.lang.value} · v{a.version} · {a.author or '—'}{status}{source}")
    if a.tags:
        say(f"  tags: {', '.join(a.tags)}")
    say("")
    say(a.body)


@kb.command("capture")
@click.argument("ticket_id", type=ID)
@kb_options
@click.pass_context
def capture(ctx: click.Context, ticket_id: int) -> None:
    """Turn a ticket's thread into a draft case; a supervisor publishes it."""
    env = env_of(ctx)
    article = env.store().capture_article(ticket_id, actor=env.actor())
    env.emit(
        article_dict(article),
        lambda: say(
            f"article #{article.id} drafted from ticket #{ticket_id}; "
            f"a supervisor publishes it: cstui kb publish {article.id}"
        ),
    )


@kb.command("publish")
@click.argument("article_id", type=ID)
@kb_options
@click.pass_context
def publish(ctx: click.Context, article_id: int) -> None:
    """Publish a draft (supervisors): it is searchable at once."""
    env = env_of(ctx)
    article = env.store().publish_article(article_id, actor=env.actor())
    env.emit(article_dict(article), lambda: say(f"article #{article.id} published"))


@kb.command("edit")
@click.argument("article_id", type=ID)
@click.option("--title", default=None)
@click.option("--body", default=None)
@click.option("--tags", default=None, help="Comma-separated; replaces the tags")
@click.option(
    "--version",
    "expected_version",
    type=ID,
    default=None,
    help="Refuse if the article changed since this version",
)
@kb_options
@click.pass_context
def edit(
    ctx: click.Context,
    article_id: int,
    title: str | None,
    body: str | None,
    tags: str | None,
    expected_version: int | None,
) -> None:
    """Edit an article (its author or a supervisor); searchable at once."""
    env = env_of(ctx)
    article = env.store().update_article(
        article_id,
        actor=env.actor(),
        title=title,
        body=body,
        tags=None if tags is None else split_tags(tags),
        expected_version=expected_version,
    )
    env.emit(
        article_dict(article),
        lambda: say(f"article #{article.id} is now version {article.version}"),
    )


def split_tags(value: str) -> list[str]:
    """Tags from `a,b`, also with Chinese commas (`退款，售后`)."""
    return [t.strip() for t in value.replace("，", ",").split(",") if t.strip()]

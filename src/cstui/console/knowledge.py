"""The knowledge pane: search as you type (debounced; the app searches in a worker).

Results show the title and a snippet with the matched words highlighted; Enter asks the app
to insert the article, or the template filled from the ticket, into the reply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from cstui.console.safe import assemble
from cstui.domain.model import ArticleKind, SearchHit
from cstui.i18n import t

if TYPE_CHECKING:
    from cstui.assist.ranking import Suggestions

DEBOUNCE_SECONDS = 0.15
SNIPPET_CHARS = 80
KIND_MARK = {ArticleKind.FAQ: "FAQ", ArticleKind.TEMPLATE: "TPL", ArticleKind.CASE: "CASE"}


def highlighted(text: str, spans: tuple[tuple[int, int], ...], style: str = "") -> Content:
    parts: list[str | tuple[str, str]] = []
    at = 0
    for start, end in spans:
        parts += [(text[at:start], style), (text[start:end], "reverse bold")]
        at = end
    parts.append((text[at:], style))
    return assemble(*parts)  # each piece inert by itself: the spans stay where they were


def hit_content(hit: SearchHit) -> Content:
    kind = (f"{KIND_MARK[hit.kind]} ", "$accent")
    title = highlighted(hit.title, hit.title_highlights, "bold")
    snippet = highlighted(hit.snippet, hit.highlights, "$text-muted")
    return Content.assemble(kind, title, "\n", snippet)


def suggested_hits(found: Suggestions) -> tuple[SearchHit, ...]:
    """Suggested answers as the pane lists hits: the title, and the text's beginning."""
    return tuple(
        SearchHit(
            article_id=s.id,
            title=s.title,
            snippet=" ".join(s.body.split())[:SNIPPET_CHARS],
            kind=s.kind,
            lang=s.lang,
            score=s.score,
        )
        for s in found.items
    )


def triage_note(found: Suggestions) -> str:
    """One line: what the message is about, how urgent, and why (the words that said so)."""
    tr = found.triage
    green = f" · {t('kb.green')}" if tr.green else ""
    return t(
        "kb.suggested",
        category=tr.category.value,
        priority=tr.priority.value,
        risk=tr.risk,
        green=green,
        why=tr.reasons.get("category", ""),
    )


class KnowledgePane(Vertical):
    DEFAULT_CSS = """
    KnowledgePane #kb-query { height: 1; border: none; padding: 0 1; margin-bottom: 1; }
    KnowledgePane #kb-results { height: 1fr; border: none; }
    KnowledgePane #kb-status { height: auto; max-height: 4; color: $text-muted; padding: 0 1; }
    """

    BINDINGS = [Binding("down", "to_results", show=False, id="kb.results")]

    @dataclass
    class Search(Message):
        query: str

    @dataclass
    class Insert(Message):
        article_id: int

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self._timer: Timer | None = None
        self.hits: tuple[SearchHit, ...] = ()
        self.results_for: str | None = None  # the query the shown results answer
        self.templates_only = False  # `m` searches quick-response templates only

    def compose(self):  # type: ignore[no-untyped-def]
        yield Input(placeholder=t("kb.placeholder"), id="kb-query")
        yield OptionList(id="kb-results")
        yield Static(t("kb.hint"), id="kb-status")

    def on_mount(self) -> None:
        self.border_title = t("pane.knowledge")

    @on(Input.Changed, "#kb-query")
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        if self._timer is not None:
            self._timer.stop()
        query = event.value
        self._timer = self.set_timer(
            DEBOUNCE_SECONDS, lambda: self.post_message(self.Search(query))
        )

    @on(Input.Submitted, "#kb-query")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_to_results()

    def action_to_results(self) -> None:
        """Enter or ↓ in the search box: on to the first result."""
        results = self.query_one(OptionList)
        if results.option_count:
            results.highlighted = 0
            results.focus()

    def show(self, query: str, hits: tuple[SearchHit, ...]) -> None:
        if query != self.query_one(Input).value:
            return  # an older search finished after a newer one was typed
        self._list(query, hits)
        status = t("kb.hint") if hits or not query.strip() else t("kb.no_results")
        self.query_one("#kb-status", Static).update(status)

    def show_suggested(self, hits: tuple[SearchHit, ...], note: str) -> bool:
        """The likeliest answers for the open ticket, while nothing is typed in the search
        box (a search the agent typed is never replaced); `note` says why (the triage)."""
        if self.query_one(Input).value.strip():
            return False
        self._list("", hits)
        self.query_one("#kb-status", Static).update(note)
        return True

    def _list(self, query: str, hits: tuple[SearchHit, ...]) -> None:
        self.hits, self.results_for = hits, query
        results = self.query_one(OptionList)
        results.clear_options()
        results.add_options(Option(hit_content(h), id=str(h.article_id)) for h in hits)

    @on(OptionList.OptionSelected, "#kb-results")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.post_message(self.Insert(int(event.option.id)))

    def focus_search(self) -> None:
        self.query_one(Input).focus()

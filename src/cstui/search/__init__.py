"""Knowledge-base search: CJK-aware segmentation and query translation (pure, no IO).

Neither SQLite's FTS5 tokenizers nor PostgreSQL's text-search parser split Chinese into
words, so the text is segmented here, in Python, once, and both databases index the same
space-separated tokens (`segment.index_tokens`). A user's query is translated by the same
rules (`query.parse`) into an FTS5 MATCH expression or a `tsquery`, so both backends find
exactly the same articles; only their ranking functions differ.
"""

from __future__ import annotations

from cstui.search.query import Query, Term, parse
from cstui.search.segment import index_text, index_tokens, normalize

__all__ = ["Query", "Term", "index_text", "index_tokens", "normalize", "parse"]

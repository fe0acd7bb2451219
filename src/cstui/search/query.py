"""A user's search text → the terms every hit must contain, in FTS5 and `tsquery` syntax.

The rules (the input is only ever text: `"`, `*`, `:`, `(`, `-`, `^`, `OR`, `NEAR` are never
operators; punctuation separates words and the operator words are searched as words):

- whitespace separates chunks, and every chunk must be found (AND);
- in a chunk, each run of CJK characters is one term: the phrase of its bigrams (`退款流程`
  → `"退款 款流 流程"`), its single bigram (`退款`) or, for one character, a prefix (`款*`,
  which matches every token starting with it: see `segment`);
- in a chunk, the letters and digits between CJK runs are one phrase (`e-mail`, `iPhone15`);
- "double quotes" make the whole quoted text one phrase (a missing closing quote ends it);
- the last word is a prefix while the user is still typing it (no trailing space), so
  `refu` already finds `refund`.

The same terms also highlight the matches in the original text (`highlight`, `snippet`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from cstui.errors import BadInput
from cstui.search.segment import (
    CJK_CLASS,
    MAX_TOKEN,
    Piece,
    PieceKind,
    cjk_tokens,
    normalize,
    pieces,
)

MAX_QUERY_CHARS = 200  # a search box, not a document: longer input is refused, not cut
MIN_PREFIX = 3  # shorter prefixes expand to much of the vocabulary (slow, and rarely meant)
SNIPPET_CELLS = 80  # about 40 Chinese characters or 80 Latin ones

CHUNK_RE = re.compile(r'"([^"]*)"?|([^\s"]+)')
_LETTER = rf"[^\W\d_{CJK_CLASS}]"
_GAP = r"[\W_]*"  # what may stand between two tokens of a phrase in the text

Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Term:
    """A phrase of index tokens that every hit contains; the last token may be a prefix."""

    tokens: tuple[str, ...]
    prefix: bool
    pieces: tuple[tuple[PieceKind, str], ...]  # the text it came from, for highlighting

    def fts5(self) -> str:
        """An FTS5 string (always quoted, so nothing in it is syntax)."""
        body = " ".join(self.tokens).replace('"', '""')
        return f'"{body}"' + ("*" if self.prefix else "")

    def tsquery(self, *, loose: bool = False) -> str:
        """A `tsquery` phrase: quoted lexemes joined by `<->` (followed by), or with `loose`
        by `&` (all of them, anywhere: a superset that a GIN index answers without reading
        any row, where a phrase must be checked against each row's positions)."""
        lexemes = [_ts_lexeme(t) for t in self.tokens]
        if self.prefix:
            lexemes[-1] += ":*"
        return "(" + (" & " if loose else " <-> ").join(lexemes) + ")"

    def pattern(self) -> str:
        """A regular expression for the term in normalised text (for highlighting)."""
        parts = []
        for i, (kind, text) in enumerate(self.pieces):
            open_end = self.prefix and i == len(self.pieces) - 1
            parts.append(_piece_pattern(kind, text, open_end))
        return _GAP.join(parts)


@dataclass(frozen=True, slots=True)
class Query:
    """The parsed query: every term must match (AND). No terms means nothing to find."""

    terms: tuple[Term, ...]

    def fts5(self) -> str:
        return " AND ".join(t.fts5() for t in self.terms)

    def tsquery(self, *, loose: bool = False) -> str:
        return " & ".join(t.tsquery(loose=loose) for t in self.terms)

    def exact(self) -> Query:
        """This query without the prefix on a last word still being typed.

        Its hits are a subset of this query's, found by streaming one doclist, where a prefix
        must first merge the doclists of every word it expands to: "first hits" try it first.
        """
        if not self.terms or not self.terms[-1].prefix or self.terms[-1].pieces[-1][0] == "cjk":
            return self
        last = self.terms[-1]
        return Query((*self.terms[:-1], Term(last.tokens, False, last.pieces)))

    def regex(self) -> re.Pattern[str] | None:
        """One alternation of every term, longest first, for highlighting."""
        if not self.terms:
            return None
        return _regex_of(self)


@lru_cache(maxsize=256)
def _regex_of(query: Query) -> re.Pattern[str]:
    patterns = sorted({t.pattern() for t in query.terms}, key=len, reverse=True)
    return re.compile("|".join(f"(?:{p})" for p in patterns))


def parse(text: str, *, prefix_last: bool = True) -> Query:
    """Translate a user's search text; raises BadInput only for an empty or huge query."""
    if not text.strip():
        raise BadInput("query: empty; type a word to search for")
    normalized = normalize(text)
    if len(normalized) > MAX_QUERY_CHARS:
        raise BadInput(f"query: at most {MAX_QUERY_CHARS} characters")
    terms: list[Term] = []
    for m in CHUNK_RE.finditer(normalized):
        quoted, loose = m.group(1), m.group(2)
        if loose is not None:
            terms.extend(_loose_terms(list(pieces(loose))))
        elif phrase := _phrase_term(list(pieces(quoted))):
            terms.append(phrase)
    still_typing = prefix_last and not text[-1].isspace() and not text.rstrip().endswith('"')
    if terms and still_typing:
        terms[-1] = _typing(terms[-1])
    return Query(tuple(dict.fromkeys(terms)))


def _loose_terms(ps: list[Piece]) -> list[Term]:
    """An unquoted chunk: each CJK run alone, the words between them as one phrase."""
    terms: list[Term] = []
    words: list[Piece] = []
    for p in [*ps, None]:
        if p is not None and p.kind != "cjk":
            words.append(p)
            continue
        if words:
            tokens = tuple(w.text[:MAX_TOKEN] for w in words)
            terms.append(Term(tokens, False, tuple((w.kind, w.text) for w in words)))
            words = []
        if p is not None:
            terms.append(_cjk_term(p.text))
    return terms


def _cjk_term(run: str) -> Term:
    if len(run) == 1:
        return Term((run,), True, (("cjk", run),))
    return Term(tuple(cjk_tokens(run)[:-1]), False, (("cjk", run),))


def _phrase_term(ps: list[Piece]) -> Term | None:
    """A quoted phrase: the exact token sequence the index holds for that text.

    A CJK run followed by more of the phrase ends where its run ends in the text, so its
    last character (the token the index puts after the bigrams) follows its bigrams; the
    final run may continue in the text, so it ends with its bigrams, or is a prefix.
    """
    if not ps:
        return None
    if len(ps) == 1 and ps[0].kind == "cjk":
        return _cjk_term(ps[0].text)
    tokens: list[str] = []
    for i, p in enumerate(ps):
        last = i == len(ps) - 1
        if p.kind != "cjk":
            tokens.append(p.text[:MAX_TOKEN])
        elif len(p.text) == 1 or not last:
            tokens.extend(cjk_tokens(p.text))
        else:
            tokens.extend(cjk_tokens(p.text)[:-1])
    prefix = ps[-1].kind == "cjk" and len(ps[-1].text) == 1
    return Term(tuple(tokens), prefix, tuple((p.kind, p.text) for p in ps))


def _typing(term: Term) -> Term:
    """The last word of a query still being typed matches as a prefix."""
    kind, text = term.pieces[-1]
    if term.prefix or kind == "cjk" or len(text) < MIN_PREFIX:
        return term
    return Term(term.tokens, True, term.pieces)


def _ts_lexeme(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def _piece_pattern(kind: PieceKind, text: str, open_end: bool) -> str:
    """The piece's literal text first (so the regex engine can skip ahead to it), then the
    checks that it is a whole word: no letter (or digit) just before, nor just after."""
    body = re.escape(text)
    if kind == "cjk":
        return body
    cls = r"\d" if kind == "digits" else _LETTER
    return f"{body}(?<!{cls}{body})" + ("" if open_end else f"(?!{cls})")


# -- highlighting ---------------------------------------------------------------------------


def highlight(text: str, query: Query) -> list[Span]:
    """The spans of `text` (original, not normalised) where a query term matches."""
    regex = query.regex()
    if regex is None:
        return []
    normalized, owner = _normalized_with_map(text)
    return _spans(regex, normalized, owner, 0, len(normalized))


def _spans(
    regex: re.Pattern[str], normalized: str, owner: Callable[[int], int], start: int, stop: int
) -> list[Span]:
    """Merged spans, in original offsets, of the matches starting in normalized[start:stop].

    Overlapping matches count too (`退退` in `退退退` covers all three), so the search goes
    on from the character after each match's start, not from its end.
    """
    spans: list[Span] = []
    pos = start
    while (m := regex.search(normalized, pos)) and m.start() < stop:
        pos = m.start() + 1
        if m.end() == m.start():
            continue
        lo, hi = owner(m.start()), owner(m.end() - 1) + 1
        if spans and lo <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(hi, spans[-1][1]))
        else:
            spans.append((lo, hi))
    return spans


def _normalized_with_map(text: str) -> tuple[str, Callable[[int], int]]:
    """Normalised text and a map from its offsets back to `text`'s.

    Normalising rarely changes the length (full-width letters stay one character); when it
    does (`ß` → `ss`, `㎏` → `kg`), normalise character by character to keep the map.
    """
    normalized = normalize(text)
    if len(normalized) == len(text):
        return normalized, _identity
    chars: list[str] = []
    owners: list[int] = []
    for i, ch in enumerate(text):
        n = normalize(ch)
        chars.append(n)
        owners.extend([i] * len(n))
    return "".join(chars), owners.__getitem__


def _identity(i: int) -> int:
    return i


def snippet(text: str, query: Query, cells: int = SNIPPET_CELLS) -> tuple[str, tuple[Span, ...]]:
    """About `cells` terminal cells of `text` around its first match, with highlight spans.

    Whitespace is collapsed to single spaces; a cut is marked with `…`; spans index the
    returned string. Only the window is searched for highlights, not the whole text.
    """
    flat = " ".join(text.split())
    regex = query.regex()
    normalized, owner = _normalized_with_map(flat)
    first = regex.search(normalized) if regex else None
    start, end = _window(flat, owner(first.start()) if first else 0, cells)
    spans: list[Span] = []
    if regex is not None:
        same = owner is _identity  # else offsets differ: scan it all, keep what is inside
        spans = _spans(regex, normalized, owner, start if same else 0, end if same else len(flat))
    head = "…" if start > 0 else ""
    tail = "…" if end < len(flat) else ""
    shift = len(head) - start
    inside = tuple(
        (max(s, start) + shift, min(e, end) + shift) for s, e in spans if s < end and e > start
    )
    return head + flat[start:end] + tail, inside


def _window(flat: str, anchor: int, cells: int) -> tuple[int, int]:
    """A window of `cells` cells with a quarter of it before the anchor, on word bounds."""
    start = _reach_back(flat, anchor, cells // 4)
    end = _reach_forward(flat, start, cells)
    if end == len(flat):  # the text ends first: use the room for more before the match
        start = _reach_back(flat, end, cells)
    return _word_start(flat, start, anchor), _word_end(flat, end)


def _cells(text: str) -> int:
    """Terminal cells, nearly: UTF-8 takes 1 byte for ASCII and 3 for CJK and full-width
    forms, so (bytes + characters) / 2 counts 1 and 2 for them, without a loop in Python."""
    return (len(text.encode()) + len(text)) // 2


def _reach_back(flat: str, end: int, cells: int) -> int:
    """The smallest start whose text up to `end` fits in `cells` (binary search)."""
    lo, hi = max(0, end - cells), end
    while lo < hi:
        mid = (lo + hi) // 2
        if _cells(flat[mid:end]) <= cells:
            hi = mid
        else:
            lo = mid + 1
    return lo


def _reach_forward(flat: str, start: int, cells: int) -> int:
    """The largest end whose text from `start` fits in `cells` (binary search)."""
    lo, hi = start, min(len(flat), start + cells)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if _cells(flat[start:mid]) <= cells:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _word_start(flat: str, start: int, anchor: int) -> int:
    """A cut inside a Latin word moves forward to the next word (never past the anchor)."""
    if not (0 < start < len(flat) and _latin(flat[start - 1]) and _latin(flat[start])):
        return start
    i = start
    while i < anchor and _latin(flat[i]):
        i += 1
    return i if i < anchor else start


def _word_end(flat: str, end: int) -> int:
    """A cut inside a Latin word extends to the word's end (at most 16 more characters)."""
    if not (0 < end < len(flat) and _latin(flat[end - 1]) and _latin(flat[end])):
        return end
    i = end
    while i < min(len(flat), end + 16) and _latin(flat[i]):
        i += 1
    return i if i == len(flat) or not _latin(flat[i]) else end


def _latin(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()

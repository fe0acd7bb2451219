"""Text → index tokens, the same on every backend: CJK as bigrams, other words as they are.

Chinese has no spaces, and the databases' own tokenizers either keep a whole run of Han
characters as one token (FTS5 `unicode61`, PostgreSQL's parser: a word inside the run is
never found) or index trigrams (FTS5 `trigram`: no 1- or 2-character word is ever found).
So the text is cut here:

- the text is NFKC-normalised and case-folded (full-width `ｉＰｈｏｎｅ１５` is `iphone15`);
- a run of CJK characters becomes its overlapping bigrams followed by its last character
  alone: `退款流程` → `退款 款流 流程 程`. Every character of the run is then the first
  character of one token, so a one-character query is a prefix query (`款*`), a two-character
  word is one token, and a longer word is the phrase of its bigrams (`"退款 款流 流程"`);
- other letters and digits become words, split where letters meet digits (`iPhone15` →
  `iphone 15`) so that `iPhone 15` and `iPhone15` find each other.

The output tokens contain only letters, digits and CJK characters, so any tokenizer that
splits on spaces (FTS5 `ascii`, a `tsvector` literal) indexes them exactly as written.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

# Han (with extensions and compatibility ideographs), kana and the iteration marks: scripts
# written without spaces between words.
CJK_CLASS = (
    "\u3005\u3007\u3021-\u3029\u3038-\u303b\u3040-\u30ff\u31f0-\u31ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
)
MAX_TOKEN = 64  # longer words are cut (PostgreSQL refuses lexemes over 2 KB)
_LETTERS = rf"[^\W\d_{CJK_CLASS}]"  # letters of scripts written with spaces
TOKEN_RE = re.compile(rf"([{CJK_CLASS}]+)|(\d+)|({_LETTERS}+)")
INDEX_RE = re.compile(
    rf"(?=([{CJK_CLASS}][{CJK_CLASS}]?|\d{{1,{MAX_TOKEN}}}|{_LETTERS}{{1,{MAX_TOKEN}}}))"
    rf"(?:[{CJK_CLASS}]|\d+|{_LETTERS}+)"
)
SEPARATOR = "\ue000"  # a token between tags: no query produces it, so no phrase crosses it

PieceKind = Literal["cjk", "digits", "letters"]

_FULL_WIDTH_PUNCTUATION = tuple((c, unicodedata.normalize("NFKC", c)) for c in "，：；？！（）")


@dataclass(frozen=True, slots=True)
class Piece:
    """A maximal run of one kind of character in normalised text, with its offsets."""

    kind: PieceKind
    text: str
    start: int
    end: int


def normalize(text: str) -> str:
    """NFKC then case-folding: the form both the index and the query are cut from.

    NFKC is slow on Chinese text, and what makes most Chinese text not NFKC already is a
    handful of full-width punctuation marks, so those are replaced first by what NFKC maps
    them to (the same result, several times faster).
    """
    if text.isascii():
        return text.lower()
    for wide, narrow in _FULL_WIDTH_PUNCTUATION:
        if wide in text:
            text = text.replace(wide, narrow)
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return text.casefold()


def pieces(normalized: str) -> Iterator[Piece]:
    """The runs of CJK, digits and other letters in already normalised text."""
    for m in TOKEN_RE.finditer(normalized):
        kind: PieceKind = "cjk" if m.group(1) else "digits" if m.group(2) else "letters"
        yield Piece(kind, m.group(), m.start(), m.end())


def cjk_tokens(run: str) -> list[str]:
    """Overlapping bigrams, then the last character alone (`退款流程` → 退款 款流 流程 程)."""
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)] + [run[-1]]


def index_text(text: str) -> str:
    """The tokens to index for `text`, in order and joined by spaces (what FTS5 stores).

    One `findall` does it all in C, for speed (a bulk load cuts 100,000 articles): at each
    CJK character the lookahead captures it with the next one (or alone at the end of its
    run) and one character is consumed; at a word, the word is captured and consumed.
    """
    return " ".join(INDEX_RE.findall(normalize(text)))


def index_tokens(text: str) -> list[str]:
    """The tokens to index for `text`, in order (positions matter for phrases)."""
    return index_text(text).split()


def tags_text(tags: Iterable[str]) -> str:
    """Every tag's tokens, with a separator between tags so a phrase never spans two."""
    return f" {SEPARATOR} ".join(filter(None, map(index_text, tags)))


def tags_tokens(tags: Iterable[str]) -> list[str]:
    return tags_text(tags).split()


def cut_fields(title: str, tags: Iterable[str], body: str) -> tuple[str, str, str]:
    """An article's title, tags and body as index text (space-separated tokens)."""
    return index_text(title), tags_text(tags), index_text(body)

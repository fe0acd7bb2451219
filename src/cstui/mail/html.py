"""HTML-only mail read as text, never rendered.

Beautiful Soup (MIT) with Python's own `html.parser` builds the tree: no network, no
scripts, no styles, no images are ever fetched or run. Scripts, styles and the head are
dropped; block elements and <br> become line breaks so paragraphs stay paragraphs, and a
<blockquote> (how Apple Mail, Gmail and Thunderbird quote in HTML) becomes ">" lines that
`quote.trim` recognises like any quoted text. Entities
are decoded, so `&#27;` becomes a real ESC in the text: the text is data, and the console
shows it through `cstui.domain.display.inert` like any customer text.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup

_DROPPED = ("script", "style", "head", "title", "noscript", "template", "object", "iframe")
_BLOCKS = (
    "p",
    "div",
    "li",
    "tr",
    "table",
    "blockquote",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "pre",
    "hr",
    "ul",
    "ol",
    "section",
    "article",
)
_SPACES = re.compile(r"[ \t\f\v\u00a0\u3000]+")
_BLANKS = re.compile(r"\n{3,}")


def html_to_text(html: str) -> str:
    """The readable text of `html`: paragraphs on their own lines, nothing interpreted."""
    soup = BeautifulSoup(html, "html.parser")
    for element in soup.find_all(_DROPPED):
        element.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for block in soup.find_all(_BLOCKS):
        block.insert_before("\n")
        block.insert_after("\n")
    for cell in soup.find_all(("td", "th")):
        cell.insert_after("\t")
    # Innermost first (they come later in document order), so nested quotes get "> > ".
    for quote in reversed(soup.find_all("blockquote")):
        quoted = "\n".join(f"> {line}".rstrip() for line in _lines(quote.get_text()) if line)
        quote.replace_with(f"\n{quoted}\n")
    return _BLANKS.sub("\n\n", "\n".join(_lines(soup.get_text()))).strip()


def _lines(text: str) -> list[str]:
    return [_SPACES.sub(" ", line).strip() for line in text.splitlines()]

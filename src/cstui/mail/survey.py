"""A reply to our satisfaction survey: the customer answers with one digit, 1 to 5."""

from __future__ import annotations

import re
import unicodedata

# "5", "５", "5分", "4 星", "3颗星", "2 stars", "1." — the digit alone on its line.
_ANSWER = re.compile(r"^\s*([1-5])\s*(?:分|星|颗星|stars?|points?)?\s*[.。!！]*\s*$", re.IGNORECASE)


def survey_answer(text: str) -> int | None:
    """The score in a survey reply whose first non-blank line is a digit 1–5, else None.

    Give it the trimmed text: the quoted survey below the answer is not read."""
    for line in unicodedata.normalize("NFKC", text).splitlines():
        if line.strip():
            found = _ANSWER.match(line)
            return int(found.group(1)) if found else None
    return None

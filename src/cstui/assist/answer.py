"""The text of an automatic answer: the best article, and for a known order its parcel's
state first (what "where is my parcel" asks), in the customer's language.

Pure: the store hands in the order and the article; nothing here reads storage.
"""

from __future__ import annotations

from cstui.domain.model import Order
from cstui.domain.parcels import parcel_line

ASSISTANT = "智能客服"  # the author of an automatic answer, as the thread shows it
# A parcel in these states needs a person (an exception is a lost or held parcel).
NEEDS_A_PERSON = frozenset({"exception", "returned"})


def answer_text(body: str, order: Order | None, lang: str) -> str:
    """The reply: the order's parcel line (when there is an order) above the article's text."""
    body = body.strip()
    return f"{parcel_line(order, lang)}\n\n{body}" if order is not None else body

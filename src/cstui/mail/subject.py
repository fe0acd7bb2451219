"""Subjects: the ticket tag we put in them, and the form threading compares.

We append "[#1234]" (the prefix is configurable) to every subject we send; a customer's
reply keeps it, whatever their client adds in front ("Re:", "回复:", "答复:", "Fwd:",
"转发:", "RE[2]:", in full-width forms too). The rules are the domain's
(`cstui.domain.subject`), so the parser and the store's threading read a subject alike.
"""

from __future__ import annotations

import re

from cstui.domain.subject import normalise_subject as normalise
from cstui.domain.subject import strip_subject as strip_prefixes
from cstui.domain.subject import tag_pattern, ticket_tag

__all__ = ["normalise", "strip_prefixes", "tagged", "ticket_tag"]

_SPACE = re.compile(r"\s+")


def tagged(subject: str, ticket_id: int, prefix: str = "#") -> str:
    """`subject` carrying our tag for `ticket_id` (once, at the end)."""
    if ticket_tag(subject, prefix) == ticket_id:
        return subject
    base = _SPACE.sub(" ", tag_pattern(prefix).sub(" ", subject)).strip()
    return f"{base} [{prefix}{ticket_id}]".strip()

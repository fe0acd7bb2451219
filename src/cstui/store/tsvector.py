"""PostgreSQL tsvectors written as literals from pre-cut tokens (both search indexes).

PostgreSQL's own parser and dictionaries never touch the text: the tokens are the ones
`cstui.search.segment` cut, each with its positions and its field's weight.
"""

from __future__ import annotations

PG_MAX_POSITION = 16_383
PG_MAX_POSITIONS = 256  # per lexeme, PostgreSQL keeps no more


def tsvector_literal(fields: list[tuple[str, list[str]]]) -> str:
    """A tsvector as text: each token with its positions and its field's weight.

    A position gap between fields keeps every phrase inside one field.
    """
    positions: dict[str, list[str]] = {}
    pos = 1
    for weight, tokens in fields:
        for token in tokens:
            positions.setdefault(token, []).append(f"{min(pos, PG_MAX_POSITION)}{weight}")
            pos += 1
        pos += 1
    return " ".join(
        "'" + t.replace("\\", "\\\\").replace("'", "''") + "':" + ",".join(p[:PG_MAX_POSITIONS])
        for t, p in positions.items()
    )

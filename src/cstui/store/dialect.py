"""What differs by database, loaded only for the database in use.

SQLAlchemy imports a dialect's package when its name is first used: importing
`sqlalchemy.dialects.postgresql.insert` (or an index with `postgresql_where=`, see
`schema.partial_index`) loads the whole PostgreSQL dialect, ~16 ms and ~1.5 MB, even on
a SQLite store and before the console's first row. So it is imported on first use.
"""

from __future__ import annotations

from typing import Any


def insert_for(dialect: str) -> Any:
    """The dialect's INSERT construct, with its `on_conflict_do_*` methods."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert

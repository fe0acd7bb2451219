"""Schema migrations (alembic; batch mode on SQLite).

The revision list is spelled out here so that opening a store can check its schema with one
query, without importing alembic; a test keeps this list equal to alembic's own history.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the revisions are read before SQLAlchemy is loaded (`store/glance.py`)
    from sqlalchemy import Engine

KNOWN_REVISIONS = (
    "0001",
    "0002",
    "0003",
    "0004",
    "0005",
    "0006",
    "0007",
    "0008",
    "0009",
    "0010",
    "0011",
    "0012",
    "0013",
    "0015",
    "0016",
)
HEAD_REVISION = KNOWN_REVISIONS[-1]
SCRIPT_LOCATION = Path(__file__).parent


# Search tables (FTS5 and its helpers) are made by hand-written migrations, not the models:
# autogenerate must not propose to drop them.
SEARCH_TABLE_PREFIXES = ("kb_fts", "kb_head", "kb_search", "ticket_fts", "ticket_search")


def env_include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Alembic's filter: everything but the reflected search tables."""
    searchy = name is not None and name.startswith(SEARCH_TABLE_PREFIXES)
    return not (type_ == "table" and reflected and searchy)


def alembic_config(engine: Engine) -> object:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Create or migrate the schema to `revision`."""
    from alembic import command

    command.upgrade(alembic_config(engine), revision)  # type: ignore[arg-type]

"""The store: the one seam between the helpdesk's users and its data.

`cstui.store.base` (the protocol and the views) is light; the SQL implementation pulls in
SQLAlchemy, so it is imported only when a store is opened (the console paints first).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from cstui.store.base import HelpdeskStore, View

if TYPE_CHECKING:
    from cstui.domain.rules import Rules
    from cstui.store.sql import Clock, SqlStore

__all__ = ["HelpdeskStore", "SqlStore", "View", "init_store", "open_store"]


def __getattr__(name: str) -> Any:
    if name == "SqlStore":
        from cstui.store.sql import SqlStore

        return SqlStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def open_store(
    target: str,
    *,
    rules: Rules | None = None,
    clock: Clock | None = None,
    pool_size: int | None = None,
    pool_overflow: int | None = None,
) -> SqlStore:
    """Open an existing store, keeping up to `pool_size` connections open and opening up to
    `pool_overflow` more under load (None: the backend's default)."""
    from cstui.store.engine import Pool
    from cstui.store.sql import SqlStore, utcnow

    pool = Pool(pool_size, pool_overflow)
    return SqlStore.open(target, rules=rules, clock=clock or utcnow, pool=pool)


def init_store(target: str, *, rules: Rules | None = None, clock: Clock | None = None) -> SqlStore:
    """Create an empty store, or migrate an existing one to the current schema."""
    from cstui.store.engine import check_schema, make_engine, normalise_url, sqlite_path
    from cstui.store.migrations import upgrade
    from cstui.store.sql import SqlStore, utcnow

    url = normalise_url(target)
    path = sqlite_path(url)
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    _refuse_newer(engine, url)
    upgrade(engine)
    check_schema(engine, url)
    return SqlStore(engine, rules=rules, clock=clock or utcnow)


def _refuse_newer(engine: object, url: str) -> None:
    from cstui.errors import Unavailable
    from cstui.store.engine import current_revision, display_url
    from cstui.store.migrations import HEAD_REVISION, KNOWN_REVISIONS

    revision = current_revision(engine, url)  # type: ignore[arg-type]
    if revision is not None and revision not in KNOWN_REVISIONS:
        raise Unavailable(
            f"store {display_url(url)} has schema {revision}, newer than this cstui "
            f"({HEAD_REVISION}): upgrade cstui"
        )

"""`cstui backup PATH`: a consistent copy of a SQLite store, taken while it is in use.

SQLite's online backup API copies the store page by page inside one read transaction: in
WAL mode, writers (a running server, agents' consoles) go on meanwhile, and the copy is the
store as of the moment that transaction began. The copy is written beside PATH and moved
into place only once it is complete and passes SQLite's quick check, so PATH never holds
half a backup.

PostgreSQL has its own tool for this: `pg_dump` (the message says how), which also takes a
consistent snapshot of a live database.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from cstui.errors import BadInput, Unavailable
from cstui.store.engine import BUSY_TIMEOUT_MS, display_url, normalise_url, sqlite_path


@dataclass(frozen=True, slots=True)
class Backup:
    path: Path
    bytes: int
    pages: int


def backup(target: str, dest: Path, *, overwrite: bool = False) -> Backup:
    """Copy the store `target` to `dest` (BadInput for PostgreSQL: pg_dump does that)."""
    url = normalise_url(target)
    source = sqlite_path(url)
    if source is None:
        if url.startswith("postgresql"):
            raise BadInput(pg_dump_advice(url, dest))
        raise BadInput(f"backup: not a SQLite store: {display_url(url)}")
    if not source.is_file():
        raise Unavailable(f"no store at {source}: nothing to back up")
    _check_destination(source, dest, overwrite=overwrite)
    fd, partial = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".partial", dir=dest.parent)
    os.close(fd)
    try:
        pages = _copy(source, Path(partial))
        os.replace(partial, dest)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(partial)
    return Backup(dest, dest.stat().st_size, pages)


def pg_dump_advice(url: str, dest: Path) -> str:
    """How to back up a PostgreSQL store instead (one line; no password shown)."""
    shown = display_url(url).replace("postgresql+psycopg://", "postgresql://", 1)
    return (
        "backup: the store is PostgreSQL, which pg_dump backs up while it runs: "
        f"pg_dump --format=custom --file '{dest}' '{shown}' "
        "(restore into an empty database with pg_restore --no-owner --dbname URL FILE)"
    )


def _check_destination(source: Path, dest: Path, *, overwrite: bool) -> None:
    if not dest.parent.is_dir():
        raise BadInput(f"backup: no directory {dest.parent}")
    if dest.exists():
        if dest.is_dir():
            raise BadInput(f"backup: {dest} is a directory: name the backup file")
        if dest.resolve() == source.resolve():
            raise BadInput(f"backup: {dest} is the store itself")
        if not overwrite:
            raise BadInput(f"backup: {dest} exists (--force replaces it)")


def _copy(source: Path, dest: Path) -> int:
    """The online backup into `dest`, quick-checked; how many pages it holds."""
    timeout = BUSY_TIMEOUT_MS / 1000
    try:
        uri = f"file:{quote(str(source.resolve()))}?mode=ro"
        src = sqlite3.connect(uri, uri=True, timeout=timeout)
        try:
            out = sqlite3.connect(dest, timeout=timeout)
            try:
                src.backup(out)  # every page in one step: one consistent snapshot
                check = out.execute("PRAGMA quick_check").fetchone()[0]
                pages = int(out.execute("PRAGMA page_count").fetchone()[0])
            finally:
                out.close()
        finally:
            src.close()
    except sqlite3.Error as exc:
        raise Unavailable(f"backup of {source}: {exc}") from None
    if check != "ok":
        raise Unavailable(f"backup of {source}: the copy failed its check: {check}")
    return pages

"""Where a store is: a bare path means SQLite; URLs pass through (no SQLAlchemy here)."""

from __future__ import annotations

from pathlib import Path


def normalise_url(target: str) -> str:
    """A bare path means SQLite; URLs pass through."""
    if "://" in target:
        if target.startswith("postgresql://"):
            return "postgresql+psycopg://" + target.removeprefix("postgresql://")
        return target
    return f"sqlite:///{Path(target).expanduser()}"


def sqlite_path(url: str) -> Path | None:
    if not url.startswith("sqlite:///"):
        return None
    rest = url.removeprefix("sqlite:///")
    return None if rest in ("", ":memory:") else Path(rest)

"""Seeded worlds for tests: built once (a session or a module), copied for each test, so
that a test may write freely without paying for a seed of its own."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from cstui.demo.knowledge import load_knowledge
from cstui.domain.rules import Rules
from cstui.seed import seed_store
from cstui.store import init_store


def seeded_world(
    directory: Path,
    *,
    clock: Callable[[], datetime],
    tickets: int,
    customers: int,
    seed: int,
    knowledge: bool = False,
) -> Path:
    """A store at `directory`/world.db seeded at the clock's time (and its knowledge base)."""
    path = directory / "world.db"
    store = init_store(str(path), rules=Rules(), clock=clock)
    seed_store(store, tickets=tickets, customers=customers, seed=seed, now=clock(), workers=1)
    if knowledge:
        load_knowledge(store, None, seed=seed)
    store.close()
    return path


def copied(world: Path, directory: Path) -> Path:
    """A copy of the seeded `world` in `directory`, for one test to write to."""
    copy = directory / "world.db"
    shutil.copy(world, copy)
    return copy

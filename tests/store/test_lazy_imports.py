"""Opening a SQLite store for the console's queue loads only what the queue needs.

The PostgreSQL dialect, the knowledge base (its segmenter, multiprocessing for bulk
indexing), ticket search and export cost the console's first row time and memory; they
load when first used. A fresh interpreter shows what an import really brings in.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cstui.domain.model import Category, Channel, Role, Shift
from cstui.store import init_store
from cstui.store.base import NewCustomer, NewTicket

# What the console does with its store before its first row: open it, read the agent,
# the first page of a view and the views' counts.
QUEUE = """
import json, sys
from cstui.store import View, open_store
store = open_store(sys.argv[1])
store.get_agent("alice")
page = store.list_tickets(View.UNASSIGNED, actor="alice", limit=100)
counts = [store.count_tickets(v, actor="alice") for v in View]
print(json.dumps({"rows": len(page.items), "modules": sorted(sys.modules)}))
"""

NOT_FOR_THE_QUEUE = (
    "sqlalchemy.dialects.postgresql",
    "psycopg",
    "cstui.store.kb",
    "cstui.store.ticket_search",
    "cstui.store.transfer",
    "multiprocessing",
)


def _loaded(script: str, *args: str) -> tuple[dict[str, object], set[str]]:
    src = str(Path(__file__).resolve().parents[2] / "src")
    env = {**os.environ, "PYTHONPATH": src}
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    out = json.loads(done.stdout)
    return out, set(out.pop("modules"))  # type: ignore[arg-type]


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.startswith(NOT_FOR_THE_QUEUE))


@pytest.fixture
def target(tmp_path: Path) -> str:
    """A SQLite store with alice and one unassigned ticket."""
    path = str(tmp_path / "q.db")
    store = init_store(path)
    store.add_agent("alice", Role.AGENT, Shift.MORNING)
    customer = store.add_customer(NewCustomer("陈静", phone="13911112222")).id
    store.create_ticket(NewTicket(customer, "包裹没到", "三天了", Channel.CHAT, Category.LOGISTICS))
    store.close()
    return path


def test_the_queue_of_a_sqlite_store_loads_no_other_dialect_and_no_knowledge_base(
    target: str,
) -> None:
    out, modules = _loaded(QUEUE, target)

    assert out["rows"] == 1  # the queue really was read
    assert "sqlalchemy.dialects.sqlite" in modules
    assert _heavy(modules) == []


def test_the_knowledge_base_loads_when_it_is_first_searched(target: str) -> None:
    script = QUEUE.replace("print(", 'store.search_articles("退款")\nprint(')

    out, modules = _loaded(script, target)

    assert out["rows"] == 1
    assert "cstui.store.kb.articles" in modules


# What the console does before its store is open, on a local store: the first look.
FIRST_LOOK = """
import json, sys
from datetime import timedelta
from cstui.store.base import View
from cstui.store.glance import first_look
look = first_look(sys.argv[1], "alice", View.UNASSIGNED, limit=100, green_window=timedelta(hours=2))
print(json.dumps({"rows": len(look.page.items), "modules": sorted(sys.modules)}))
"""


def test_the_first_look_needs_no_sqlalchemy(target: str) -> None:
    out, modules = _loaded(FIRST_LOOK, target)

    assert out["rows"] == 1  # the queue really was read
    assert sorted(m for m in modules if m.startswith(("sqlalchemy", "cstui.store.sql"))) == []

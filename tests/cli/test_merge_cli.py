"""`tickets merge` and `tickets link` from the command line: exit codes and JSON."""

from __future__ import annotations

import json

from cstui.domain.model import Channel
from cstui.store import SqlStore
from cstui.store.base import NewCustomer
from tests.cli.test_bulk import db_of, store  # noqa: F401  (fixture)
from tests.cli.test_cli import run
from tests.store.test_merge import ticket


def test_merge_across_customers_is_exit_3_and_within_one_is_done(store: SqlStore) -> None:  # noqa: F811
    one = store.add_customer(NewCustomer("甲", phone="13000000001")).id
    two = store.add_customer(NewCustomer("乙", phone="13000000002")).id
    a, b = (ticket(store, one, s, Channel.CHAT, "包裹") for s in ("包裹一", "包裹二"))
    c = ticket(store, two, "别人", Channel.CHAT, "你好")
    db = db_of(store)
    refused = run(db, "tickets", "merge", str(c), "--into", str(a), agent="alice")
    assert refused.returncode == 3 and "different customers" in refused.stderr
    assert refused.stderr.count("\n") == 1
    merged = run(db, "tickets", "merge", str(b), "--into", str(a), "--json", agent="alice")
    assert merged.returncode == 0, merged.stderr
    survivor = json.loads(merged.stdout)
    assert survivor["id"] == a and b in survivor["links"] and len(survivor["messages"]) == 2
    shown = json.loads(run(db, "tickets", "show", str(b), "--json").stdout)
    assert shown["merged_into"] == a and shown["status"] == "closed"
    assert run(db, "tickets", "take", str(a), agent="alice").returncode == 0
    refused = run(db, "tickets", "link", str(a), str(c), agent="bob")  # not bob's ticket
    assert refused.returncode == 5 and "owner (alice)" in refused.stderr
    linked = run(db, "tickets", "link", str(a), str(c), agent="alice")
    assert linked.returncode == 0 and f"#{c}" in linked.stdout

"""The workflows table: every key under the id a keymap names, and a new workflow as one
entry that the console then runs like the others (its dialog, its store call, its notice)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual.binding import Binding

from cstui.console.app import app_bindings
from cstui.console.dialogs import FormDialog
from cstui.console.queue import QueueList
from cstui.console.workflows import WORKFLOWS, Workflow
from cstui.domain.model import Priority
from cstui.i18n import label
from cstui.store import SqlStore
from tests.console.conftest import AppFactory
from tests.console.test_workflows import infos, shown
from tests.pilots import settle

README = Path(__file__).parents[2] / "README.md"


def test_every_key_is_bound_under_the_id_the_readme_names() -> None:
    block = README.read_text(encoding="utf-8").split("[keymap]", 1)[1].split("```", 1)[0]
    named = {w for line in block.splitlines() if "#" in line for w in line.split("#")[1].split()}
    named.discard("ids:")
    bindings = app_bindings()
    marks = [b.id for b in QueueList.BINDINGS if isinstance(b, Binding) and b.id == "mark"]
    ids = [b.id for b in bindings] + marks
    assert len(ids) == len(set(ids))
    assert named == {i for i in ids if i and not i.startswith("pane.")}  # 1-4 are not named
    assert bindings[0].id == "quit"  # the footer's first key: a new user's way out
    flows = bindings[1 : 1 + len(WORKFLOWS)]  # then the table's, in its order: the footer's
    assert [b.id for b in flows] == list(WORKFLOWS)
    assert all(re.fullmatch(r"workflow\('[a-z-]+'\)", b.action) for b in flows)


async def test_a_new_workflow_is_one_entry(
    make_app: AppFactory, store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    priority = Workflow(
        "priority",
        "p",
        "action.priority",
        ask=lambda r: FormDialog(r.title, choices=[(p.value, label(p)) for p in Priority]),
        write=lambda s, r: s.set_priority(
            r.ticket_id, actor=r.actor, priority=Priority(r.choice), expected_version=r.version
        ),
        done=lambda r, _: f"#{r.ticket_id} is {r.choice} now",
    )
    monkeypatch.setitem(WORKFLOWS, priority.id, priority)
    app = make_app(keymap={"priority": "P"})
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        ticket_id = shown(app).id
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("P")
        assert isinstance(app.screen, FormDialog)
        assert app.screen.title_text == f"action.priority #{ticket_id}"
        await pilot.press("enter")  # urgent is first
        await settle(pilot)
        assert store.get_ticket(ticket_id).priority is Priority.URGENT
        assert f"#{ticket_id} is urgent now" in infos(app)
        assert shown(app).priority is Priority.URGENT  # the ticket is shown again

"""The small things an agent reads all day: money, deadlines that are met or paused, the
CLI's times with their zone, the theme check, the transfer picker's order, the templates."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from rich.cells import cell_len

from cstui.cli.timetext import offset, short, stamp
from cstui.console.customer import order_line
from cstui.console.themes import check_theme
from cstui.domain.deadlines import DeadlineName, DueState, ticket_deadlines
from cstui.domain.model import (
    Category,
    Channel,
    Customer,
    Message,
    MessageKind,
    Priority,
    SlaDue,
    Status,
    Ticket,
    Tier,
)
from cstui.domain.money import yuan
from cstui.domain.supervision import AgentState, handoff_key
from cstui.errors import BadInput

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def ticket(**fields: object) -> Ticket:
    base: dict[str, object] = dict(
        id=7,
        subject="退款",
        status=Status.OPEN,
        priority=Priority.NORMAL,
        channel=Channel.CHAT,
        category=Category.REFUND,
        customer=Customer(id=1, name="张三", tier=Tier.FIRST_COMPLAINT),
        owner="alice",
        dispatch_count=1,
        version=1,
        green_channel=False,
        created_at=NOW,
        updated_at=NOW,
        due=SlaDue(),
    )
    return Ticket(**(base | fields))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("amount", "text"),
    [(1215.49, "¥1,215.49"), (576.24, "¥576.24"), (1215.0, "¥1,215.00"), (-30, "-¥30.00")],
)
def test_money_is_written_one_way(amount: float, text: str) -> None:
    assert yuan(amount) == text


@pytest.mark.parametrize("width", [14, 18, 22, 30, 40])
def test_an_order_amount_is_never_cut(width: int) -> None:
    text = order_line("SO202611200042", yuan(1215.49), "运输中", width)
    assert all(cell_len(line) <= width for line in text.split("\n"))
    assert "¥1,215.49" in text
    assert "SO202611200042" in text or width < 14


def test_first_response_met_after_a_reply_and_a_pending_ticket_paused() -> None:
    reply = Message(7, 7, MessageKind.REPLY, Channel.CHAT, "alice", "您好", NOW)
    met = ticket(due=SlaDue(resolution=NOW + timedelta(hours=8)), messages=(reply,))
    states = {d.name: d for d in ticket_deadlines(met)}
    assert states[DeadlineName.FIRST_RESPONSE].state is DueState.MET
    assert states[DeadlineName.FIRST_RESPONSE].at == NOW
    assert states[DeadlineName.RESOLUTION].state is DueState.DUE
    pending = {d.name: d.state for d in ticket_deadlines(ticket(status=Status.PENDING))}
    assert pending[DeadlineName.RESOLUTION] is DueState.PAUSED


def test_the_green_deadline_leads_the_deadlines() -> None:
    green = ticket(green_channel=True, due=SlaDue(green=NOW + timedelta(hours=2)))
    first = ticket_deadlines(green)[0]
    assert (first.name, first.at) == (DeadlineName.GREEN, NOW + timedelta(hours=2))
    assert green.due.headline() == NOW + timedelta(hours=2)


def test_cli_times_are_local_and_say_their_zone() -> None:
    tz = ZoneInfo("Asia/Shanghai")
    assert stamp(NOW, tz) == "2026-11-20 10:00 +08:00"
    assert short(NOW, tz) == "11-20 10:00" and offset(tz, NOW) == "+08:00"
    assert offset(ZoneInfo("America/St_Johns"), NOW) == "-03:30"


def test_an_unknown_theme_is_refused_with_the_list(tmp_path: Path) -> None:
    with pytest.raises(BadInput) as caught:
        check_theme("nope", tmp_path)
    message = str(caught.value)
    assert "nope" in message and "cstui-light" in message and "\n" not in message
    check_theme("cstui-light", tmp_path)  # a real one passes


def test_transfer_candidates_at_their_console_and_least_loaded_first() -> None:
    keys = {
        "busy": handoff_key(AgentState.ONLINE, 9, "busy"),
        "free": handoff_key(AgentState.WORKING, 1, "free"),
        "away": handoff_key(AgentState.AWAY, 0, "away"),
        "off": handoff_key(AgentState.OFF, 0, "off"),
        "paused": handoff_key(AgentState.PAUSED, 0, "paused"),
    }
    assert sorted(keys, key=keys.__getitem__) == ["free", "busy", "away", "paused", "off"]


def test_refund_progress_does_not_promise_a_date_and_3_to_7_days_at_once() -> None:
    templates = json.loads((FIXTURES / "kb" / "templates.json").read_text("utf-8"))
    (found,) = [t for t in templates if t["key"] == "tpl-refund-progress"]
    for lang in ("zh", "en"):
        body = found[lang]["body"]
        assert "{due_date}" not in body and "3–7" in body


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_light_theme_draws_unfocused_pane_borders_visibly() -> None:
    """Unfocused panes are framed in $panel-lighten-2 (app.tcss): on the light theme that
    was white on off-white; it must stand 3:1 against the background."""
    from cstui.console.themes import available_themes

    light = available_themes(Path("/nonexistent"))["cstui-light"]
    border = light.variables["panel-lighten-2"]
    assert light.background is not None
    a, b = sorted((_luminance(border), _luminance(light.background)))
    assert (b + 0.05) / (a + 0.05) >= 3.0


def test_view_tabs_break_between_tabs_never_inside_one() -> None:
    from cstui.console.tabs import pack_tabs

    tabs = [("Mine 7", False), ("New 15", True), ("Open 251", False), ("Esc 54", False)]
    lines = pack_tabs(tabs, 24).split("\n")
    plain = [line.replace("[reverse b]", "").replace("[/]", "") for line in lines]
    assert plain == ["Mine 7 ·  New 15 ", "Open 251 · Esc 54"]
    assert all(cell_len(p) <= 24 for p in plain)
    assert pack_tabs([("[x] 1", False)], 40) == "\\[x] 1"  # outside text stays text


def test_a_denied_transfer_tells_the_owner_why() -> None:
    from cstui.domain.automations import AutomationPolicy, EventFacts, Urgency
    from cstui.domain.automations.rules import evaluate_event
    from cstui.domain.model import EventKind

    ev = EventFacts(9, 7, NOW, EventKind.TRANSFER_DENIED, "alice", note="他今天满单")
    (firing,) = evaluate_event(ev, AutomationPolicy())
    (action,) = firing.actions
    assert action.recipients == ("alice",) and action.urgency is Urgency.URGENT  # type: ignore[attr-defined]
    assert action.params["note"] == "他今天满单"  # type: ignore[attr-defined]
    assert action.text_key == "automation.transfer_denied"  # type: ignore[attr-defined]

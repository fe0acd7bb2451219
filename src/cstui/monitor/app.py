"""The supervisor's monitor: the live floor over one `HelpdeskStore`, read-only by default.

Every store call runs in a thread worker (`_io`); the UI thread only draws what came back.
The floor (queues, SLA, green channel, escalations, agents, transfers) refreshes every two
seconds at most, and the next refresh starts only after the last one has come back; the
quality figures replay the log, so today's and this week's refresh every half minute and the
chosen month every ten minutes. Each waits longer when its last run was slow (`PACING`).
A supervisor switches to acting with `a`; every action then goes through the store's own
rules and is audited there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from time import monotonic
from typing import Any, TypeVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.timer import Timer
from textual.widgets import Footer, Static, TabbedContent, TabPane

from cstui.console.dialogs import Answer, FormDialog
from cstui.console.safe import SafeApp, plain
from cstui.domain.model import Agent, EscalationState, Role, TransferRequest
from cstui.domain.ownership import is_supervising
from cstui.domain.report import DEFAULT_GOALS, Goal, window
from cstui.domain.supervision import SyncItem, sync_csv, sync_sheet
from cstui.errors import CstuiError
from cstui.i18n import label, t
from cstui.monitor import rows as R
from cstui.monitor.data import (
    Floor,
    Month,
    Recent,
    gather_floor,
    gather_month,
    gather_recent,
    next_delay,
)
from cstui.monitor.trends import CHART_FIGURES, TrendCharts
from cstui.monitor.widgets import FloorTable
from cstui.reporting import period_text
from cstui.store.base import HelpdeskStore

T = TypeVar("T")

ACTING_ACTIONS = frozenset({"decide", "reassign", "green", "acknowledge", "pause"})
# How many times its own duration a refresh waits at least: the floor may take a third of the
# time, a replay of the log a tenth.
PACING = {"floor": 3.0, "recent": 10.0, "month": 10.0}
TABS = ("queues", "sla", "green", "escalations", "agents", "transfers", "figures")


@dataclass(frozen=True)
class MonitorConfig:
    """What the monitor needs besides the store; built by the CLI from the settings."""

    actor: str
    tz: tzinfo = UTC
    risk_window: timedelta = timedelta(minutes=30)
    goals: Mapping[str, Goal] = field(default_factory=lambda: dict(DEFAULT_GOALS))
    theme: str = "cstui-dark"
    themes_dir: Path | None = None
    export_dir: Path = Path(".")
    refresh_every: float = 2.0  # seconds; never faster on a local store
    figures_every: float = 30.0  # today and this week; at least PACING x the last replay
    month_every: float = 600.0  # the chosen month: a bigger replay, and it changes slowly
    # Called once after the first paint (the automations sweeper on a local store); returns
    # what stops it on quit.
    background: Callable[[], Callable[[], None]] | None = None


def monitor_bindings() -> list[Binding]:
    """The monitor's keys, labelled in the current language (ids are what keymaps name)."""
    tabs = [
        Binding(str(i + 1), f"tab('{tab}')", t(f"monitor.tab.{tab}"), show=False, id=f"tab.{tab}")
        for i, tab in enumerate(TABS)
    ]
    return [
        *tabs,
        Binding("a", "act", t("monitor.act"), id="act"),
        Binding("y", "decide(True)", t("monitor.approve"), id="approve"),
        Binding("n", "decide(False)", t("monitor.deny"), id="deny"),
        Binding("r", "reassign", t("monitor.reassign"), id="reassign"),
        Binding("g", "green", t("monitor.green_key"), id="green"),
        Binding("k", "acknowledge", t("monitor.acknowledge"), id="acknowledge"),
        Binding("p", "pause", t("monitor.pause"), id="pause"),
        Binding("e", "export", t("monitor.export"), id="export"),
        Binding(
            "left_square_bracket", "month(-1)", t("monitor.month_prev"), show=False, id="month.prev"
        ),
        Binding(
            "right_square_bracket", "month(1)", t("monitor.month_next"), show=False, id="month.next"
        ),
        Binding("t", "trend", t("monitor.trend_key"), show=False, id="trend"),
        Binding("ctrl+r", "refresh", t("action.reload"), show=False, id="reload"),
        Binding("q", "quit", t("action.quit"), id="quit"),
    ]


def build_monitor(
    open_store: Callable[[], HelpdeskStore],
    config: MonitorConfig,
    *,
    clock: Callable[[], datetime] | None = None,
) -> MonitorApp:
    """The monitor with its key labels in the chosen language (BINDINGS are read per class)."""
    labelled = type("MonitorApp", (MonitorApp,), {"BINDINGS": monitor_bindings()})
    return labelled(open_store, config, clock=clock)


class MonitorApp(SafeApp):
    """Queues, SLA, the green channel, escalations, agents, transfers and the figures."""

    TITLE = "cstui monitor"
    CSS = """
    #monitor-header { height: 1; background: $primary; color: $text; padding: 0 1; }
    #monitor-header.-acting { background: $warning; color: $text; text-style: bold; }
    #green-strip { height: auto; max-height: 2; color: $green-channel; padding: 0 1; }
    #green-strip.-overdue { color: $sla-breached; text-style: bold; }
    #deliveries.-failed { color: $sla-breached; }
    .summary { height: auto; color: $text-muted; }
    #figure-table { height: auto; max-height: 12; }  /* every figure; the charts take the rest */
    #tabs { height: 1fr; }
    #tabs ContentSwitcher { height: 1fr; }
    TabPane { padding: 0; height: 1fr; }
    """

    def __init__(
        self,
        open_store: Callable[[], HelpdeskStore],
        config: MonitorConfig,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__()
        self.open_store, self.config = open_store, config
        self.clock = clock or (lambda: datetime.now(UTC))
        self.store: HelpdeskStore | None = None
        self.agent: Agent | None = None
        self.acting = False
        self.floor: Floor | None = None
        self.recent: Recent | None = None
        self.month: Month | None = None
        self._replay_timers: dict[str, Timer] = {}
        self.chosen = self.clock()  # a moment in the chosen month
        self.trend_index = 0
        self.exported: Path | None = None
        self._busy: set[str] = set()
        self.stop_background: Callable[[], None] | None = None

    # -- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(self.TITLE, id="monitor-header")
        yield Static("", id="green-strip")
        with TabbedContent(id="tabs"):
            yield from self._panes()
        yield Footer(show_command_palette=False)  # ctrl+p still opens it; columns are dear

    def _panes(self) -> ComposeResult:
        def pane(tab: str, *widgets: Any) -> TabPane:
            return TabPane(t(f"monitor.tab.{tab}"), *widgets, id=tab)

        cols = lambda *keys: [t(f"monitor.col.{k}") for k in keys]  # noqa: E731
        yield pane(
            "queues",
            Static("", id="deliveries", classes="summary"),
            Static("", id="automations", classes="summary"),
            FloorTable(cols("group", "name", "count"), id="depth"),
        )
        yield pane(
            "sla",
            FloorTable(cols("ticket", "subject", "owner", "tier", "risk", "due"), id="sla-table"),
        )
        yield pane(
            "green", FloorTable(cols("ticket", "subject", "owner", "left"), id="green-table")
        )
        yield pane(
            "escalations",
            Static("", id="dept-counts", classes="summary"),
            FloorTable(
                cols("dept", "ticket", "subject", "owner", "state", "waiting", "due"),
                id="esc-table",
            ),
        )
        yield pane(
            "agents",
            Static("", id="off-shift", classes="summary"),
            FloorTable(cols("agent", "shift", "status", "open", "repeat"), id="agent-table"),
        )
        yield pane(
            "transfers",
            FloorTable(cols("ticket", "from", "to", "reason", "waiting"), id="transfer-table"),
        )
        yield pane(
            "figures",
            Static("", id="figures-title", classes="summary"),
            FloorTable(
                cols("figure", "target", "today", "week", "month", "change", "met"),
                id="figure-table",
            ),
            TrendCharts(id="trends"),
        )

    def get_theme_variable_defaults(self) -> dict[str, str]:
        """The console's tokens ($sla-breached, $green-channel …) for any theme."""
        from cstui.console.themes import default_tokens

        return {**super().get_theme_variable_defaults(), **default_tokens()}

    def on_mount(self) -> None:
        self._load_themes()
        self._draw_header()
        self._io(self.open_store, self._store_ready, group="open")
        if self.config.background is not None:
            self.call_after_refresh(self._start_background, self.config.background)

    def _start_background(self, start: Callable[[], Callable[[], None]]) -> None:
        self.stop_background = start()

    def on_unmount(self) -> None:
        if self.stop_background is not None:
            self.stop_background()

    def _load_themes(self) -> None:
        from cstui.console import themes

        found, problems = themes.load_themes(self.config.themes_dir)
        for theme in found.values():
            self.register_theme(theme)
        wanted = self.config.theme if self.config.theme in found else "cstui-dark"
        if wanted in found:
            self.theme = wanted
        for problem in problems:
            self.notify(problem, severity="warning", timeout=8)

    # -- the store, in workers -----------------------------------------------------------

    def _io(self, work: Callable[[], T], done: Callable[[T], None], *, group: str) -> None:
        """Run `work` in a thread; `done` runs on the UI thread, an error is a notice."""

        def run() -> None:
            try:
                result = work()
            except CstuiError as exc:
                self.call_from_thread(self._failed, str(exc), group)
            except Exception as exc:  # a store error never crashes the monitor
                self.call_from_thread(self._failed, f"{type(exc).__name__}: {exc}", group)
            else:
                self.call_from_thread(self._finished, done, result, group)

        self._busy.add(group)
        self.run_worker(run, thread=True, group=group, exit_on_error=False)

    def _finished(self, done: Callable[[T], None], result: T, group: str) -> None:
        self._busy.discard(group)
        done(result)

    def _failed(self, message: str, group: str) -> None:
        self._busy.discard(group)
        first = message.splitlines()[0] if message else group
        self.notify(first, title=t("fail.title"), severity="error", timeout=6)
        if group in self._replays:  # try the figures again later, not never
            every, again = self._replays[group]
            self._schedule(group, every, 0.0, again)

    def _store_ready(self, store: HelpdeskStore) -> None:
        self.store = store
        self._io(lambda: store.get_agent(self.config.actor), self._agent_ready, group="agent")
        self.refresh_floor()
        self.refresh_recent()
        self.refresh_month()

    def _agent_ready(self, agent: Agent) -> None:
        self.agent = agent
        self._draw_header()

    def refresh_floor(self) -> None:
        """Start a floor refresh unless one is still running (a slow store is not flooded)."""
        store = self.store
        if store is None or "floor" in self._busy:
            return
        started = monotonic()
        self._io(
            lambda: gather_floor(store, self.clock(), self.config.tz),
            lambda floor: self._show_floor(floor, monotonic() - started),
            group="floor",
        )

    def refresh_recent(self) -> None:
        store, tz = self.store, self.config.tz
        if store is None or "recent" in self._busy:
            return
        started = monotonic()
        self._io(
            lambda: gather_recent(store, now=self.clock(), tz=tz),
            lambda recent: self._show_recent(recent, monotonic() - started),
            group="recent",
        )

    def refresh_month(self) -> None:
        store, chosen, tz = self.store, self.chosen, self.config.tz
        if store is None or "month" in self._busy:
            return
        started = monotonic()
        self._io(
            lambda: gather_month(store, chosen=chosen, tz=tz),
            lambda month: self._show_month(month, monotonic() - started),
            group="month",
        )

    def _schedule(self, name: str, every: float, took: float, again: Callable[[], None]) -> None:
        """The next refresh waits `every` seconds, or a multiple of what the last one took
        (`PACING`): on a huge store the monitor updates less often instead of keeping a core
        busy, and the screen stays responsive."""
        old = self._replay_timers.pop(name, None)
        if old is not None:
            old.stop()
        delay = next_delay(every, took, PACING[name])
        self._replay_timers[name] = self.set_timer(delay, again)

    @property
    def _replays(self) -> dict[str, tuple[float, Callable[[], None]]]:
        return {
            "floor": (self.config.refresh_every, self.refresh_floor),
            "recent": (self.config.figures_every, self.refresh_recent),
            "month": (self.config.month_every, self.refresh_month),
        }

    # -- drawing --------------------------------------------------------------------------

    def _draw_header(self) -> None:
        who = self.agent.name if self.agent else self.config.actor
        role = label(self.agent.role) if self.agent else ""
        mode = t("monitor.acting") if self.acting else t("monitor.read_only")
        when = self.clock().astimezone(self.config.tz).strftime("%m-%d %H:%M")
        header = self.query_one("#monitor-header", Static)
        header.update(plain(f"{self.TITLE} │ {who} {role} │ {mode} │ {when}"))
        header.set_class(self.acting, "-acting")

    def _show_floor(self, floor: Floor, took: float) -> None:
        self.floor = floor
        self._schedule("floor", self.config.refresh_every, took, self.refresh_floor)
        self._draw_header()
        strip = self.query_one("#green-strip", Static)
        strip.update(R.green_strip(floor))
        strip.set_class(any(floor.at >= g.due_at for g in floor.green), "-overdue")
        self._table("depth").show(R.depth_rows(floor))
        deliveries = self.query_one("#deliveries", Static)
        deliveries.update(plain(R.delivery_summary(floor)))
        deliveries.set_class(bool(floor.failed_deliveries), "-failed")
        self.query_one("#automations", Static).update(plain(R.automations_summary(floor)))
        self._table("sla-table").show(R.sla_rows(floor, self.config.risk_window))
        self._table("green-table").show(R.green_rows(floor))
        self._table("esc-table").show(R.escalation_rows(floor, self.config.tz))
        self.query_one("#dept-counts", Static).update(R.department_counts(floor))
        week = self.recent.agents if self.recent else None
        self._table("agent-table").show(R.agent_rows(floor, self.config.tz, week))
        self.query_one("#off-shift", Static).update(R.off_shift_summary(floor, self.config.tz))
        self._table("transfer-table").show(R.transfer_rows(floor))

    def _show_recent(self, recent: Recent, took: float) -> None:
        self.recent = recent
        self._draw_figures()
        self._draw_trend()
        if self.floor is not None:
            self._table("agent-table").show(R.agent_rows(self.floor, self.config.tz, recent.agents))
        self._schedule("recent", self.config.figures_every, took, self.refresh_recent)

    def _show_month(self, month: Month, took: float) -> None:
        if not month.window.since <= self.chosen < month.window.until:
            self.refresh_month()  # the supervisor chose another month meanwhile
            return
        self.month = month
        self._draw_figures()
        self._draw_trend()
        self._schedule("month", self.config.month_every, took, self.refresh_month)

    def _draw_figures(self) -> None:
        chosen = window(self.chosen, "month", self.config.tz)
        title = t("monitor.figures_title", month=period_text(chosen))
        self.query_one("#figures-title", Static).update(title)
        rows = R.figure_rows(self.recent, self.month, self.config.goals)
        self._table("figure-table").show(rows)

    def _draw_trend(self) -> None:
        name = CHART_FIGURES[self.trend_index]
        days = self.recent.trend if self.recent else ()
        weeks = self.month.weeks if self.month else ()
        self.query_one(TrendCharts).draw(name, days, weeks)

    def _table(self, table_id: str) -> FloorTable:
        return self.query_one(f"#{table_id}", FloorTable)

    # -- keys: looking ---------------------------------------------------------------------

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        tables = self.query_one(f"#{tab}", TabPane).query(FloorTable)
        if tables:
            tables.first().focus()

    def action_refresh(self) -> None:
        self.refresh_floor()
        self.refresh_recent()
        self.refresh_month()

    def action_month(self, step: int) -> None:
        """Move the chosen month back or forward (never past the current one)."""
        local = self.chosen.astimezone(self.config.tz)
        index = local.year * 12 + local.month - 1 + step
        moved = local.replace(year=index // 12, month=index % 12 + 1, day=1, hour=12)
        if moved.astimezone(UTC) > self.clock():
            return
        self.chosen = moved.astimezone(UTC)
        self.month = None  # "…" until the new month is replayed
        self._draw_figures()
        self.refresh_month()

    def action_trend(self) -> None:
        self.trend_index = (self.trend_index + 1) % len(CHART_FIGURES)
        self._draw_trend()

    def action_export(self) -> None:
        """The per-department sync sheet (10:00/16:00 meetings) as CSV in the export dir."""
        floor = self.floor
        if floor is None:
            return
        items = [
            SyncItem(
                e.department,
                e.id,
                e.ticket_id,
                e.subject,
                e.owner,
                e.state,
                e.green,
                e.created_at,
                e.due_at,
            )
            for e in floor.escalations
        ]
        text = sync_csv(sync_sheet(items), floor.at, self.config.tz)
        stamp = floor.at.astimezone(self.config.tz).strftime("%Y%m%d-%H%M")
        path = self.config.export_dir / f"sync-sheet-{stamp}.csv"

        def write() -> Path:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".csv.part")
            tmp.write_text(text, encoding="utf-8-sig")  # the BOM lets spreadsheets read 中文
            tmp.replace(path)
            return path

        self._io(write, self._exported, group="export")

    def _exported(self, path: Path) -> None:
        self.exported = path
        self.notify(t("monitor.exported", path=str(path)))

    # -- keys: acting (supervisors only) ---------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Acting keys are hidden (and do nothing) while the monitor is read-only."""
        return self.acting or action not in ACTING_ACTIONS

    def action_act(self) -> None:
        if not self.acting and not (self.agent and is_supervising(self.agent.role)):
            self.notify(t("monitor.not_supervisor"), severity="warning")
            return
        self.acting = not self.acting
        self.refresh_bindings()
        self._draw_header()
        self.notify(t("monitor.acting") if self.acting else t("monitor.read_only"))

    def _may_act(self) -> HelpdeskStore | None:
        if not self.acting:
            self.notify(t("monitor.press_a"), severity="warning")
            return None
        return self.store

    def _selected(self, *tabs: str) -> FloorTable | None:
        """The table of the active tab when it is one of `tabs` and a row is selected."""
        active = self.query_one(TabbedContent).active
        if active not in tabs:
            self.notify(
                t("monitor.wrong_tab", tabs=", ".join(t(f"monitor.tab.{x}") for x in tabs)),
                severity="warning",
            )
            return None
        table = self.query_one(f"#{active}", TabPane).query_one(FloorTable)
        if table.selected_key is None:
            self.notify(t("monitor.nothing_selected"), severity="warning")
            return None
        return table

    def _selected_ticket(self) -> int | None:
        table = self._selected("sla", "green", "escalations")
        if table is None or table.selected_key is None:
            return None
        if table.id == "esc-table" and self.floor is not None:
            found = [e.ticket_id for e in self.floor.escalations if str(e.id) == table.selected_key]
            return found[0] if found else None
        return int(table.selected_key)

    def _then(self, message: str) -> Callable[[object], None]:
        def done(_: object) -> None:
            self.notify(message)
            self.refresh_floor()

        return done

    def action_decide(self, approve: bool) -> None:
        store = self._may_act()
        table = self._selected("transfers") if store else None
        if store is None or table is None or table.selected_key is None:
            return
        request = int(table.selected_key)
        if approve:
            self._decide(store, request, True, None)
            return
        # A denial says why: the reason goes back to the agent who asked (their notices).
        dialog = FormDialog(
            t("monitor.deny_title", id=request), text_label=t("dialog.reason"), text_required=True
        )

        def answered(answer: Answer | None) -> None:
            if answer is not None:
                self._decide(store, request, False, answer.text)

        self.push_screen(dialog, answered)

    def _decide(self, store: HelpdeskStore, request: int, approve: bool, note: str | None) -> None:
        """The decision, then a notice naming the ticket (not the request's own id)."""
        actor = self.config.actor
        key = "monitor.approved" if approve else "monitor.denied"

        def done(decided: TransferRequest) -> None:
            self.notify(t(key, id=decided.ticket_id, to=decided.to_agent))
            self.refresh_floor()

        self._io(
            lambda: store.decide_transfer(request, actor=actor, approve=approve, note=note),
            done,
            group="act",
        )

    def action_reassign(self) -> None:
        store = self._may_act()
        ticket = self._selected_ticket() if store else None
        if store is None or ticket is None or self.floor is None:
            return
        names = [(a.name, a.name) for a in self.floor.agents if a.role is Role.AGENT]
        dialog = FormDialog(
            t("monitor.reassign_title", id=ticket),
            choices=names,
            choice_label=t("monitor.reassign_to"),
            text_label=t("dialog.reason"),
            text_required=True,
        )
        self.push_screen(dialog, lambda answer: self._reassign(store, ticket, answer))

    def _reassign(self, store: HelpdeskStore, ticket: int, answer: Answer | None) -> None:
        if answer is None or answer.choice is None:
            return
        to, reason, actor = answer.choice, answer.text, self.config.actor
        self._io(
            lambda: store.transfer(ticket, actor=actor, to=to, reason=reason),
            self._then(t("monitor.reassigned", id=ticket, to=to)),
            group="act",
        )

    def action_green(self) -> None:
        store = self._may_act()
        ticket = self._selected_ticket() if store else None
        if store is None or ticket is None:
            return
        dialog = FormDialog(
            t("monitor.green_title", id=ticket), text_label=t("dialog.reason"), text_required=True
        )
        self.push_screen(dialog, lambda answer: self._green(store, ticket, answer))

    def _green(self, store: HelpdeskStore, ticket: int, answer: Answer | None) -> None:
        if answer is None:
            return
        actor, reason = self.config.actor, answer.text
        self._io(
            lambda: store.set_green_channel(ticket, actor=actor, reason=reason),
            self._then(t("monitor.greened", id=ticket)),
            group="act",
        )

    def action_acknowledge(self) -> None:
        store = self._may_act()
        table = self._selected("escalations") if store else None
        if store is None or table is None or table.selected_key is None:
            return
        escalation, actor = int(table.selected_key), self.config.actor
        self._io(
            lambda: store.update_escalation(
                escalation, actor=actor, state=EscalationState.ACKNOWLEDGED
            ),
            self._then(t("monitor.acknowledged", id=escalation)),
            group="act",
        )

    def action_pause(self) -> None:
        store = self._may_act()
        table = self._selected("agents") if store else None
        if store is None or table is None or table.selected_key is None or self.floor is None:
            return
        name = table.selected_key
        paused = not any(a.routing_paused for a in self.floor.agents if a.name == name)
        key = "monitor.paused" if paused else "monitor.resumed"
        self._io(
            lambda: store.set_routing_paused(name, actor=self.config.actor, paused=paused),
            self._then(t(key, name=name)),
            group="act",
        )

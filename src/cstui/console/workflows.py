"""The console's workflows: one entry each in a table, and one way to run any of them.

A workflow is what a key does to tickets: take, escalate, transfer … Its entry says what it
acts on, what it asks (a dialog), which store call the answer makes, what to say when that
is done, and whether it acts on the marked rows when there are some (one store call, one
transaction and the same rules, for each). `Workflows.action_workflow` runs any entry:

    target → check → confirm → load → dialog → vet → store call (a worker) → notice → reload

A new workflow is one entry in `WORKFLOWS` (and its dialog, if none of these fits). Its key
is bound under the entry's id, which `[keymap]` in the config may rebind.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, tzinfo
from enum import Enum
from functools import partial
from typing import Any

from textual.binding import Binding

from cstui.console.delivery import Delivery
from cstui.console.dialogs import Answer, ConfirmDialog, FormDialog
from cstui.console.handoff import candidates
from cstui.domain.escalation import check_green_channel
from cstui.domain.model import (
    Customer,
    Department,
    MessageKind,
    ResolutionCode,
    Role,
    Status,
    Ticket,
)
from cstui.domain.ownership import check_resolve, may_transfer_now
from cstui.errors import AlreadyOwned, CstuiError, StaleVersion
from cstui.i18n import label, t
from cstui.store.base import HelpdeskStore, View

SETTABLE_STATUSES = (Status.OPEN, Status.PENDING, Status.ON_HOLD)


class Target(Enum):
    """What a workflow acts on when no rows are marked."""

    OPEN = "open"  # the ticket open in the ticket pane (the agent is told when there is none)
    ROW = "row"  # the open ticket, or else the queue's row under the cursor
    NONE = "none"  # no ticket: the workflow finds its own


@dataclass(frozen=True)
class Request:
    """One run of a workflow, filled in as it goes: who acts, on what, what was answered."""

    actor: str
    title: str  # the dialog's title: the workflow's name and its target
    now: datetime
    tz: tzinfo | None
    role: Role  # the agent's (an agent's until the store has said who this is)
    viewers: Mapping[int, tuple[str, ...]]  # who has which ticket open, as last heard
    ticket: Ticket | None = None  # the target (None: the marked rows, or none)
    bulk: bool = False  # on the marked rows, one store call each
    ticket_id: int = 0  # the ticket of one store call
    loaded: Any = None  # what the entry's `load` fetched for its dialog
    answer: Answer | None = None

    @property
    def open_ticket(self) -> Ticket:
        """The target of a workflow on one ticket (an OPEN or ROW one)."""
        if self.ticket is None:
            raise LookupError("this workflow acts on the marked rows, not on one ticket")
        return self.ticket

    @property
    def version(self) -> int | None:
        """The open ticket's version, so a change made meanwhile is refused; none for
        marked rows, whose versions are those of the page they were marked on."""
        return self.ticket.version if self.ticket is not None else None

    @property
    def choice(self) -> str:
        return (self.answer.choice or "") if self.answer is not None else ""

    @property
    def text(self) -> str:
        return self.answer.text if self.answer is not None else ""

    @property
    def checked(self) -> bool:
        return self.answer.checked if self.answer is not None else False


Write = Callable[[HelpdeskStore, Request], Any]


def _no_notice(_request: Request, _result: Any) -> str:
    return ""


@dataclass(frozen=True)
class Workflow:
    """One row of the table. Every step but the binding is optional."""

    id: str  # the binding's id: what `[keymap]` names
    key: str
    label: str  # the i18n key of its name: footer, help, palette, dialog titles, summaries
    target: Target = Target.OPEN
    bulk: bool = False  # on the marked rows, when there are some
    show: bool = True  # in the footer
    # On one ticket, done in the console alone (a composer, a pane); no store call here.
    opens: Callable[[Workflows], None] | None = None
    check: Callable[[Request], None] | None = None  # a rule said before asking (raises)
    confirm: Callable[[Request], str | None] | None = None  # a question to answer first
    load: Callable[[HelpdeskStore], Any] | None = None  # from the store, for the dialog
    ask: Callable[[Request], FormDialog] | None = None  # the dialog
    vet: Callable[[Request], str | None] | None = None  # what is wrong with the answer
    write: Write | None = None  # the store call, for one ticket
    done: Callable[[Request, Any], str] = _no_notice  # what to say when it is done
    seconds: float = 4.0  # how long that stays up
    named: Callable[[Request], str] | None = None  # a bulk summary's name (default: label)
    # What to show after the store call. By default the ticket and the counts again, and a
    # refusal is explained before the ticket is loaded again; with a `then` of its own, the
    # entry shows its result itself and a failure is only said.
    then: Callable[[Workflows, Request, Any], None] | None = None


def workflow_bindings() -> list[Binding]:
    """Each workflow's key, labelled in the current language, bound under its id."""
    return [
        Binding(w.key, f"workflow({w.id!r})", t(w.label), show=w.show, id=w.id)
        for w in WORKFLOWS.values()
    ]


class Workflows(Delivery):
    """Runs any entry of `WORKFLOWS`: each workflow's key is bound to `workflow('<id>')`."""

    def action_workflow(self, workflow_id: str) -> None:
        """Run a workflow of the table from its first step."""
        flow = WORKFLOWS[workflow_id]
        bulk = flow.bulk and bool(self.queue.marked)
        if flow.opens is not None and not bulk:
            flow.opens(self)
            return
        ticket = None if bulk else self._target(flow.target)
        if ticket is None and not bulk and flow.target is not Target.NONE:
            return
        self._check(flow, self._request(flow, ticket, bulk))

    def _check(self, flow: Workflow, request: Request) -> None:
        """The rule said before asking, then the question to answer first, if any."""
        if flow.check is not None:
            try:
                flow.check(request)
            except CstuiError as exc:
                self._failed(exc)
                return
        question = flow.confirm(request) if flow.confirm is not None else None
        if question is None:
            self._load(flow, request)
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._load(flow, request)

        self.push_screen(ConfirmDialog(question), confirmed)

    def _target(self, target: Target) -> Ticket | None:
        if target is Target.ROW:
            return self.ticket_pane.ticket or self.queue.current
        if target is Target.OPEN:
            return self._current()
        return None

    def _request(self, flow: Workflow, ticket: Ticket | None, bulk: bool) -> Request:
        on = f"#{ticket.id}" if ticket is not None else ""
        if bulk:
            on = t("bulk.title", count=len(self.queue.marked))
        return Request(
            actor=self.config.actor,
            title=f"{t(flow.label)} {on}",
            now=self.clock(),
            tz=self.config.tz,
            role=self.agent.role if self.agent else Role.AGENT,
            viewers=self.queue.viewers,
            ticket=ticket,
            bulk=bulk,
            ticket_id=ticket.id if ticket is not None else 0,
        )

    def _load(self, flow: Workflow, request: Request) -> None:
        load, store = flow.load, self.store
        if load is None:
            self._ask(flow, request)
        elif store is not None:
            self._io(lambda: load(store), lambda got: self._ask(flow, replace(request, loaded=got)))

    def _ask(self, flow: Workflow, request: Request) -> None:
        if flow.ask is None:
            self._write(flow, request)
            return
        dialog = flow.ask(request)

        def answered(answer: Answer | None) -> None:
            if answer is None or (dialog.choices and answer.choice is None):
                return
            asked = replace(request, answer=answer)
            problem = flow.vet(asked) if flow.vet is not None else None
            if problem:
                self.notify(problem, severity="error")
            else:
                self._write(flow, asked)

        self.push_screen(dialog, answered)

    def _write(self, flow: Workflow, request: Request) -> None:
        """The store call in a worker; then say so and show the ticket's new state."""
        write, store = flow.write, self.store
        if write is None or store is None:
            return
        if request.bulk:
            name = flow.named(request) if flow.named is not None else t(flow.label)
            self._bulk(name, lambda s, tid: write(s, replace(request, ticket_id=tid)))
            return
        then = flow.then or Workflows._reload

        def done(result: Any) -> None:
            notice = flow.done(request, result)
            if notice:
                self.notify(notice, timeout=flow.seconds)
            then(self, request, result)

        failed = partial(self._refused, request.ticket_id) if flow.then is None else None
        self._io(lambda: write(store, request), done, failed=failed)

    def _reload(self, request: Request, _result: Any) -> None:
        self.load_ticket(request.ticket_id)
        self.refresh_counts()

    def _refused(self, ticket_id: int, exc: CstuiError) -> None:
        """Why the store refused, in the agent's words; then the ticket as it now is."""
        if isinstance(exc, AlreadyOwned) and exc.owner:
            self.notify(
                t("fail.conflict_owner", owner=exc.owner, id=ticket_id),
                title=t("fail.title"),
                severity="error",
                timeout=8,
            )
        elif isinstance(exc, StaleVersion):
            self.notify(
                t("fail.stale", id=ticket_id), title=t("fail.title"), severity="error", timeout=8
            )
        else:
            self._failed(exc)
        self.load_ticket(ticket_id)

    def _show_revealed(self, request: Request, customer: Customer) -> None:
        self.load_customer(request.open_ticket.customer.id, revealed=customer)

    def _open_taken(self, _request: Request, ticket: Ticket | None) -> None:
        if ticket is None:
            self.notify(t("fail.none_next"), severity="warning")
            return
        self.show_taken(ticket)
        self.refresh_counts()

    # -- bulk: the marked rows, each in its own store call -----------------------------------

    def _bulk(self, action: str, work: Callable[[HelpdeskStore, int], Any]) -> None:
        """Apply `work` to every marked ticket in one worker, one store call (one
        transaction, the same rules) each; then one summary names what was refused."""
        store = self.store
        if store is None:
            return
        ids = list(self.queue.marked)

        def run_all() -> list[tuple[int, str | None]]:
            results: list[tuple[int, str | None]] = []
            for tid in ids:
                try:
                    work(store, tid)
                    results.append((tid, None))
                except CstuiError as exc:
                    results.append((tid, str(exc)))
            return results

        self._io(run_all, partial(self._bulk_done, action))

    def _bulk_done(self, action: str, results: list[tuple[int, str | None]]) -> None:
        """Done tickets are unmarked; refused ones stay marked, to look at or retry."""
        refused = [(tid, why) for tid, why in results if why is not None]
        done = len(results) - len(refused)
        message = t("bulk.summary", action=action, done=done, total=len(results))
        if refused:
            reasons = "; ".join(f"#{tid} {why}" for tid, why in refused[:4])
            more = " …" if len(refused) > 4 else ""
            message += "\n" + t("bulk.refused", count=len(refused), reasons=reasons + more)
            message += "\n" + t("bulk.still_marked", keys=self._key_of("clear-marks"))
        for tid, why in results:
            if why is None:
                self.queue.marked.pop(tid, None)
        self.notify(message, severity="warning" if refused else "information", timeout=10)
        self.queue.restart(self._filter_text())
        self.refresh_counts()

    def _key_of(self, binding_id: str) -> str:
        """The key bound under `binding_id` (the keymap may have changed it), as shown."""
        for active in self.screen.active_bindings.values():
            if active.binding.id == binding_id:
                return self.get_key_display(active.binding)
        return binding_id


# -- the table's steps -----------------------------------------------------------------------


def _reason(r: Request) -> FormDialog:
    return FormDialog(r.title, text_label=t("dialog.reason"), text_required=True)


def _note(r: Request) -> FormDialog:
    return FormDialog(r.title, text_label=t("dialog.note"), text_required=True)


def _departments(r: Request) -> FormDialog:
    return FormDialog(
        r.title,
        choices=[(d.value, label(d)) for d in Department],
        choice_label=t("dialog.department"),
        text_label=t("dialog.reason"),
        text_required=True,
        check_label=t("dialog.green"),
        # a green ticket's escalation is a green one unless the agent says otherwise
        checked=r.ticket is not None and r.ticket.green_channel,
    )


def _statuses(r: Request) -> FormDialog:
    return FormDialog(
        r.title,
        choices=[(s.value, label(s)) for s in SETTABLE_STATUSES],
        choice_label=t("dialog.status"),
    )


def _codes(r: Request) -> FormDialog:
    return FormDialog(
        r.title,
        choices=[(c.value, label(c)) for c in ResolutionCode],
        choice_label=t("dialog.code"),
    )


def _colleagues(r: Request) -> FormDialog:
    """Whom to transfer to: every other agent with presence, shift and load, the likeliest
    first (`load` read the floor's agent loads)."""
    choices = candidates(r.loaded, actor=r.actor, now=r.now, tz=r.tz)
    return FormDialog(
        r.title,
        choices=choices,
        choice_label=t("dialog.to_agent"),
        text_label=t("dialog.reason"),
        text_required=True,
    )


def _when(r: Request) -> FormDialog:
    tomorrow = (r.now + timedelta(days=1)).astimezone(r.tz).strftime("%Y-%m-%d 10:00")
    return FormDialog(
        r.title, text_label=t("dialog.when"), initial_text=tomorrow, text_required=True
    )


def _due(r: Request) -> datetime:
    return datetime.strptime(r.text, "%Y-%m-%d %H:%M").replace(tzinfo=r.tz or UTC)


def _bad_time(r: Request) -> str | None:
    try:
        _due(r)
    except ValueError:
        return t("dialog.bad_time", value=r.text)
    return None


def _may_resolve(r: Request) -> None:
    """The rule the store applies, said now rather than after a code is chosen."""
    check_resolve(
        open_escalations=len(r.open_ticket.open_escalations), actor_role=r.role, override=False
    )


def _may_transfer(r: Request) -> None:
    """A transfer waiting for approval is said at once, not after the form is filled."""
    tk = r.open_ticket
    may_transfer_now(tk.id, tk.pending_transfer, r.role)


def _may_green(r: Request) -> None:
    """Already green, or goods that do not qualify: said before a reason is asked for."""
    tk = r.open_ticket
    goods = tk.order.goods_type if tk.order is not None else None
    check_green_channel(goods, r.role, ticket_id=tk.id, green_already=tk.green_channel)


def _second_hand_off(r: Request) -> str | None:
    tk = r.open_ticket
    if tk.dispatch_count >= 2:
        return t("warn.second_handoff", id=tk.id, n=tk.dispatch_count)
    return None


def _transferred(r: Request, outcome: Any) -> str:
    key = "done.transfer_pending" if outcome.request is not None else "done.transfer"
    return t(key, id=r.ticket_id, to=r.choice)


def _take_next(store: HelpdeskStore, r: Request) -> Ticket | None:
    """Take the most urgent unassigned ticket, skipping ones that others have open."""
    busy = {tid for tid, who in r.viewers.items() if any(w != r.actor for w in who)}
    cursor = None
    for _ in range(5):
        page = store.list_tickets(View.UNASSIGNED, actor=r.actor, limit=50, cursor=cursor)
        for candidate in page.items:
            if candidate.id in busy:
                continue
            try:
                return store.take(candidate.id, actor=r.actor)
            except AlreadyOwned:
                continue
        if page.next_cursor is None:
            return None
        cursor = page.next_cursor
    return None


# In the order of the footer.
WORKFLOWS: dict[str, Workflow] = {
    w.id: w
    for w in (
        Workflow(
            "take",
            "t",
            "action.take",
            target=Target.ROW,
            bulk=True,
            write=lambda s, r: s.take(r.ticket_id, actor=r.actor),
            done=lambda r, _: t("done.take", id=r.ticket_id),
        ),
        Workflow(
            "reply", "r", "action.reply", opens=lambda c: c.compose_message(MessageKind.REPLY)
        ),
        Workflow(
            "note",
            "i",
            "action.note",
            bulk=True,
            opens=lambda c: c.compose_message(MessageKind.NOTE),
            ask=_note,
            write=lambda s, r: s.add_message(
                r.ticket_id, actor=r.actor, kind=MessageKind.NOTE, text=r.text
            ),
        ),
        Workflow("template", "m", "action.template", opens=lambda c: c.open_templates()),
        Workflow(
            "escalate",
            "e",
            "action.escalate",
            bulk=True,
            ask=_departments,
            write=lambda s, r: s.escalate(
                r.ticket_id,
                actor=r.actor,
                department=Department(r.choice),
                reason=r.text,
                green=r.checked,
            ),
            done=lambda r, _: t("done.escalate", id=r.ticket_id, dept=label(Department(r.choice))),
        ),
        Workflow(
            "green",
            "g",
            "action.green",
            check=_may_green,
            ask=_reason,
            write=lambda s, r: s.set_green_channel(r.ticket_id, actor=r.actor, reason=r.text),
            done=lambda r, _: t("done.green", id=r.ticket_id),
        ),
        Workflow(
            "transfer",
            "x",
            "action.transfer",
            check=_may_transfer,
            confirm=_second_hand_off,
            load=lambda s: s.agent_loads(),
            ask=_colleagues,
            write=lambda s, r: s.transfer(r.ticket_id, actor=r.actor, to=r.choice, reason=r.text),
            done=_transferred,
            seconds=5.0,
        ),
        Workflow(
            "status",
            "s",
            "action.status",
            bulk=True,
            ask=_statuses,
            write=lambda s, r: s.set_status(
                r.ticket_id, actor=r.actor, status=Status(r.choice), expected_version=r.version
            ),
            done=lambda r, _: t("done.status", id=r.ticket_id, status=label(Status(r.choice))),
            named=lambda r: label(Status(r.choice)),
        ),
        Workflow(
            "resolve",
            "c",
            "action.resolve",
            check=_may_resolve,
            ask=_codes,
            write=lambda s, r: s.resolve(
                r.ticket_id,
                actor=r.actor,
                code=ResolutionCode(r.choice),
                expected_version=r.version,
            ),
            done=lambda r, _: t(
                "done.resolve", id=r.ticket_id, code=label(ResolutionCode(r.choice))
            ),
        ),
        Workflow(
            "follow-up",
            "f",
            "action.follow_up",
            ask=_when,
            vet=_bad_time,
            write=lambda s, r: s.schedule_follow_up(r.ticket_id, actor=r.actor, due=_due(r)),
            done=lambda r, _: t("done.follow_up", id=r.ticket_id, when=r.text),
        ),
        Workflow(
            "next",
            "u",
            "action.next",
            target=Target.NONE,
            write=_take_next,
            done=lambda _r, tk: t("done.next", id=tk.id) if tk is not None else "",
            then=Workflows._open_taken,
        ),
        Workflow(
            "save-attachment",
            "a",
            "action.save_attachment",
            show=False,  # the footer is full; help and the pane's files line name the key
            opens=lambda c: c.save_attachment(),
        ),
        Workflow(
            "reveal",
            "v",
            "action.reveal",
            show=False,
            write=lambda s, r: s.reveal_contact(
                r.open_ticket.customer.id, actor=r.actor, ticket_id=r.ticket_id
            ),
            done=lambda _r, _c: t("done.reveal"),
            then=Workflows._show_revealed,
        ),
    )
}

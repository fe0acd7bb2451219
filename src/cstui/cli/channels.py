"""`cstui channels run | check [NAME] | status`: the mail and webhook channels of a store.

`run` runs the workers until Ctrl+C or SIGTERM (what `cstui serve` also does when channels
are configured); `check` logs into each mailbox and the relay and says what it found;
`status` shows the delivery queue and its failures.

`check` reports every target, then exits with the code of the first that failed: 6 when a
server cannot be reached, 5 when a login is refused, 2 when a setting or secret is wrong,
4 when NAME is not configured.
"""

from __future__ import annotations

import logging
import signal
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType
from typing import TYPE_CHECKING, Any

import click

from cstui.channel_config import ChannelSettings, MailboxSettings
from cstui.cli.context import Env, clock_from_env, env_of, global_options, say
from cstui.config import rules_from_settings
from cstui.domain.display import inert
from cstui.errors import BadInput, CstuiError, NotFound, Unavailable

if TYPE_CHECKING:
    from cstui.store.sql import SqlStore

FAILED_SHOWN = 20


@click.group("channels")
def channels() -> None:
    """Mailboxes, the SMTP relay and chat webhooks: run the workers, check, status."""


@channels.command("run")
@global_options
@click.pass_context
def run(ctx: click.Context) -> None:
    """Poll the mailboxes and send queued replies until Ctrl+C (or SIGTERM)."""
    from cstui.channels.service import build_runner, configured

    env = env_of(ctx)
    settings = env.settings.channels
    if not configured(settings):
        raise BadInput("channels: nothing to run: configure [channels] mailboxes, smtp or intake")
    setup_logging()
    store = _sql_store(env)
    runner = build_runner(store, settings, clock=clock_from_env(), lang=env.settings.lang)
    stop_on_signal(runner.request_stop)
    runner.start()
    click.echo("cstui channels: running (Ctrl+C stops)", err=True)
    try:
        while not runner.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        runner.stop()
        store.close()
    click.echo("cstui channels: stopped", err=True)


@channels.command("check")
@click.argument("name", required=False)
@global_options
@click.pass_context
def check(ctx: click.Context, name: str | None) -> None:
    """Log into each mailbox (or NAME) and the SMTP relay; report what is there."""
    env = env_of(ctx)
    settings = env.settings.channels
    probes = _probes(settings, env, name)
    if not probes:
        if name is not None:
            raise NotFound(f"channels: no mailbox, relay or webhook named {name!r}")
        raise BadInput("channels: nothing configured to check")
    results = [probe.run() for probe in probes]
    env.emit({"items": [r.as_json() for r in results]}, lambda: _say_checks(results))
    failed = [r for r in results if r.error is not None]
    if failed:
        first = failed[0].error
        assert first is not None
        raise type(first)(f"channels check: {len(failed)} of {len(results)} failed")


@channels.command("status")
@global_options
@click.pass_context
def status(ctx: click.Context) -> None:
    """The delivery queue: queued, sent and failed counts, and the failures with why."""
    from cstui.domain.channels import DeliveryState

    env = env_of(ctx)
    store = _sql_store(env)
    try:
        counts = {s.value: n for s, n in store.delivery_counts().items()}
        failed = store.deliveries(state=DeliveryState.FAILED, limit=FAILED_SHOWN)
        cursors = {m.name: store.mailbox_cursor(m.name) for m in env.settings.channels.mailboxes}
    finally:
        store.close()
    data = {
        "counts": counts,
        "failed": [
            {
                "id": d.id,
                "ticket_id": d.ticket_id,
                "kind": d.kind.value,
                "channel": d.channel.value,
                "recipient": d.recipient,
                "attempts": d.attempts,
                "error": d.error,
                "created_at": d.created_at.isoformat(),
            }
            for d in failed
        ],
        "mailboxes": [
            {"name": n, "uidvalidity": c[0] if c else None, "last_uid": c[1] if c else None}
            for n, c in cursors.items()
        ],
    }

    def human() -> None:
        say("  ".join(f"{k}: {v}" for k, v in counts.items()))
        for d in failed:
            say(f"failed #{d.id} ticket {d.ticket_id} {d.kind.value} to {d.recipient}: {d.error}")
        for n, c in cursors.items():
            say(
                f"mailbox {n}: "
                + (f"UIDVALIDITY {c[0]}, last UID {c[1]}" if c else "not polled yet")
            )

    env.emit(data, human)


# -- check ---------------------------------------------------------------------------------


@dataclass
class CheckResult:
    name: str
    kind: str  # imap | smtp | webhook
    detail: dict[str, Any] = field(default_factory=dict)
    error: CstuiError | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "ok": self.error is None,
            "error": str(self.error) if self.error else None,
            **self.detail,
        }


@dataclass
class Probe:
    name: str
    kind: str
    probe: Callable[[], dict[str, Any]]

    def run(self) -> CheckResult:
        try:
            return CheckResult(self.name, self.kind, self.probe())
        except CstuiError as exc:
            return CheckResult(self.name, self.kind, error=exc)


def _probes(settings: ChannelSettings, env: Env, name: str | None) -> list[Probe]:
    probes = [
        Probe(m.name, "imap", lambda m=m: _check_mailbox(m, env))  # type: ignore[misc]
        for m in settings.mailboxes
    ]
    if settings.smtp is not None:
        probes.append(Probe("smtp", "smtp", lambda: _check_smtp(settings)))
    for channel, intake in settings.intake.items():
        if intake.webhook_url:
            url = intake.webhook_url
            probes.append(Probe(channel, "webhook", lambda url=url: _check_webhook(url)))  # type: ignore[misc]
    return [p for p in probes if name is None or p.name == name]


def _check_mailbox(mailbox: MailboxSettings, env: Env) -> dict[str, Any]:
    from cstui.channels import imap

    cursor = _cursor(env, mailbox.name)
    password = mailbox.password.value(f"channels.mailboxes.{mailbox.name}.password")
    with imap.connect(mailbox, password, timeout=20) as client:
        found = imap.status(client, mailbox, cursor)
    return {
        "folder": found.folder,
        "uidvalidity": found.uidvalidity,
        "messages": found.messages,
        "waiting": found.waiting,
        "login": "ok",
    }


def _check_smtp(settings: ChannelSettings) -> dict[str, Any]:
    from cstui.channels.service import relay_factory

    assert settings.smtp is not None
    with relay_factory(settings.smtp)() as relay:
        said = relay.check()
    return {"relay": f"{settings.smtp.host}:{settings.smtp.port}", "login": "ok", "said": said}


def _check_webhook(url: str) -> dict[str, Any]:
    """The webhook's host accepts connections (nothing is posted: a check sends no reply)."""
    import httpx

    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        raise BadInput("webhook_url: not a URL") from None
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        socket.create_connection((parsed.host, port), timeout=10).close()
    except OSError as exc:
        raise Unavailable(f"webhook {parsed.host}:{port}: {exc.strerror or exc}") from None
    return {"endpoint": f"{parsed.host}:{port}", "reachable": True}


def _cursor(env: Env, name: str) -> tuple[int, int] | None:
    """The mailbox's cursor in the store, when the store is there (a check needs none)."""
    try:
        store = _sql_store(env)
    except CstuiError:
        return None
    try:
        return store.mailbox_cursor(name)
    except CstuiError:
        return None
    finally:
        store.close()


def _say_checks(results: list[CheckResult]) -> None:
    for r in results:
        if r.error is not None:
            who = "smtp" if r.kind == "smtp" else f"{r.kind} {r.name}"
            say(f"{who}: FAILED: {r.error}")
        elif r.kind == "imap":
            d = r.detail
            say(
                f"imap {r.name}: OK, login ok; {d['folder']}: {d['messages']} messages, "
                f"{d['waiting']} waiting (UIDVALIDITY {d['uidvalidity']})"
            )
        elif r.kind == "smtp":
            say(f"smtp {r.detail['relay']}: OK, {r.detail['said']}")
        else:
            say(f"webhook {r.name}: OK, {r.detail['endpoint']} accepts connections")


# -- shared --------------------------------------------------------------------------------


def _sql_store(env: Env) -> SqlStore:
    from cstui.store import open_store

    return open_store(
        env.db_target, rules=rules_from_settings(env.settings), clock=clock_from_env()
    )


class InertFormatter(logging.Formatter):
    """Log lines with any control character made visible: a server's answer or a mail's
    header may carry terminal escapes."""

    def format(self, record: logging.LogRecord) -> str:
        return inert(super().format(record))


def setup_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        InertFormatter(
            "%(asctime)s %(levelname)s cstui %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%S%z"
        )
    )
    root = logging.getLogger("cstui.channels")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def stop_on_signal(stop: Callable[[], None]) -> None:
    """SIGTERM (and SIGHUP) stop the workers cleanly, like Ctrl+C."""

    def handler(signum: int, frame: FrameType | None) -> None:
        stop()

    for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if sig is not None:
            signal.signal(sig, handler)

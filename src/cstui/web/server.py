"""The serving side of `cstui web`: textual-serve's server, with every tab's app accounted for.

textual-serve starts each tab's app through a shell, asks it to quit when the tab closes and
then trusts it to go; on Ctrl+C it waits up to a minute for open tabs. Here each app is
started directly, in a process group of its own (so the signal that stops the server does not
reach it half-started), and ended for sure: asked to quit, its stdin closed, then SIGTERM and
SIGKILL if it is still there. A tab that stops answering is noticed within HEARTBEAT_SECONDS
and a half. On SIGINT or SIGTERM the server stops listening, ends every tab's app that way,
and returns 128 + the signal's number (130 after Ctrl+C, 143 after SIGTERM), as a shell
reports a program that the signal ended.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shlex
import signal
from collections.abc import Mapping, Sequence
from pathlib import Path

import textual_serve
from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.download_manager import DownloadManager
from textual_serve.server import Server, to_int

from cstui.errors import Unavailable

log = logging.getLogger("cstui.web")

STATICS = Path(textual_serve.__file__).parent / "static"
TEMPLATES = Path(__file__).parent / "templates"

DRIVER = "cstui.web.driver:SessionDriver"
HEARTBEAT_SECONDS = 4.0  # a ping when a tab was silent this long; no pong in half of it: gone
QUIT_SECONDS = 6.0  # an app asked to quit is given this long (its own deadline is shorter)
SIGNAL_SECONDS = 2.0  # then SIGTERM, and this long again before SIGKILL
CLOSE_SECONDS = 2.0  # on shutdown, for the tabs' websockets to close


class Session(AppService):
    """One tab's app, started without a shell and ended for sure."""

    def __init__(
        self,
        argv: Sequence[str],
        environment: Mapping[str, str],
        websocket: web.WebSocketResponse,
        downloads: DownloadManager,
        *,
        debug: bool = False,
    ) -> None:
        async def close() -> None:
            await websocket.close()

        super().__init__(
            shlex.join(argv),
            write_bytes=websocket.send_bytes,
            write_str=websocket.send_str,
            close=close,
            download_manager=downloads,
            debug=debug,
        )
        self.argv = list(argv)
        self.environment = dict(environment)

    def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
        environment = super()._build_environment(width=width, height=height)
        # The app's output is a pipe, not a terminal; its driver ends it with its session.
        return {**environment, **self.environment, "TEXTUAL_DRIVER": DRIVER}

    async def _open_app_process(
        self, width: int = 80, height: int = 24
    ) -> asyncio.subprocess.Process:
        self._process = process = await asyncio.create_subprocess_exec(
            *self.argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=self._build_environment(width=width, height=height),
            start_new_session=True,
        )
        assert process.stdin is not None
        self._stdin = process.stdin
        return process

    async def on_data(self, payload: bytes) -> None:
        # A tab gone mid-frame: drop the frame but keep reading, or the app would block on
        # a full pipe and never see that it should quit.
        with contextlib.suppress(ConnectionError):
            await super().on_data(payload)

    async def on_meta(self, data: bytes) -> None:
        with contextlib.suppress(ConnectionError):
            await super().on_meta(data)

    async def stop(self) -> None:
        """Ask the app to quit, close its input, and wait until its process is gone."""
        task, process = self._task, self._process
        if task is None or process is None:
            return
        self._task = None  # a second stop (the tab's handler, the shutdown) returns at once
        await self._download_manager.cancel_app_downloads(app_service_id=self.app_service_id)
        await self.send_meta({"type": "quit"})
        self.stdin.close()  # EOF: the app's own sign that its session is over
        await end_process(process)
        with contextlib.suppress(TimeoutError):  # a tab that takes nothing more is not waited on
            await asyncio.wait_for(task, CLOSE_SECONDS)  # the app's last output, passed on


async def end_process(process: asyncio.subprocess.Process) -> None:
    """Wait for `process` to exit; past its time, SIGTERM, then SIGKILL."""
    for send, seconds in ((None, QUIT_SECONDS), (signal.SIGTERM, SIGNAL_SECONDS)):
        if send is not None:
            log.warning("app process %d did not quit; sending %s", process.pid, send.name)
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(send)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(process.wait(), seconds)
            return
    with contextlib.suppress(ProcessLookupError):
        process.kill()
    await process.wait()


class SessionServer(Server):
    """textual-serve's server running `argv` per tab, ending every tab's app when it stops."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        environment: Mapping[str, str],
        host: str,
        port: int,
        title: str,
        public_url: str | None = None,
    ) -> None:
        super().__init__(
            shlex.join(argv),
            host=host,
            port=port,
            title=title,
            public_url=public_url,
            # textual-serve's scripts and fonts, and its page with the fonts served from
            # here: the page loads nothing from another host.
            statics_path=STATICS,
            templates_path=TEMPLATES,
        )
        self.argv = list(argv)
        self.environment = dict(environment)
        self.sessions: set[Session] = set()

    def serve(self, debug: bool = False) -> int:  # type: ignore[override]
        """Serve until SIGINT or SIGTERM; returns the exit code (128 + the signal)."""
        self.debug = debug
        self.initialize_logging()
        return asyncio.run(self._serve())

    async def _serve(self) -> int:
        loop = asyncio.get_running_loop()
        received: asyncio.Future[int] = loop.create_future()
        for stop_signal in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(stop_signal, _settle, received, stop_signal)
        runner = web.AppRunner(
            await self._make_app(), handle_signals=False, shutdown_timeout=CLOSE_SECONDS
        )
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self.port)
            try:
                await site.start()
            except OSError as exc:
                raise Unavailable(
                    f"web: cannot listen on {self.host}:{self.port}: {exc.strerror}"
                ) from None
            signum = await received
            await site.stop()  # no new tabs while the open ones are ended
            await asyncio.gather(*(session.stop() for session in list(self.sessions)))
        finally:
            await runner.cleanup()
        return 128 + signum

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """One tab: its app runs while the websocket is open, and is ended when it closes."""
        websocket = web.WebSocketResponse(heartbeat=HEARTBEAT_SECONDS)
        width = to_int(request.query.get("width", "80"), 80)
        height = to_int(request.query.get("height", "24"), 24)
        await websocket.prepare(request)
        session = Session(
            self.argv, self.environment, websocket, self.download_manager, debug=self.debug
        )
        self.sessions.add(session)
        try:
            await session.start(width, height)
            await self._process_messages(websocket, session)
        except Exception as error:  # a bad message from a tab ends that tab only
            log.exception(error)
        finally:
            # Shielded: a server shutting down cancels this handler, and the app must still go.
            await asyncio.shield(session.stop())
            self.sessions.discard(session)
            await websocket.close()
        return websocket


def _settle(future: asyncio.Future[int], signum: int) -> None:
    if not future.done():
        future.set_result(signum)

"""Ctrl+C and errors as scripts see them: a real process, a real SIGINT, exit 130; with
`--json`, every error one JSON object on stderr."""

from __future__ import annotations

import json
import os
import pty
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

from tests.cli.test_cli import ok, run
from tests.processes import wait_for


class OnTerminal:
    """`python -m cstui ARGS` with stderr on a pseudo-terminal (so a bar is drawn)."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        master, slave = pty.openpty()
        # Ctrl+C is live on a terminal; a run started as a background job ignores SIGINT,
        # and its children inherit that (Python then installs no KeyboardInterrupt). A
        # handled signal is reset to its default in the child, so hand it one.
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "cstui", *args],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=slave,
                env={**os.environ, **env, "COLUMNS": "120"},
            )
        finally:
            signal.signal(signal.SIGINT, previous)
        os.close(slave)
        self.master, self.seen = master, b""
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            if not chunk:
                return
            self.seen += chunk

    def said(self, text: str) -> bool:
        """In what was drawn, its colours and cursor moves taken out."""
        return text.encode() in re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]", b"", self.seen)


def test_seed_shows_a_bar_with_an_eta_and_ctrl_c_exits_130_leaving_no_store(
    tmp_path: Path,
) -> None:
    target = tmp_path / "big.db"
    config = str(tmp_path / "config.toml")
    seeding = OnTerminal(
        ["seed", "--tickets", "300000", "--db", str(target)], {"CSTUI_CONFIG_FILE": config}
    )
    try:
        wait_for(lambda: seeding.said("seeding 300000 tickets"), timeout=60, what="the bar")
        wait_for(lambda: seeding.said("ETA 0:"), timeout=90, what="an estimate of the time left")
        assert seeding.proc.poll() is None, "the seed ended before it could be interrupted"
        seeding.proc.send_signal(signal.SIGINT)
        assert seeding.proc.wait(60) == 130
    finally:
        if seeding.proc.poll() is None:
            seeding.proc.kill()
            seeding.proc.wait()
    wait_for(lambda: seeding.said("cstui: interrupted"), timeout=5, what="the one line")
    assert not target.exists()  # a seed appears whole or not at all


def test_with_json_errors_are_one_json_object_on_stderr(tmp_path: Path) -> None:
    db = tmp_path / "j.db"
    ok(run(db, "init"))
    missing = run(db, "tickets", "show", "999999", "--json")
    assert missing.returncode == 4 and missing.stdout == ""
    error = json.loads(missing.stderr)["error"]
    assert (error["code"], error["kind"]) == (4, "not_found") and "999999" in error["message"]
    bad = run(db, "--json", "tickets", "list", "--view", "nope")
    assert bad.returncode == 2
    assert json.loads(bad.stderr)["error"]["kind"] == "bad_input"
    plain = run(db, "tickets", "show", "999999")
    assert plain.stderr.startswith("cstui: ") and plain.returncode == 4


def test_shell_completion_as_documented() -> None:
    """`eval "$(_CSTUI_COMPLETE=bash_source cstui)"` installs click's completion: the
    script, then commands and choices completed (the lazily imported ones too)."""

    def complete(words: str, cword: int) -> list[str]:
        env = {**os.environ, "COMP_WORDS": words, "COMP_CWORD": str(cword)}
        env["_CSTUI_COMPLETE"] = "bash_complete"
        done = subprocess.run(
            [sys.executable, "-m", "cstui"], env=env, capture_output=True, text=True, timeout=60
        )
        return done.stdout.split()

    script = subprocess.run(
        [sys.executable, "-m", "cstui"],
        env={**os.environ, "_CSTUI_COMPLETE": "bash_source"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "_cstui_completion()" in script.stdout
    assert complete("cstui imp", 1) == ["plain,import"]
    assert complete("cstui import --from ", 3) == ["plain,jsonl", "plain,zendesk", "plain,csv"]

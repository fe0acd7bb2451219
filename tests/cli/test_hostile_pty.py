"""The CLI's human output on a real pty, from a world whose customer fields carry terminal
attacks: the raw bytes hold none of them, and markup is printed as text (see
`tests/hostile.py`). On a terminal, click passes everything through, and `tickets list` and
`kb search` draw with Rich, which reads markup in a string.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.hostile import MARKUP, PAYLOADS, SUPERVISOR, Pty, build_world, cstui_env, leaks

SHORTS = tuple(f"SHORT{i}" for i in range(len(PAYLOADS) + 1))
COMMANDS = {
    "tickets show": (
        ["tickets", "show", "1"],
        ("SUBJECT", "CUSTNAME", "TRACKING", "LOGISTICS", "ESCALATION", "MESSAGE", "NOTE"),
    ),
    "tickets list": (["tickets", "list", "--view", "all-open"], ("SUBJECT", *SHORTS)),
    # matched in the tracking number, after the payloads: the bold lands on "end"
    "tickets search": (["tickets", "search", "end"], ("TRACKING", *SHORTS)),
    "kb search": (["kb", "search", "kbtitle"], ("KBTITLE", "KBBODY")),
    "kb show": (["kb", "show", "1"], ("KBTITLE", "KBBODY")),
}


@pytest.fixture(scope="module")
def worlds(tmp_path_factory: pytest.TempPathFactory) -> dict[bool, Path]:
    """The hostile world, and the same in plain text."""
    return {
        hostile: build_world(tmp_path_factory.mktemp("world") / "world.db", hostile=hostile)
        for hostile in (False, True)
    }


@pytest.mark.slow
@pytest.mark.parametrize("hostile", [False, True], ids=["plain", "hostile"])
@pytest.mark.parametrize("command", list(COMMANDS))
def test_human_output_on_a_terminal_writes_no_attack(
    worlds: dict[bool, Path], command: str, hostile: bool
) -> None:
    args, tags = COMMANDS[command]
    db = worlds[hostile]
    with Pty(["--as", SUPERVISOR, *args], cstui_env(db), cols=200, rows=50) as pty:
        code = pty.wait_exit()
    out = bytes(pty.out)
    assert code == 0, out[-2000:]
    found = leaks(out)
    assert found == [], "\n".join(found)
    for tag in tags:
        assert tag.encode() in out, tag
    if hostile and command == "tickets list":  # Rich reads markup in a string: not here
        assert MARKUP.encode() in out


def test_json_output_stays_the_exact_data(worlds: dict[bool, Path]) -> None:
    """Only what is shown is made inert: `--json` gives the stored text, escaped by JSON."""
    db = worlds[True]
    result = subprocess.run(
        [sys.executable, "-m", "cstui", "--json", "tickets", "show", "1"],
        capture_output=True,
        env=cstui_env(db),
        timeout=60,
        check=True,
    )
    assert b"\x1b" not in result.stdout
    subject = json.loads(result.stdout)["subject"]
    assert subject.startswith("SUBJECT" + "".join(PAYLOADS))

"""The monitor in a real pty, on a world whose customer fields carry terminal attacks: the raw
bytes it writes hold none of them (see `tests/hostile.py`).

Every tab that quotes a ticket is drawn: SLA (every short ticket, a payload at the start of
each subject), the green channel and the escalations.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hostile import PAYLOADS, SUPERVISOR, Pty, build_world, cstui_env, leaks


def drive_monitor(pty: Pty) -> None:
    pty.expect("cstui monitor")
    pty.expect(f"{SUPERVISOR} ")  # the header, once the store is open and the agent known
    at = pty.send("2")  # SLA: at-risk and breached tickets (all of them, a day old)
    pty.expect("SUBJECT", since=at)
    pty.expect(f"SHORT{len(PAYLOADS)}", since=at)
    at = pty.send("3")  # the green channel
    pty.expect("SUBJECT", since=at)
    at = pty.send("4")  # escalations, per department
    pty.expect("SUBJECT", since=at)


@pytest.mark.slow
@pytest.mark.parametrize("hostile", [False, True], ids=["plain", "hostile"])
def test_the_monitor_writes_no_attack_from_data(tmp_path: Path, hostile: bool) -> None:
    """`plain`: what the monitor writes by itself has none of the sequences looked for."""
    db = build_world(tmp_path / "world.db", hostile=hostile)
    with Pty(["--as", SUPERVISOR, "monitor"], cstui_env(db), cols=200, rows=50) as pty:
        try:
            drive_monitor(pty)
        finally:
            found = leaks(bytes(pty.out))
            assert found == [], "\n".join(found)

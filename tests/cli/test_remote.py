"""The CLI with --api: every command through a real server, with the same exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cstui.__main__ import main
from cstui.domain.metrics import as_dict
from cstui.server.deps import ServerOptions
from tests.server.conftest import Served, serve_store
from tests.serving import loopback_socket


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    path = tmp_path_factory.mktemp("remote") / "remote.db"
    yield from serve_store(path, ServerOptions(rate_per_second=0))


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("CSTUI_DB", "CSTUI_AGENT", "CSTUI_API", "CSTUI_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CSTUI_CONFIG_FILE", str(tmp_path / "config.toml"))


def cstui(
    capsys: pytest.CaptureFixture[str], served: Served, who: str, *args: str
) -> tuple[int, str, str]:
    """Run `cstui --api URL --token T ARGS` in this process: exit code, stdout, stderr."""
    code = main(["--api", served.url, "--token", served.tokens[who], *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_take_reply_and_lose_a_race(capsys: pytest.CaptureFixture[str], served: Served) -> None:
    tid = served.new_ticket()
    code, out, _ = cstui(capsys, served, "alice", "tickets", "take", str(tid), "--json")
    assert code == 0 and json.loads(out)["owner"] == "alice"
    code, _, err = cstui(capsys, served, "bob", "tickets", "take", str(tid))
    assert code == 3 and err.strip() == "cstui: already owned by alice"
    code, out, _ = cstui(
        capsys, served, "alice", "tickets", "reply", str(tid), "--text", "您好", "--json"
    )
    assert code == 0 and json.loads(out)["author"] == "alice"
    assert [m.body for m in served.store.messages(tid)][-1] == "您好"


def test_the_token_decides_who_acts(capsys: pytest.CaptureFixture[str], served: Served) -> None:
    tid = served.new_ticket()
    code, _, _ = cstui(capsys, served, "carol", "--as", "alice", "tickets", "take", str(tid))
    assert code == 0 and served.store.get_ticket(tid).owner == "carol"
    code, out, _ = cstui(capsys, served, "carol", "tickets", "list", "--view", "mine", "--json")
    assert code == 0 and tid in {t["id"] for t in json.loads(out)["items"]}


def test_rules_and_roles_keep_their_exit_codes(
    capsys: pytest.CaptureFixture[str], served: Served
) -> None:
    tid = served.new_ticket()
    assert cstui(capsys, served, "alice", "tickets", "take", str(tid))[0] == 0
    escalate = ("tickets", "escalate", str(tid), "--to", "warehouse", "--reason", "未入库")
    assert cstui(capsys, served, "alice", *escalate)[0] == 0
    code, _, err = cstui(
        capsys, served, "alice", "tickets", "resolve", str(tid), "--code", "solved"
    )
    assert code == 3 and "escalation" in err
    code, _, _ = cstui(capsys, served, "bob", "tickets", "steal", str(tid), "--reason", "mine")
    assert code == 5
    assert cstui(capsys, served, "alice", "tickets", "show", "999999")[0] == 4
    code, _, err = cstui(capsys, served, "alice", "tickets", "list", "--view", "nope")
    assert code == 2 and err.count("\n") == 1


def test_admin_commands_and_metrics(capsys: pytest.CaptureFixture[str], served: Served) -> None:
    code, out, _ = cstui(capsys, served, "ops", "agents", "add", "dora", "--json")
    assert code == 0 and json.loads(out)["name"] == "dora"
    code, out, _ = cstui(capsys, served, "ops", "agents", "token", "dora", "--json")
    token = json.loads(out)["token"]
    assert served.store.agent_for_token(token).name == "dora"  # type: ignore[union-attr]
    served.new_ticket()  # the module's other tests may run on another worker (xdist)
    code, out, _ = cstui(capsys, served, "alice", "metrics", "--json")
    assert code == 0 and json.loads(out)["team"]["tickets_created"] >= 1
    code, out, _ = cstui(capsys, served, "alice", "metrics", "--by-agent", "--json")
    kept = served.store.quality(since=None, until=None)
    expected = {name: as_dict(figures) for name, figures in kept.agents.items()}
    assert code == 0 and json.loads(out)["agents"] == expected


def test_bad_tokens_and_missing_options(capsys: pytest.CaptureFixture[str], served: Served) -> None:
    code = main(["--api", served.url, "--token", "wrong", "tickets", "list"])
    assert code == 5 and "token" in capsys.readouterr().err
    assert main(["--api", served.url, "tickets", "list"]) == 2
    assert "--token" in capsys.readouterr().err
    assert main(["--api", served.url, "--token", served.tokens["ops"], "init"]) == 2
    assert "--db" in capsys.readouterr().err


def test_an_unreachable_server_is_exit_6(tmp_path: Path) -> None:
    """As a script sees it: a real process, one line on stderr."""
    sock = loopback_socket()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()  # nothing listens there now
    env = {**os.environ, "CSTUI_API": url, "CSTUI_TOKEN": "t"}
    env["CSTUI_CONFIG_FILE"] = str(tmp_path / "config.toml")
    result = subprocess.run(
        [sys.executable, "-m", "cstui", "tickets", "list"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 6
    assert result.stderr.startswith(f"cstui: server {url}") and result.stderr.count("\n") == 1


def test_search_through_the_server(capsys: pytest.CaptureFixture[str], served: Served) -> None:
    tid = served.new_ticket("退款没到账 急")
    code, out, _ = cstui(
        capsys, served, "bob", "tickets", "search", "退款没到账 status:new", "--json"
    )
    assert code == 0 and tid in {t["id"] for t in json.loads(out)["items"]}

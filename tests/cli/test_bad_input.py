"""Bad input of every kind: one line naming the field, exit 2, and nothing written.

Text that is not UTF-8 reaches Python as lone surrogates: an argument or an environment
variable with such bytes (Python decodes each to U+DC80–U+DCFF), a JSON `"\\ud800"` escape
in an import line. No database can store them, so before they ended as "unexpected error"
(exit 1) at the first write. Ids out of the store's range ended the same way
(OverflowError); every id parameter of the CLI now takes only 1 … 2**31−1.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

from cstui.__main__ import main
from cstui.cli import cli
from cstui.cli.context import Id
from cstui.domain.inputs import INT_MAX
from tests.cli.test_cli import NOW, assert_one_line_error, first_unassigned, ok, run

NOT_UTF8 = os.fsdecode(b"x\xed\xa0\x80y")  # an encoded surrogate: invalid UTF-8 bytes
ALSO_NOT_UTF8 = os.fsdecode(b"caf\xe9")  # Latin-1


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seeded") / "cstui.db"
    ok(run(path, "seed", "--tickets", "60", "--kb", "20", "--seed", "7", "--json"))
    return path


@pytest.fixture
def db(template: Path, tmp_path: Path) -> Path:
    """A copy of a small seeded store, for this test alone."""
    return Path(shutil.copy(template, tmp_path / template.name))


def snapshot(db: Path) -> str:
    return ok(run(db, "export", "-"))


@pytest.fixture(scope="module")
def taken(template: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """The seeded store with a ticket agent01 has taken (so valid text would be written to
    it): the store, the ticket's id, and the store's export."""
    path = Path(shutil.copy(template, tmp_path_factory.mktemp("taken") / template.name))
    tid = str(first_unassigned(path))
    ok(run(path, "tickets", "take", tid, agent="agent01"))
    return path, tid, snapshot(path)


REFUSED_TEXT = [
    (("tickets", "reply", "{tid}", "--text", NOT_UTF8), "--text"),
    (("tickets", "note", "{tid}", "--text", ALSO_NOT_UTF8), "--text"),
    (("tickets", "escalate", "{tid}", "--to", "qc", "--reason", NOT_UTF8), "--reason"),
    (("tickets", "transfer", "{tid}", "--to", "agent02", "--reason", NOT_UTF8), "--reason"),
    (("kb", "add", "--title", ALSO_NOT_UTF8, "--body", "b"), "--title"),
    (("tickets", "search", NOT_UTF8), "QUERY"),
    (("kb", "search", ALSO_NOT_UTF8), "QUERY"),
    (("--as", NOT_UTF8, "tickets", "note", "{tid}", "--text", "hi"), "--as"),
]


@pytest.mark.parametrize(
    ("args", "field"), REFUSED_TEXT, ids=[f"{a[0]} {a[1]} {f}" for a, f in REFUSED_TEXT]
)
def test_an_argument_that_is_not_utf8_is_refused_by_name(
    taken: tuple[Path, str, str], tmp_path: Path, args: tuple[str, ...], field: str
) -> None:
    template, tid, before = taken
    db = Path(shutil.copy(template, tmp_path / template.name))
    result = run(db, *(a.replace("{tid}", tid) for a in args), agent="agent01")
    assert_one_line_error(result, 2)
    assert f"cstui: {field}: not UTF-8 text" in result.stderr
    assert snapshot(db) == before


def test_an_environment_variable_that_is_not_utf8_is_refused_by_name(db: Path) -> None:
    result = run(db, "tickets", "note", "1", "--text", "hi", agent=ALSO_NOT_UTF8)
    assert_one_line_error(result, 2)
    assert "CSTUI_AGENT: not UTF-8 text (byte 0xe9" in result.stderr


def test_a_store_path_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    result = run(tmp_path / "x.db", "--db", str(tmp_path / ALSO_NOT_UTF8), "tickets", "list")
    assert_one_line_error(result, 2)
    assert "--db: not UTF-8 text" in result.stderr


def test_a_config_file_that_is_not_utf8_names_its_line(db: Path) -> None:
    (db.parent / "config.toml").write_bytes(b'lang = "en"\ntheme = "caf\xe9"\n')
    result = run(db, "tickets", "list")
    assert_one_line_error(result, 2)
    assert "config.toml: line 2: not UTF-8 text (byte 0xe9)" in result.stderr


# -- import: every line is checked before anything is written -------------------------------


def run_with_stdin(db: Path, stdin: bytes, *args: str) -> subprocess.CompletedProcess[str]:
    """`run`, with bytes on stdin exactly as given."""
    env = {**os.environ, "CSTUI_DB": str(db), "CSTUI_NOW": NOW}
    env["CSTUI_CONFIG_FILE"] = str(db.parent / "config.toml")
    done = subprocess.run(
        [sys.executable, "-m", "cstui", *args],
        input=stdin,
        capture_output=True,
        env=env,
        timeout=120,
    )
    return subprocess.CompletedProcess(
        done.args, done.returncode, done.stdout.decode(), done.stderr.decode()
    )


def lines_of(db: Path) -> list[str]:
    return snapshot(db).splitlines()


def test_an_import_line_with_a_lone_surrogate_imports_nothing(db: Path, tmp_path: Path) -> None:
    lines = lines_of(db)
    agent = json.loads(lines[0])
    agent["display_name"] = "周\ud800"  # what `"\ud800"` in the file reads as
    dump = tmp_path / "dump.jsonl"
    dump.write_text("\n".join([*lines[1:4], json.dumps(agent)]) + "\n", encoding="utf-8")
    assert "\\ud800" in dump.read_text()  # as JSON spells it
    target = tmp_path / "fresh.db"
    result = run(target, "import", str(dump))
    assert_one_line_error(result, 2)
    assert "line 4: display_name: not valid Unicode (lone surrogate U+D800" in result.stderr
    assert not target.exists()


@pytest.mark.parametrize("through", ["file", "stdin"])
def test_import_bytes_that_are_not_utf8_name_the_line(
    db: Path, tmp_path: Path, through: str
) -> None:
    raw = "\n".join(lines_of(db)[:3]).encode() + b'\n{"type": "agent", "name": "caf\xe9"}\n'
    dump = tmp_path / "dump.jsonl"
    dump.write_bytes(raw)
    target = tmp_path / "fresh.db"
    if through == "file":
        result = run(target, "import", str(dump))
        name = str(dump)
    else:
        result = run_with_stdin(target, raw, "import", "-")
        name = "stdin"
    assert_one_line_error(result, 2)
    assert f"{name}: line 4: not UTF-8 text (byte 0xe9 at byte 31)" in result.stderr
    assert not target.exists()


def test_an_import_integer_out_of_range_imports_nothing(db: Path, tmp_path: Path) -> None:
    lines = lines_of(db)
    ticket = next(json.loads(line) for line in lines if '"type": "ticket"' in line)
    ticket["dispatch_count"] = 10**30
    dump = tmp_path / "dump.jsonl"
    dump.write_text("\n".join([*lines, json.dumps(ticket)]) + "\n", encoding="utf-8")
    target = tmp_path / "fresh.db"
    result = run(target, "import", str(dump))
    assert_one_line_error(result, 2)
    assert f"line {len(lines) + 1}: dispatch_count: {10**30} is out of range" in result.stderr
    assert not target.exists()


# -- ids: one rule for every id parameter ---------------------------------------------------

BIG = "99999999999999999999999"
# Every id parameter of the CLI, with a command line that reaches it ({} is the bad value).
ID_CALLS: dict[tuple[str, str], tuple[str, ...]] = {
    ("tickets show", "ticket_id"): ("tickets", "show", "{}"),
    ("tickets take", "ticket_ids"): ("tickets", "take", "1", "{}"),
    ("tickets reply", "ticket_id"): ("tickets", "reply", "{}", "--text", "t"),
    ("tickets reply", "expected_version"): (
        "tickets",
        "reply",
        "1",
        "--text",
        "t",
        "--version",
        "{}",
    ),
    ("tickets note", "ticket_ids"): ("tickets", "note", "{}", "--text", "t"),
    ("tickets escalate", "ticket_ids"): (
        "tickets",
        "escalate",
        "{}",
        "--to",
        "qc",
        "--reason",
        "r",
    ),
    ("tickets escalation", "escalation_id"): ("tickets", "escalation", "{}", "--state", "done"),
    ("tickets transfer", "ticket_id"): ("tickets", "transfer", "{}", "--to", "a", "--reason", "r"),
    ("tickets approve", "request_id"): ("tickets", "approve", "{}"),
    ("tickets steal", "ticket_id"): ("tickets", "steal", "{}", "--reason", "r"),
    ("tickets merge", "ticket_id"): ("tickets", "merge", "{}", "--into", "1"),
    ("tickets merge", "into"): ("tickets", "merge", "1", "--into", "{}"),
    ("tickets link", "ticket_id"): ("tickets", "link", "{}", "1"),
    ("tickets link", "other_id"): ("tickets", "link", "1", "{}"),
    ("tickets status", "ticket_ids"): ("tickets", "status", "{}", "pending"),
    ("tickets priority", "ticket_ids"): ("tickets", "priority", "1", "{}", "high"),
    ("tickets resolve", "ticket_id"): ("tickets", "resolve", "{}", "--code", "solved"),
    ("kb show", "article_id"): ("kb", "show", "{}"),
    ("attachments get", "attachment_id"): ("attachments", "get", "{}", "--out", "-"),
    ("kb capture", "ticket_id"): ("kb", "capture", "{}"),
    ("kb publish", "article_id"): ("kb", "publish", "{}"),
    ("kb edit", "article_id"): ("kb", "edit", "{}", "--title", "t"),
    ("kb edit", "expected_version"): ("kb", "edit", "1", "--title", "t", "--version", "{}"),
    ("tickets category", "ticket_id"): ("tickets", "category", "{}", "logistics"),
    ("notifications read", "ids"): ("notifications", "read", "{}"),
    ("suggest", "ticket_id"): ("suggest", "{}"),
}


def _id_parameters() -> set[tuple[str, str]]:
    """(command, parameter) for every parameter that names a row: by its name or its type."""
    ctx = click.Context(cli)
    found: set[tuple[str, str]] = set()

    def walk(group: click.Group, path: str) -> None:
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            if isinstance(command, click.Group):
                walk(command, f"{path}{name} ")
                continue
            for param in command.params if command else ():
                named = (param.name or "").endswith(("_id", "_ids", "_version")) or param.name in (
                    "into",
                )
                if named or isinstance(param.type, Id):
                    found.add((f"{path}{name}", str(param.name)))

    walk(cli, "")
    return found


def test_every_id_parameter_takes_only_the_stores_ids() -> None:
    ctx = click.Context(cli)
    assert set(ID_CALLS) == _id_parameters()  # none left out, none made up
    for command, name in ID_CALLS:
        sub = cli.get_command(ctx, command.split()[0])
        for word in command.split()[1:]:  # a group's subcommand (`suggest` stands alone)
            assert isinstance(sub, click.Group)
            sub = sub.get_command(ctx, word)
        assert sub is not None
        param = next(p for p in sub.params if p.name == name)
        assert isinstance(param.type, Id), (command, name)


@pytest.mark.parametrize("value", [BIG, str(INT_MAX + 1), "0", "1.5", "x"])
@pytest.mark.parametrize("call", list(ID_CALLS), ids=" ".join)
def test_an_id_out_of_range_is_bad_input(
    call: tuple[str, str],
    value: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # No store: the value is refused before one is opened (else: exit 6, no store).
    monkeypatch.setenv("CSTUI_DB", str(tmp_path / "none.db"))
    monkeypatch.setenv("CSTUI_AGENT", "agent01")
    monkeypatch.setenv("CSTUI_CONFIG_FILE", str(tmp_path / "config.toml"))
    args = [a.replace("{}", value) for a in ID_CALLS[call]]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("cstui: Invalid value for ")
    assert f"expected a whole number from 1 to {INT_MAX}" in err


def test_a_huge_ticket_id_is_one_line_of_bad_input(db: Path) -> None:
    result = run(db, "tickets", "show", BIG)
    assert_one_line_error(result, 2)
    assert "TICKET_ID" in result.stderr and BIG in result.stderr


def test_the_largest_id_is_not_found(db: Path) -> None:
    assert_one_line_error(run(db, "tickets", "show", str(INT_MAX)), 4)

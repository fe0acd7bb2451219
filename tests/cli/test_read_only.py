"""A store on a read-only mount (or in a read-only directory) opens for reading.

The store is seeded, closed, and then seen through a directory that refuses every write
(`tests/mounts.py`: a read-only bind mount as root, permission bits otherwise; checked to
refuse a new file first). SQLite's WAL mode would need to create the -shm file there, so
before, even reads failed ("unable to open database file"). Each read must answer exactly
as on the writable original; a write fails with one line (exit 6).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.test_cli import assert_one_line_error, ok, run
from tests.mounts import read_only_view

READS = [
    ("tickets", "list", "--view", "all-open", "--json"),
    ("tickets", "list", "--view", "closed", "--count", "--json"),
    ("tickets", "show", "3", "--json"),
    ("tickets", "search", "退款", "--json"),
    ("kb", "search", "退款", "--json"),
    ("metrics", "--json"),
    ("agents", "list", "--json"),
    ("report", "--period", "week", "--json"),
]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seeded") / "cstui.db"
    ok(run(path, "seed", "--tickets", "60", "--kb", "20", "--seed", "7", "--json"))
    return path


@pytest.fixture
def read_only(seeded: Path, tmp_path: Path) -> Iterator[Path]:
    """A copy of the seeded store, seen through a read-only directory."""
    source = tmp_path / "store"
    source.mkdir()
    shutil.copy(seeded, source / seeded.name)
    with read_only_view(source, tmp_path / "ro") as view:
        yield view / seeded.name


@pytest.mark.parametrize("args", READS, ids=lambda a: " ".join(a[:2]))
def test_a_read_only_store_answers_reads_as_the_writable_one(
    seeded: Path, read_only: Path, args: tuple[str, ...]
) -> None:
    assert ok(run(read_only, *args, agent="agent01")) == ok(run(seeded, *args, agent="agent01"))


def test_a_write_to_a_read_only_store_fails_with_one_line(read_only: Path) -> None:
    before = ok(run(read_only, "tickets", "show", "3", "--json"))
    note = run(read_only, "tickets", "note", "3", "--text", "checked", agent="agent01")
    assert_one_line_error(note, 6)
    assert "readonly" in note.stderr or "read-only" in note.stderr
    added = run(read_only, "kb", "add", "--title", "t", "--body", "b", agent="agent01")
    assert_one_line_error(added, 6)
    assert ok(run(read_only, "tickets", "show", "3", "--json")) == before


def test_seed_into_a_read_only_directory_says_so(tmp_path: Path) -> None:
    source = tmp_path / "empty"
    source.mkdir()
    with read_only_view(source, tmp_path / "ro") as view:
        result = run(view / "new.db", "seed", "--tickets", "5")
    assert_one_line_error(result, 6)
    assert "read-only" in result.stderr and "nothing was written" in result.stderr

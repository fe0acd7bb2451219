"""Real file systems for tests: a small full-able disk, and a directory nobody may write.

Root ignores permission bits, and the tests run as root in CI, so `chmod` alone would prove
nothing there: as root a read-only directory is a read-only bind mount (EROFS, which root
cannot bypass), or failing that an immutable directory (`chattr +i`). As another user,
permission bits do. Either way the directory is checked to refuse a new file before a test
may use it. A small disk is a tmpfs of a given size. Where the kernel refuses (no root, no
CAP_SYS_ADMIN) the test skips with the reason, except under CI=true, where it must run.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest


def _refused(why: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{why} (under CI this must work)")
    pytest.skip(why)


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=30)


@contextmanager
def small_disk(at: Path, size: str = "2M") -> Iterator[Path]:
    """A tmpfs of `size` mounted at `at` (made if missing), unmounted afterwards."""
    at.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        _refused("mounting a small tmpfs needs root")
    done = _run("mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(at))
    if done.returncode != 0:
        _refused(f"mounting a tmpfs was refused: {done.stderr.strip()}")
    try:
        yield at
    finally:
        _run("umount", "-l", str(at))


@contextmanager
def read_only_view(source: Path, at: Path) -> Iterator[Path]:
    """`source` (a directory) as a directory that refuses every write, for this process
    too, even as root: `at` or `source` itself. Restored afterwards."""
    with _read_only(source, at) as view:
        probe = view / ".write-probe"
        try:
            probe.touch()
        except OSError:
            pass
        else:
            probe.unlink()
            pytest.fail(f"{view} is still writable: the test would not test a read-only store")
        yield view


@contextmanager
def _read_only(source: Path, at: Path) -> Iterator[Path]:
    files = [p for p in source.iterdir() if p.is_file()]
    if os.geteuid() != 0:
        for path in [*files, source]:
            path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield source
        finally:
            for path in [source, *files]:
                path.chmod(0o755 if path.is_dir() else 0o644)
        return
    at.mkdir(parents=True, exist_ok=True)
    if _run("mount", "--bind", "-o", "ro", str(source), str(at)).returncode == 0:
        try:
            yield at
        finally:
            _run("umount", "-l", str(at))
        return
    targets = [str(p) for p in [*files, source]]
    done = _run("chattr", "+i", *targets)
    if done.returncode != 0:
        _run("chattr", "-i", *targets)
        _refused(f"neither a read-only bind mount nor chattr +i: {done.stderr.strip()}")
    try:
        yield source
    finally:
        with suppress(OSError):
            _run("chattr", "-i", *targets)

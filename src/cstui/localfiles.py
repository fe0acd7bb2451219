"""Files on the agent's machine: read to go with a reply, or saved from a ticket.

Reading checks each file before any is read whole (a regular file, within the limit), so a
reply never leaves with half its files. Saving never overwrites and never follows a link:
the name is made safe (`domain.files.safe_filename`), a taken one gets " (2)", " (3)" …,
and the file is created exclusively, readable by its owner only (customers' documents).
Opening it is left to the desktop (`xdg-open`) and only where there is one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from cstui.domain.channels import NewAttachment
from cstui.domain.files import human_size, new_attachment, safe_filename
from cstui.errors import BadInput

MAX_SAME_NAME = 1000


def read_attachments(
    paths: Sequence[str], *, max_bytes: int, what: str = "--attach"
) -> tuple[NewAttachment, ...]:
    """The named files, each a regular file within `max_bytes`; BadInput (one line, naming
    `what` and the file) for the first that is missing, unreadable, empty or too big."""
    files = []
    for name in paths:
        path = Path(name).expanduser()
        try:
            if not path.is_file():
                raise BadInput(f"{what}: {name}: not a regular file (or missing)")
            size = path.stat().st_size
            if size > max_bytes:
                raise BadInput(
                    f"{what}: {name}: {human_size(size)} is over the limit of "
                    f"{human_size(max_bytes)}"
                )
            data = path.read_bytes()
        except OSError as exc:
            raise BadInput(f"{what}: {name}: {exc.strerror or exc}") from None
        try:
            files.append(new_attachment(path.name, data, max_bytes=max_bytes))
        except BadInput as exc:
            raise BadInput(f"{what}: {name}: {exc}") from None
    return tuple(files)


def save_download(directory: Path, filename: str, data: bytes) -> Path:
    """`data` in a new file in `directory` under a safe, unused version of `filename`."""
    directory.mkdir(parents=True, exist_ok=True)
    safe = safe_filename(filename)
    stem, dot, ext = safe.rpartition(".")
    if not stem:  # "README" or ".bashrc" made "bashrc": no extension to keep apart
        stem, dot, ext = safe, "", ""
    for n in range(1, MAX_SAME_NAME + 1):
        name = safe if n == 1 else f"{stem} ({n}){dot}{ext}"
        target = directory / name
        try:
            # O_EXCL: never an existing file, nor a link someone left under this name.
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        except FileExistsError:
            continue
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        return target
    raise BadInput(f"{directory}: {MAX_SAME_NAME} files are called {safe} already")


def has_desktop(env: Mapping[str, str] | None = None) -> bool:
    """A graphical session to open files in (X11 or Wayland), not a terminal alone (SSH)."""
    env = os.environ if env is None else env
    return bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))


def open_on_desktop(path: Path) -> bool:
    """Open `path` with the desktop's application for it, when there is a desktop and
    `xdg-open`; True if it was handed over. Never waits for the application."""
    opener = shutil.which("xdg-open")
    if opener is None or not has_desktop():
        return False
    subprocess.Popen(
        [opener, str(path)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # not tied to the console's terminal or its Ctrl+C
    )
    return True


def save_as(path: Path, data: bytes, *, overwrite: bool = False) -> Path:
    """`data` as the file at `path`, whole or not at all: written to a temporary file beside
    it, synced, then put in place. Without `overwrite` an existing file (or a link) at `path`
    is refused, even one that appears while writing (the final step is a hard link, which
    never replaces); with it, the old file is replaced in one rename."""
    if not overwrite and os.path.lexists(path):
        raise BadInput(f"--out: {path}: exists (--force to overwrite)")
    directory = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".part")
    except OSError as exc:
        raise BadInput(f"--out: {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)
    except FileExistsError:
        raise BadInput(f"--out: {path}: exists (--force to overwrite)") from None
    except OSError as exc:
        raise BadInput(f"--out: {path}: {exc.strerror or exc}") from None
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path

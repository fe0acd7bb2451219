"""What an agent typed, kept on disk so that quitting, a crash, a failed send or a server
that is down loses nothing.

- `DraftBox`: replies and notes being typed. One small file per (store, agent, ticket,
  kind), replaced atomically on each save.
- `Outbox`: messages sent but not yet accepted by the store (the team server was
  unreachable). Each keeps the Idempotency-Key it was first sent with, so sending it again,
  after a reconnect or a restart, never posts it twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

from cstui.domain.model import MessageKind


def _agent_dir(root: Path, store_key: str, actor: str) -> Path:
    return root / hashlib.sha256(f"{store_key}\0{actor}".encode()).hexdigest()[:16]


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class DraftBox:
    """Drafts on disk. The console saves one in a worker thread on every keystroke; those
    workers can finish in any order, so each writes the newest text staged for its draft
    (`stage`, on the UI thread, in typing order), and a draft discarded after sending is not
    brought back by a save still in flight."""

    def __init__(self, root: Path, store_key: str, actor: str) -> None:
        self.dir = _agent_dir(root, store_key, actor)
        self._staged: dict[tuple[int, MessageKind], str] = {}
        self._lock = threading.RLock()

    def _path(self, ticket_id: int, kind: MessageKind) -> Path:
        return self.dir / f"{ticket_id}.{kind.value}.txt"

    def stage(self, ticket_id: int, kind: MessageKind, text: str) -> None:
        """The draft's newest text, for the next `save_staged`."""
        with self._lock:
            self._staged[(ticket_id, kind)] = text

    def save_staged(self, ticket_id: int, kind: MessageKind) -> None:
        """Write the newest staged text, if a later saver has not written it already."""
        with self._lock:
            text = self._staged.get((ticket_id, kind))
            if text is not None:
                self.save(ticket_id, kind, text)

    def save(self, ticket_id: int, kind: MessageKind, text: str) -> None:
        with self._lock:
            self._staged.pop((ticket_id, kind), None)
            if not text.strip():
                self.discard(ticket_id, kind)
                return
            _write_atomically(self._path(ticket_id, kind), text)

    def load(self, ticket_id: int, kind: MessageKind) -> str:
        try:
            return self._path(ticket_id, kind).read_text(encoding="utf-8")
        except FileNotFoundError:
            return ""

    def discard(self, ticket_id: int, kind: MessageKind) -> None:
        with self._lock:
            self._staged.pop((ticket_id, kind), None)
            self._path(ticket_id, kind).unlink(missing_ok=True)

    def pending(self) -> list[tuple[int, MessageKind]]:
        """Drafts left from earlier sessions, so the console can say they are there."""
        if not self.dir.exists():
            return []
        out = []
        for path in sorted(self.dir.glob("*.txt")):
            ticket, kind, _txt = path.name.split(".")
            out.append((int(ticket), MessageKind(kind)))
        return out


@dataclass(frozen=True)
class Outgoing:
    """A message on its way to the store."""

    ticket_id: int
    kind: MessageKind
    text: str
    key: str  # the Idempotency-Key, the same for every attempt
    files: tuple[str, ...] = ()  # paths of files to send with it, read at each attempt

    @property
    def name(self) -> str:
        return f"{self.ticket_id}.{self.key}.json"


class Outbox:
    """Messages written to disk before they are sent, removed once the store has them."""

    def __init__(self, root: Path, store_key: str, actor: str) -> None:
        self.dir = _agent_dir(root, store_key, actor) / "outbox"

    def put(
        self, ticket_id: int, kind: MessageKind, text: str, files: tuple[str, ...] = ()
    ) -> Outgoing:
        item = Outgoing(ticket_id, kind, text, key=f"console-{uuid.uuid4().hex}", files=files)
        _write_atomically(self.dir / item.name, json.dumps(asdict(item), ensure_ascii=False))
        return item

    def remove(self, item: Outgoing) -> None:
        (self.dir / item.name).unlink(missing_ok=True)

    def count(self) -> int:
        return sum(1 for _ in self.dir.glob("*.json")) if self.dir.exists() else 0

    def pending(self) -> list[Outgoing]:
        """Oldest first: a customer reads the replies in the order they were written."""
        if not self.dir.exists():
            return []
        paths = sorted(self.dir.glob("*.json"), key=lambda p: p.stat().st_mtime_ns)
        items = []
        for path in paths:
            data = json.loads(path.read_text(encoding="utf-8"))
            files = tuple(str(f) for f in data.get("files", ()))  # none in older entries
            kind = MessageKind(data["kind"])
            items.append(Outgoing(data["ticket_id"], kind, data["text"], data["key"], files))
        return items

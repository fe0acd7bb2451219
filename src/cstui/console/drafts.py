"""Replies and notes being typed, kept on disk so quitting, a crash or a failed send loses
nothing. One small file per (store, agent, ticket, kind), replaced atomically on each save;
it is removed only once the store has accepted the message.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from cstui.domain.model import MessageKind


class DraftBox:
    def __init__(self, root: Path, store_key: str, actor: str) -> None:
        digest = hashlib.sha256(f"{store_key}\0{actor}".encode()).hexdigest()[:16]
        self.dir = root / digest

    def _path(self, ticket_id: int, kind: MessageKind) -> Path:
        return self.dir / f"{ticket_id}.{kind.value}.txt"

    def save(self, ticket_id: int, kind: MessageKind, text: str) -> None:
        if not text.strip():
            self.discard(ticket_id, kind)
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=".draft-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self._path(ticket_id, kind))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def load(self, ticket_id: int, kind: MessageKind) -> str:
        try:
            return self._path(ticket_id, kind).read_text(encoding="utf-8")
        except FileNotFoundError:
            return ""

    def discard(self, ticket_id: int, kind: MessageKind) -> None:
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

"""Who an API token acts as, remembered on this machine.

The console is opened as the token's agent, which only the server can tell. Remembering the
answer lets the console open while the server is down (a deploy, a reboot) on a machine
where the token has been used before; it then fills in when the server answers. Only a
hash of the server's address and the token is kept, never the token.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

from cstui.errors import Unavailable


def token_owner(url: str, token: str, ask: Callable[[], str], remembered: Path) -> str:
    """The server's answer (remembered), or the remembered one while it cannot answer."""
    key = hashlib.sha256(f"{url.rstrip('/')}\n{token}".encode()).hexdigest()
    known = _load(remembered)
    try:
        name = ask()
    except Unavailable as exc:
        if key in known:
            return known[key]
        unknown = "this token was never used here, so who it acts as is unknown"
        raise Unavailable(f"{exc} ({unknown})") from None
    if known.get(key) != name:
        _save(remembered, {**known, key: name})
    return name


def _load(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _save(path: Path, known: dict[str, str]) -> None:
    """Written whole and then renamed: a crash never leaves half a file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".tmp")
        partial.write_text(json.dumps(known, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(partial, path)
    except OSError:
        pass  # only a convenience: the console still works while the server is up

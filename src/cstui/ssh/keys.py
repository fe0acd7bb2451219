"""OpenSSH authorized_keys, read strictly: each key's comment names the agent it logs in.

The login user name must equal the comment of the key the client proved it holds, so one
file lists the whole team and `ssh sue@host` with alice's key is refused. Options in front of
a key (`from=`, `command=` …) are not supported: a line with them is refused rather than
silently ignored, since ignoring a restriction would grant more than the file says.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cstui.errors import BadInput

KEY_TYPES = (
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
)


@dataclass(frozen=True, slots=True)
class AuthorizedKey:
    name: str  # the comment: the agent's name, and the only user name it may log in as
    key_type: str
    blob: str  # base64 of the public key, as in the file


def parse_line(line: str, number: int) -> AuthorizedKey | None:
    """One line of the file; blank lines and comments are None, anything odd is BadInput."""
    text = line.strip()
    if not text or text.startswith("#"):
        return None
    parts = text.split(None, 2)
    if parts[0] not in KEY_TYPES:
        raise BadInput(f"authorized keys: line {number}: options or unknown key type {parts[0]!r}")
    if len(parts) < 3 or not parts[2].strip():
        raise BadInput(f"authorized keys: line {number}: the comment must name the agent")
    name = parts[2].strip()
    if any(c.isspace() for c in name) or name.startswith("-") or len(name) > 64:
        raise BadInput(f"authorized keys: line {number}: not an agent name: {name!r}")
    return AuthorizedKey(name=name, key_type=parts[0], blob=parts[1])


def parse(text: str) -> dict[str, set[str]]:
    """Agent name → the "type base64" strings of their keys."""
    keys: dict[str, set[str]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        key = parse_line(line, number)
        if key is not None:
            keys.setdefault(key.name, set()).add(f"{key.key_type} {key.blob}")
    if not keys:
        raise BadInput("authorized keys: no key in the file")
    return keys


def load(path: Path) -> dict[str, set[str]]:
    try:
        return parse(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BadInput(f"--authorized-keys: {path}: {exc.strerror}") from None

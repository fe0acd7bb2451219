"""The TLS context every channel connection uses: the system's trusted CAs, plus the
configured CA file for a server with its own certificate. Hostnames are always checked."""

from __future__ import annotations

import ssl
from pathlib import Path

from cstui.errors import BadInput


def client_context(ca_file: Path | None, *, what: str) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if ca_file is not None:
        try:
            context.load_verify_locations(cafile=str(ca_file))
        except (OSError, ssl.SSLError) as exc:
            raise BadInput(f"{what}.ca_file: {ca_file}: {exc}") from None
    return context

"""How a delivery attempt failed: for good (a 5xx, a refused request) or for now."""

from __future__ import annotations


class DeliveryError(Exception):
    """A send that did not go through. `permanent`: trying again cannot help (the address
    does not exist, the endpoint refused the request); otherwise it is retried with backoff.
    `str(err)` is the one-line reason shown with the failed delivery."""

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.permanent = permanent


def one_line(text: str, limit: int = 300) -> str:
    """A server's answer as one short line (it may span lines, or be long)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"

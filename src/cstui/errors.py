"""The errors every layer raises, each mapped to one documented exit code.

Exit codes (CONTRACT.md): 0 ok, 1 usage or unexpected error, 2 bad input, 3 conflict,
4 not found, 5 permission denied, 6 store or server unreachable.
"""

from __future__ import annotations


class CstuiError(Exception):
    """Base of every error a user may see; `str(err)` is the one-line message."""

    exit_code = 1
    http_status = 500


class BadInput(CstuiError):
    """The input is malformed; the message names the field or line."""

    exit_code = 2
    http_status = 422


class BadQuery(BadInput):
    """A search query its language cannot parse (HTTP 400: the request itself is wrong)."""

    http_status = 400


class Conflict(CstuiError):
    """Refused by the state of the world: already owned, stale version, a rule."""

    exit_code = 3
    http_status = 409

    def __init__(self, message: str, *, owner: str | None = None) -> None:
        super().__init__(message)
        self.owner = owner


class AlreadyOwned(Conflict):
    """A take lost the race or the ticket had an owner already."""


class StaleVersion(Conflict):
    """The row changed since the caller read it (optimistic concurrency)."""

    http_status = 412


class NotFound(CstuiError):
    exit_code = 4
    http_status = 404


class PermissionDenied(CstuiError):
    exit_code = 5
    http_status = 403


class Unavailable(CstuiError):
    """The store or the server cannot be reached, or is unusable (corrupt, too new)."""

    exit_code = 6
    http_status = 503


# -- what only the team server says (HTTP), mapped back to the same exit codes ----------------


class Unauthorized(PermissionDenied):
    """No valid API token: the server answers 401."""

    http_status = 401


class PreconditionRequired(BadInput):
    """A change that must name the version it was read at (If-Match) did not."""

    http_status = 428


class RateLimited(Unavailable):
    """Too many requests on one token; `retry_after` says how many seconds to wait."""

    http_status = 429

    def __init__(self, message: str, *, retry_after: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after

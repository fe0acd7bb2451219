"""Tokens that stop working, and the HTTP store riding out a rate limit, on a real server."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from cstui import errors as E
from cstui.remote.http_store import HttpStore
from cstui.server.deps import ServerOptions
from cstui.store import View
from tests.server.conftest import serve_store


def test_a_new_token_revokes_the_old_one(tmp_path: Path) -> None:
    """With the token cache off, the very next request with the old token is refused."""
    served = serve_store(tmp_path / "tokens.db", ServerOptions(token_cache_seconds=0))
    server = next(served)
    try:
        old = HttpStore(server.url, server.tokens["alice"])
        assert old.count_tickets(View.ALL_OPEN, actor=None) == 0
        fresh = server.store.issue_token("alice")
        with pytest.raises(E.Unauthorized):
            old.count_tickets(View.ALL_OPEN, actor=None)
        assert HttpStore(server.url, fresh).me.name == "alice"
    finally:
        next(served, None)


def test_the_http_store_waits_out_a_short_flood(tmp_path: Path) -> None:
    """429 with Retry-After: the store sleeps and retries instead of failing the command."""
    # At one request a second, the third call waits out a 1 s Retry-After, or arrived a
    # second or more after the first on a slow machine: either way 0.9 s have passed.
    served = serve_store(tmp_path / "limit.db", ServerOptions(rate_per_second=1, rate_burst=2))
    server = next(served)
    try:
        store = HttpStore(server.url, server.tokens["bob"])
        started = time.monotonic()
        counts = [store.count_tickets(View.ALL_OPEN, actor=None) for _ in range(3)]
        assert counts == [0, 0, 0]
        assert time.monotonic() - started >= 0.9  # the third call waited its Retry-After
    finally:
        next(served, None)

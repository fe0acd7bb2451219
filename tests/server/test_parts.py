"""The server's small parts on their own: rate limiter, token cache, versions, error mapping."""

from __future__ import annotations

import httpx
import pytest

from cstui import errors as E
from cstui.domain.model import Agent, Role
from cstui.remote.http_store import error_from
from cstui.server.deps import TokenCache, expected_version
from cstui.server.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_limiter_allows_a_burst_then_the_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=2.0, burst=3, clock=clock)
    for _ in range(3):
        limiter.hit("t")
    with pytest.raises(E.RateLimited) as limited:
        limiter.hit("t")
    assert limited.value.retry_after == pytest.approx(0.5)
    limiter.hit("other")  # one token's flood is its own
    clock.now += 0.5
    limiter.hit("t")
    with pytest.raises(E.RateLimited):
        limiter.hit("t")


def test_rate_zero_means_no_limit() -> None:
    limiter = RateLimiter(rate=0, burst=1)
    for _ in range(100):
        limiter.hit("t")


def test_the_token_cache_forgets_after_its_time() -> None:
    clock = Clock()
    cache = TokenCache(5.0, clock=clock)
    alice = Agent(id=1, name="alice", role=Role.AGENT)
    cache.put("h", alice)
    assert cache.get("h") == alice
    clock.now += 5.1
    assert cache.get("h") is None
    off = TokenCache(0)
    off.put("h", alice)
    assert off.get("h") is None


@pytest.mark.parametrize(
    ("header", "version"),
    [('"7"', 7), (' "7" ', 7), ('W/"7", "7"', 7), ('"x,y", "7"', 7), ("*", None)],
)
def test_if_match_names_a_version(header: str, version: int | None) -> None:
    assert expected_version(header) == version


@pytest.mark.parametrize(
    "header", ['W/"7"', "7", '"7', '"7"x', '"seven"', '"07"', '"²"', f'"{2**63}"', '"7";"8"']
)
def test_a_weak_or_malformed_if_match_matches_no_version(header: str) -> None:
    """RFC 9110 §13.1.1: strong comparison, so a weak tag never matches; nor does a tag
    that is not a version as the ETag spells it."""
    with pytest.raises(E.StaleVersion):
        expected_version(header)


def test_if_match_missing_or_naming_two_versions() -> None:
    with pytest.raises(E.PreconditionRequired):
        expected_version(None)
    with pytest.raises(E.BadInput):
        expected_version('"7", "8"')


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (
            409,
            {"error": "already owned by bob", "kind": "already_owned", "owner": "bob"},
            E.AlreadyOwned,
        ),
        (412, {"error": "changed", "kind": "stale_version"}, E.StaleVersion),
        (401, {"error": "no token", "kind": "unauthorized"}, E.Unauthorized),
        (403, {"error": "no", "kind": "permission_denied"}, E.PermissionDenied),
        (404, {}, E.NotFound),
        (422, {"detail": []}, E.BadInput),
        (502, "<html>bad gateway</html>", E.Unavailable),
    ],
)
def test_errors_come_back_as_the_stores_own(
    status: int, body: object, expected: type[E.CstuiError]
) -> None:
    response = (
        httpx.Response(status, json=body)
        if isinstance(body, dict)
        else httpx.Response(status, text=str(body))
    )
    error = error_from(response)
    assert type(error) is expected
    if isinstance(error, E.AlreadyOwned):
        assert error.owner == "bob" and error.exit_code == 3


async def test_open_streams_share_one_poll_and_wake_on_a_write(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import asyncio
    import threading
    import time

    from cstui.server import watch

    # Only a poll can wake a stream here, however slow the machine: no fallback wake-up.
    monkeypatch.setattr(watch, "FALLBACK_SECONDS", 600.0)
    calls, log_end, in_flight, most = [], [10], [0], [0]
    lock = threading.Lock()

    def latest() -> int:
        with lock:
            calls.append(1)
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
        time.sleep(0.01)  # long enough for polls of separate pollers to overlap
        with lock:
            in_flight[0] -= 1
        return log_end[0]

    watcher = watch.LogWatcher(latest, poll_seconds=0.02)

    async def stream() -> str:
        async with watcher.watching():
            await watcher.wait_past(10)
            return "woke"

    streams = [asyncio.create_task(stream()) for _ in range(5)]
    deadline = time.monotonic() + 30
    while len(calls) < 10:  # the streams are idle: only the poller runs
        assert time.monotonic() < deadline, f"{len(calls)} polls in 30 s"
        await asyncio.sleep(0.02)
    assert most[0] == 1  # one poller for five streams, not five
    log_end[0] = 11  # a write, made anywhere
    assert await asyncio.wait_for(asyncio.gather(*streams), 30) == ["woke"] * 5
    stopped_at = len(calls)  # every poll counts itself as it starts
    await asyncio.sleep(0.2)
    assert len(calls) == stopped_at  # no stream open: no polling

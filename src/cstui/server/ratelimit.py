"""A token bucket per API token: a client that floods the server is told to wait (429).

Kept in each server process's memory: it protects that process, and a client spread over
several processes behind a balancer gets each one's allowance. A few lines of arithmetic;
a rate-limit library would add a dependency for no more than this.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from cstui.errors import RateLimited

MAX_BUCKETS = 10_000  # full buckets are dropped past this, so random tokens cannot fill memory


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """`rate` requests per second per key on average, bursts of up to `burst`."""

    def __init__(
        self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> None:
        """Count one request for `key`, or raise RateLimited with the seconds to wait."""
        if self.rate <= 0:
            return
        now = self.clock()
        with self._lock:
            bucket = self._buckets.get(key) or _Bucket(self.burst, now)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
            bucket.at = now
            self._buckets[key] = bucket
            if bucket.tokens < 1:
                wait = (1 - bucket.tokens) / self.rate
                raise RateLimited("too many requests: slow down", retry_after=wait)
            bucket.tokens -= 1
            if len(self._buckets) > MAX_BUCKETS:
                self._forget_full(now)

    def _forget_full(self, now: float) -> None:
        full = [
            k for k, b in self._buckets.items() if b.tokens + (now - b.at) * self.rate >= self.burst
        ]
        for key in full:
            del self._buckets[key]

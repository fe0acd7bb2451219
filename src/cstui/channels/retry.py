"""When a transient failure is tried again: exponential backoff with jitter, computed by
tenacity's wait strategy, and a last attempt after which the delivery fails for good.

The worker does not sleep between attempts: a failed delivery goes back to the queue with
`retry_at`, so a restart (or another server) picks it up at the right time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tenacity import RetryCallState, Retrying, stop_after_attempt, wait_exponential, wait_random


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """`max_attempts` sends at most; the n-th retry waits about first · 2^(n-1) seconds
    (capped at `cap`), plus up to `jitter` of that so that a relay coming back is not hit by
    every queued delivery at the same instant."""

    max_attempts: int = 8
    first: float = 30.0
    cap: float = 3600.0
    jitter: float = 0.1

    def retry_at(self, attempts_made: int, now: datetime) -> datetime | None:
        """When to try again after `attempts_made` attempts (this one included) have failed;
        None when that was the last one."""
        state = self._state(attempts_made)
        if self._retrying.stop(state):
            return None
        return now + timedelta(seconds=self._retrying.wait(state))

    def delay(self, attempts_made: int) -> float:
        """The wait after `attempts_made` failed attempts (for callers that wait in place)."""
        return float(self._retrying.wait(self._state(attempts_made)))

    @property
    def _retrying(self) -> Retrying:
        base = wait_exponential(multiplier=self.first, min=self.first, max=self.cap)
        return Retrying(
            wait=base + wait_random(0, self.first * self.jitter),
            stop=stop_after_attempt(self.max_attempts),
        )

    def _state(self, attempts_made: int) -> RetryCallState:
        state = RetryCallState(self._retrying, None, (), {})
        state.attempt_number = max(1, attempts_made)
        return state

"""Connection rate limiting per client address: a sliding window of recent attempts.

An SSH port on a network gets scanned; each attempt costs a key exchange. Refusing an
address that connects too often keeps the server responsive for the team.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field


@dataclass
class ConnectionLimiter:
    """At most `per_window` connections per address within `window` seconds."""

    per_window: int = 20
    window: float = 60.0
    _seen: dict[str, deque[float]] = field(default_factory=dict)

    def allow(self, address: str, now: float) -> bool:
        """Record an attempt at `now`; False when the address is over its limit."""
        recent = self._seen.setdefault(address, deque())
        while recent and now - recent[0] >= self.window:
            recent.popleft()
        if len(recent) >= self.per_window:
            return False
        recent.append(now)
        return True

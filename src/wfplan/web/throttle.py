"""Token brute-force protection: a client that keeps sending bad tokens is locked out a while.

A client (its IP address as the server sees it; behind a reverse proxy, the proxy's)
that sends more than :attr:`Throttle.failures` tokens that are not live within
:attr:`Throttle.window_s` seconds gets 429 for every request carrying a token for
:attr:`Throttle.lockout_s` seconds. Requests without a token (the public) and
other clients are not affected. The counts are per server process, in memory.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field


@dataclass
class Throttle:
    """Failed token attempts per client, and the clients locked out."""

    failures: int = 10
    window_s: float = 60.0
    lockout_s: float = 60.0
    _seen: dict[str, deque[float]] = field(default_factory=dict)
    _locked: dict[str, float] = field(default_factory=dict)
    _guard: threading.Lock = field(default_factory=threading.Lock)

    def locked(self, client: str) -> bool:
        """Return whether ``client`` is locked out now."""
        with self._guard:
            until = self._locked.get(client)
            if until is None:
                return False
            if time.monotonic() >= until:
                del self._locked[client]
                return False
            return True

    def failed(self, client: str) -> None:
        """Count one failed token attempt by ``client``; lock it out past the limit."""
        now = time.monotonic()
        with self._guard:
            seen = self._seen.setdefault(client, deque())
            seen.append(now)
            while seen and seen[0] < now - self.window_s:
                seen.popleft()
            if len(seen) > self.failures:
                self._locked[client] = now + self.lockout_s
                seen.clear()
            if len(self._seen) > 100_000:  # bounded memory under a spray of addresses
                self._seen.clear()

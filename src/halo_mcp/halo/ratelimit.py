"""A client-side rolling-window limiter, so the server stays under Halo's limit instead of collecting 429s."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class RateLimitState:
    """What we know of the upstream limit, in the spirit of the IETF RateLimit fields."""

    limit: int
    remaining: int
    reset_seconds: float
    window_seconds: float

    def describe(self) -> str:
        return (
            f"Halo rate limit {self.limit} requests per {self.window_seconds:g} s: "
            f"{self.remaining} remaining, window resets in {self.reset_seconds:.0f} s"
        )


class RollingWindowLimiter:
    """At most `limit` requests in any `window` seconds; callers wait (boundedly) for a free slot."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._sent: deque[float] = deque()
        self._lock = asyncio.Lock()

    def _trim(self, now: float) -> None:
        while self._sent and now - self._sent[0] >= self.window:
            self._sent.popleft()

    def state(self) -> RateLimitState:
        now = time.monotonic()
        self._trim(now)
        reset = self.window - (now - self._sent[0]) if self._sent else 0.0
        return RateLimitState(self.limit, max(0, self.limit - len(self._sent)), max(0.0, reset), self.window)

    def exhaust(self, retry_after: float | None) -> None:
        """Halo said 429: treat the window as full for `retry_after` seconds (or a whole window)."""
        now = time.monotonic()
        wait = retry_after if retry_after is not None else self.window
        start = now - self.window + wait
        self._sent = deque([start] * self.limit)

    async def acquire(self, max_wait: float) -> float | None:
        """Take a slot, waiting up to `max_wait`; returns None on success, else the seconds until a slot frees."""
        async with self._lock:
            now = time.monotonic()
            self._trim(now)
            if len(self._sent) >= self.limit:
                wait = self.window - (now - self._sent[0])
                if wait > max_wait:
                    return wait
                await asyncio.sleep(wait)
                now = time.monotonic()
                self._trim(now)
            self._sent.append(now)
            return None

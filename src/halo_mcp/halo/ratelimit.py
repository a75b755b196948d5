"""A client-side rolling-window limiter, so the server stays under Halo's limit instead of collecting 429s.

A slot is reserved when a request is sent and stamped when its answer arrives: Halo counts a request when it
receives it, which is never later than we see the answer, so stamping late keeps our window behind Halo's even at
its edges.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Mapping
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


class Slot:
    __slots__ = ("at",)

    def __init__(self) -> None:
        self.at = math.inf  # in flight

    def done(self) -> None:
        self.at = time.monotonic()


class RateLimitWait(Exception):
    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.seconds = seconds


class RollingWindowLimiter:
    """At most `limit` requests in any `window` seconds; callers wait (boundedly) for a free slot."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._slots: list[Slot] = []
        self._lock = asyncio.Lock()

    def _live(self, now: float) -> list[Slot]:
        self._slots = [s for s in self._slots if now - s.at < self.window]
        return self._slots

    def _wait(self, now: float) -> float:
        oldest = min(s.at for s in self._slots)
        return self.window - (now - oldest) if oldest != math.inf else 0.05

    def state(self) -> RateLimitState:
        now = time.monotonic()
        live = self._live(now)
        reset = self._wait(now) if live else 0.0
        return RateLimitState(self.limit, max(0, self.limit - len(live)), max(0.0, reset), self.window)

    def exhaust(self, retry_after: float | None) -> None:
        """Halo said 429: treat the window as full for `retry_after` seconds (or a whole window)."""
        wait = retry_after if retry_after is not None else self.window
        stamp = time.monotonic() - self.window + wait
        self._slots = []
        for _ in range(self.limit):
            slot = Slot()
            slot.at = stamp
            self._slots.append(slot)

    async def acquire(self, max_wait: float) -> Slot:
        """Reserve a slot, waiting up to `max_wait`; raises RateLimitWait with the seconds a slot needs."""
        async with self._lock:
            deadline = time.monotonic() + max_wait
            while True:
                now = time.monotonic()
                if len(self._live(now)) < self.limit:
                    slot = Slot()
                    self._slots.append(slot)
                    return slot
                wait = self._wait(now)
                if now + wait > deadline:
                    raise RateLimitWait(wait)
                await asyncio.sleep(wait)


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds from a Retry-After header (Halo sends delta-seconds), or None when absent or unreadable."""
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None

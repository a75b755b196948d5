"""A client-side rolling-window limiter, so the server stays under Halo's limit instead of collecting 429s.

A slot is reserved when a request is sent and stamped when its answer arrives: Halo counts a request when it
receives it, which is never later than we see the answer, so stamping late keeps our window behind Halo's even at
its edges. Hosted Halo's limit is per instance, not per process: with HALO_MCP_REDIS_URL every replica reserves in
one shared window (state/redis.py); without it the window lives here, in process.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from halo_mcp.state.base import RateLimitState, RateLimitWait, SharedCache, Window

if TYPE_CHECKING:
    from halo_mcp.config import HaloSettings, ServerSettings


class LocalSlot:
    __slots__ = ("at",)

    def __init__(self) -> None:
        self.at = math.inf  # in flight

    def done(self) -> None:
        self.at = time.monotonic()


class RollingWindowLimiter:
    """At most `limit` requests in any `window` seconds; callers wait (boundedly) for a free slot."""

    cache: SharedCache | None = None  # nothing shared in process

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._slots: list[LocalSlot] = []
        self._lock = asyncio.Lock()

    def _live(self, now: float) -> list[LocalSlot]:
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

    def degraded(self) -> str | None:
        return None

    def exhaust(self, retry_after: float | None) -> None:
        """Halo said 429: treat the window as full for `retry_after` seconds (or a whole window)."""
        wait = retry_after if retry_after is not None else self.window
        self._slots = []
        self.seed([time.monotonic() - self.window + wait] * self.limit)

    def seed(self, stamps: Iterable[float]) -> None:
        """Count requests already sent (monotonic stamps), e.g. this replica's own while the shared window was up."""
        for at in stamps:
            slot = LocalSlot()
            slot.at = at
            self._slots.append(slot)

    def stamps(self) -> list[float]:
        """Live slots as monotonic stamps (one in flight counts as sent now)."""
        now = time.monotonic()
        return [min(s.at, now) for s in self._live(now)]

    async def acquire(self, max_wait: float) -> LocalSlot:
        """Reserve a slot, waiting up to `max_wait`; raises RateLimitWait with the seconds a slot needs."""
        async with self._lock:
            deadline = time.monotonic() + max_wait
            while True:
                now = time.monotonic()
                if len(self._live(now)) < self.limit:
                    slot = LocalSlot()
                    self._slots.append(slot)
                    return slot
                wait = self._wait(now)
                if now + wait > deadline:
                    raise RateLimitWait(wait)
                await asyncio.sleep(wait)

    async def aclose(self) -> None:
        return None


def tenant_of(settings: HaloSettings) -> str:
    """The name Halo's limit is counted under: the API host (and HALO_TENANT for hosted multi-tenant URLs)."""
    host = urlsplit(settings.endpoints()[0]).netloc.lower()
    return f"{host}/{settings.tenant}" if settings.tenant else host


def window_for(halo: HaloSettings, server: ServerSettings) -> Window | None:
    """The tenant's window: shared through Redis when HALO_MCP_REDIS_URL is set, else in process; None when off."""
    limit = halo.rate_limit_window()
    if limit is None:
        return None
    if not server.redis_url:
        return RollingWindowLimiter(*limit)
    from halo_mcp.state.redis import RedisWindow

    return RedisWindow.from_url(
        server.redis_url.get_secret_value(),
        tenant_of(halo),
        *limit,
        local=RollingWindowLimiter,
        replicas=server.replicas,
    )


def cache_for(halo: HaloSettings, server: ServerSettings) -> SharedCache | None:
    """The tenant's shared caches when replicas share a Redis but have no window to carry them (the limit is off)."""
    if not server.redis_url or halo.rate_limit_window() is not None:
        return None  # none to share, or the window's store carries them (`Window.cache`)
    from halo_mcp.state.redis import RedisCache

    return RedisCache.from_url(server.redis_url.get_secret_value(), tenant_of(halo))


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds from a Retry-After header (Halo sends delta-seconds), or None when absent or unreadable."""
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


__all__ = [
    "LocalSlot",
    "RateLimitState",
    "RateLimitWait",
    "RollingWindowLimiter",
    "cache_for",
    "retry_after",
    "window_for",
]

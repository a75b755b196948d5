"""The shared rate-limit window on a real Redis: one budget over several windows (replicas), the local share when
Redis is gone, and the window written back when it returns."""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest

from halo_mcp.halo.ratelimit import RollingWindowLimiter
from halo_mcp.state.base import RateLimitWait
from halo_mcp.state.redis import PROBE_SECONDS, RedisWindow
from tests.helpers import RedisServer

pytestmark = [pytest.mark.replicas, pytest.mark.anyio]


def replica(redis: RedisServer, tenant: str, limit: int, window: float, replicas: int = 1) -> RedisWindow:
    return RedisWindow.from_url(redis.url, tenant, limit, window, local=RollingWindowLimiter, replicas=replicas)


async def test_three_replicas_together_start_no_more_than_the_limit_in_a_window(redis_server: RedisServer) -> None:
    windows = [replica(redis_server, "budget.example", 6, 1.0) for _ in range(3)]
    started: list[float] = []

    async def send(w: RedisWindow) -> None:
        slot = await w.acquire(max_wait=5)
        started.append(time.monotonic())
        slot.done()

    t0 = time.monotonic()
    await asyncio.gather(*(send(windows[i % 3]) for i in range(18)))
    assert len(started) == 18
    started.sort()
    assert all(later - earlier >= 1.0 for earlier, later in zip(started, started[6:], strict=False))
    assert time.monotonic() - t0 >= 2.0  # three full windows' worth took at least two window lengths
    for w in windows:
        assert w.degraded() is None
        await w.aclose()


async def test_a_full_shared_window_refuses_a_caller_that_cannot_wait(redis_server: RedisServer) -> None:
    first, second = replica(redis_server, "full.example", 2, 30.0), replica(redis_server, "full.example", 2, 30.0)
    (await first.acquire(0)).done()
    (await first.acquire(0)).done()
    with pytest.raises(RateLimitWait) as waited:
        await second.acquire(0.1)
    assert 25 < waited.value.seconds <= 30
    assert second.state().remaining == 0
    await first.aclose()
    await second.aclose()


async def test_a_429_seen_by_one_replica_fills_the_window_for_all(redis_server: RedisServer) -> None:
    first, second = replica(redis_server, "429.example", 5, 30.0), replica(redis_server, "429.example", 5, 30.0)
    (await first.acquire(0)).done()
    first.exhaust(2.0)
    await asyncio.sleep(0.05)  # the fill is written off the caller's path
    with pytest.raises(RateLimitWait) as waited:
        await second.acquire(0.1)
    assert 1.0 < waited.value.seconds <= 2.0
    await first.aclose()
    await second.aclose()


async def test_without_redis_a_replica_keeps_its_share_and_recovers_when_redis_returns() -> None:
    redis = RedisServer().start()
    windows = [replica(redis, "failover.example", 9, 2.0) for _ in range(3)]
    try:
        own = windows[0]
        for w in [*windows, own]:
            (await w.acquire(1)).done()  # each replica is seen by Redis: three share the budget
        await asyncio.sleep(0.05)
        redis.stop()
        slot = await own.acquire(0)  # 2 sent before + 1 now = its share, 9 / 3
        assert "3 of 9" in (own.degraded() or "")
        slot.done()
        with pytest.raises(RateLimitWait):
            await own.acquire(0)
        redis.start()
        await asyncio.sleep(PROBE_SECONDS + 0.1)
        # Back on Redis, but for one more window its local share still gates it (the others may not be back yet).
        with pytest.raises(RateLimitWait):
            await own.acquire(0)
        assert own.degraded() is None
        # Redis restarted empty; the requests made meanwhile (and before) were written back.
        assert await own.redis.zcard(own.keys[0]) == 3
        slot = await own.acquire(2)
        slot.done()
    finally:
        for w in windows:
            await w.aclose()
        redis.stop()


async def test_losing_redis_after_uneven_spending_adds_no_more_than_what_the_window_had_left() -> None:
    """The hand-over gap: one replica spent most of the window, two spent nothing. Each local share starts as full
    as the shared window was, so together they add at most what was left (the local shares alone would allow 3x2)."""
    redis = RedisServer().start()
    windows = [replica(redis, "uneven.example", 6, 30.0, replicas=3) for _ in range(3)]
    try:
        busy, *idle = windows
        for w in idle:
            (await w.acquire(1)).done()  # seen by Redis; 2 of 6 used
        for _ in range(3):
            (await busy.acquire(1)).done()  # 5 of 6 used, 3 of them by `busy`
        for w in idle:  # both learn the window is nearly full as they take its last slot
            with contextlib.suppress(RateLimitWait):
                (await w.acquire(0)).done()
        await asyncio.sleep(0.05)
        redis.stop()
        granted = 0
        for w in windows:
            for _ in range(3):
                try:
                    (await w.acquire(0)).done()
                    granted += 1
                except RateLimitWait:
                    break
        assert all(w.degraded() for w in windows)
        assert granted == 0  # the window was full when Redis went away: nothing more in this window
    finally:
        for w in windows:
            await w.aclose()
        redis.stop()

"""What replicas share in Redis: each Halo tenant's rate-limit window, the caches and leases (`RedisCache`: lookup
tables, the server's Halo token) and the key rings (`RedisKeyRings`).

Each request is a member of one sorted set per tenant, scored by Redis time: a reserved slot is scored in the
future (`now + IN_FLIGHT_SECONDS`, so a replica that dies mid-request frees it eventually) and re-scored to the
answer's arrival when the answer comes. One Lua script reserves atomically, so N replicas together never start
more than `limit` requests in any `window` seconds; a 429 fills the window for everyone, as in process.

When Redis cannot be reached, a replica keeps to its share of the budget (limit / replicas seen lately) in a local
window, says so in `degraded()` (and /healthz), and probes Redis again every `PROBE_SECONDS`. The hand-overs are
where replicas could together overshoot, so both are conservative:
- losing Redis: the local window starts as full as the shared one was at the last contact, in proportion (its own
  requests, in flight ones included, topped up with stand-ins stamped now). Replica i may then add at most
  share * (1 - used/limit) in the first window, so all together add at most limit - used, however unevenly the
  replicas had spent;
- finding Redis again: the local requests are written back (so a Redis that restarted empty still counts them), and
  for one more window a request needs a slot in the local share as well as in Redis, since the other replicas may
  still be spending their shares uncounted until they probe.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import logging
import math
import time
import uuid
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from halo_mcp.state.base import RateLimitState, RateLimitWait, SharedCache, Slot, StoredKey

log = logging.getLogger("halo_mcp.state")

IN_FLIGHT_SECONDS = 120.0  # a reserved slot whose answer never comes is counted this long, then a window more
PROBE_SECONDS = 1.0  # while degraded, how often Redis is tried again
SEEN_SECONDS = 300.0  # a replica that reserved a slot this recently counts towards the fallback share
CONNECT_TIMEOUT_SECONDS = 0.5
COMMAND_TIMEOUT_SECONDS = 1.0
POLL_SECONDS = 0.05  # every live slot is in flight: look again shortly

# KEYS: window, replicas. ARGV: limit, window, member, in-flight seconds, replica id, seen seconds.
# Returns {granted, used, replicas, wait}: wait is a string, since Redis truncates Lua numbers to integers.
ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local limit, window, flight, seen = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[4]), tonumber(ARGV[6])
redis.call('ZADD', KEYS[2], now, ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - seen)
redis.call('PEXPIRE', KEYS[2], math.ceil(seen * 1000))
local replicas = redis.call('ZCARD', KEYS[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local used = redis.call('ZCARD', KEYS[1])
if used < limit then
  redis.call('ZADD', KEYS[1], now + flight, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil((window + flight) * 1000))
  return {1, used + 1, replicas, '0'}
end
local oldest = tonumber(redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
local wait = oldest + window - now
if oldest > now then wait = -1 end
return {0, used, replicas, tostring(wait)}
"""

# KEYS: window. ARGV: member. Re-scores a reserved slot to now, unless a 429 has filled the window since.
STAMP = """
local t = redis.call('TIME')
return redis.call('ZADD', KEYS[1], 'XX', tonumber(t[1]) + tonumber(t[2]) / 1000000, ARGV[1])
"""

# KEYS: window. ARGV: limit, window, seconds until a slot frees, member prefix.
EXHAUST = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local limit, window = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('DEL', KEYS[1])
for i = 1, limit do
  redis.call('ZADD', KEYS[1], now - window + tonumber(ARGV[3]), ARGV[4] .. ':' .. i)
end
redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000))
return limit
"""

# KEYS: window. ARGV: window, member prefix, n, then n ages of requests sent while Redis was away, then the ages
# of this replica's requests from before, which count only if Redis lost the window (restarted empty).
MERGE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local window, n = tonumber(ARGV[1]), tonumber(ARGV[3])
local last = #ARGV
if redis.call('EXISTS', KEYS[1]) == 1 then last = 3 + n end
for i = 4, last do
  redis.call('ZADD', KEYS[1], 'NX', now - tonumber(ARGV[i]), ARGV[2] .. ':' .. i)
end
redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000))
return last - 3
"""


class LocalWindow(Protocol):
    """The in-process window a replica falls back to (halo/ratelimit.py RollingWindowLimiter)."""

    limit: int
    window: float

    async def acquire(self, max_wait: float) -> Slot: ...

    def exhaust(self, retry_after: float | None) -> None: ...

    def state(self) -> RateLimitState: ...

    def seed(self, stamps: list[float]) -> None: ...

    def stamps(self) -> list[float]: ...


class RedisSlot:
    __slots__ = ("local", "member", "owner")

    def __init__(self, owner: RedisWindow, member: str, local: Slot | None = None) -> None:
        self.owner = owner
        self.member = member
        self.local = local  # the local share's slot too, while settling after Redis returned

    def done(self) -> None:
        if self.local is not None:
            self.local.done()
        self.owner.stamp(self.member)


class RedisWindow:
    """One tenant's window in Redis, with a local fallback (see the module docstring)."""

    def __init__(
        self,
        redis: Redis,
        tenant: str,
        limit: int,
        window: float,
        *,
        local: Callable[[int, float], LocalWindow],
        replicas: int = 1,
    ) -> None:
        self.redis = redis
        self.limit = limit
        self.window = window
        # One hash tag per tenant: both keys of the script live on one Redis Cluster slot.
        self.keys = [f"halo-mcp:{{{tenant}}}:window", f"halo-mcp:{{{tenant}}}:replicas"]
        self.cache: SharedCache | None = RedisCache(redis, f"halo-mcp:{{{tenant}}}:")
        self.replica = uuid.uuid4().hex[:12]
        self._ids = itertools.count()
        self._local_factory = local
        self._replicas = max(1, replicas)  # the larger of the setting and what Redis saw
        self._configured_replicas = max(1, replicas)
        self._acquire = redis.register_script(ACQUIRE)
        self._stamp = redis.register_script(STAMP)
        self._exhaust = redis.register_script(EXHAUST)
        self._merge = redis.register_script(MERGE)
        self._sent: deque[float] = deque()  # this replica's own requests (monotonic), for the fallback's seed
        self._flying: set[str] = set()  # reserved in Redis, answer not yet arrived
        self._local: LocalWindow | None = None
        self._settling: LocalWindow | None = None  # the local share, kept for one window after Redis returned
        self._settled_at = 0.0
        self._down_reason = ""
        self._next_probe = 0.0
        self._used = 0
        self._wait = 0.0
        self._tasks: set[asyncio.Task[Any]] = set()

    @classmethod
    def from_url(
        cls,
        url: str,
        tenant: str,
        limit: int,
        window: float,
        *,
        local: Callable[[int, float], LocalWindow],
        replicas: int,
    ) -> RedisWindow:
        redis = Redis.from_url(
            url,
            socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
            socket_timeout=COMMAND_TIMEOUT_SECONDS,
            health_check_interval=30,
            # One immediate retry (a pooled connection may predate a Redis restart); no backoff that would hold a call.
            retry=Retry(NoBackoff(), 1),
        )
        return cls(redis, tenant, limit, window, local=local, replicas=replicas)

    # -- the window ----------------------------------------------------------------------------------------

    async def acquire(self, max_wait: float) -> Slot:
        deadline = time.monotonic() + max_wait
        if self._local is not None:
            if time.monotonic() < self._next_probe:
                return await self._local.acquire(max_wait)
            self._next_probe = time.monotonic() + PROBE_SECONDS  # one caller probes; the others stay local
        try:
            if self._local is not None:
                await self._recover(self._local)
            settling = self._settling
            if settling is not None and time.monotonic() >= self._settled_at:
                self._settling = settling = None
            if settling is None:
                return await self._shared(deadline)
            gate = await settling.acquire(max(0.0, deadline - time.monotonic()))
            try:
                return await self._shared(deadline, gate)
            except BaseException:
                gate.done()  # counted as sent: the safe side
                raise
        except (RedisError, OSError) as exc:
            local = self._degrade(exc)
            return await local.acquire(max(0.0, deadline - time.monotonic()))

    async def _shared(self, deadline: float, local: Slot | None = None) -> Slot:
        while True:
            member = f"{self.replica}:{next(self._ids)}"
            granted, used, replicas, wait_text = await self._acquire(
                keys=self.keys,
                args=[self.limit, self.window, member, IN_FLIGHT_SECONDS, self.replica, SEEN_SECONDS],
            )
            self._replicas = max(self._configured_replicas, int(replicas))
            self._used = int(used)
            wait = float(wait_text)
            if granted:
                self._wait = 0.0
                self._flying.add(member)
                return RedisSlot(self, member, local)
            wait = POLL_SECONDS if wait < 0 else wait
            self._wait = wait
            now = time.monotonic()
            if now + wait > deadline:
                raise RateLimitWait(wait)
            await asyncio.sleep(wait)

    def stamp(self, member: str) -> None:
        """Re-score a slot to its answer's arrival, off the caller's path (later is the safe side)."""
        now = time.monotonic()
        self._flying.discard(member)
        self._sent.append(now)
        while self._sent and self._sent[0] <= now - self.window:
            self._sent.popleft()
        if self._local is not None:
            # Reserved before Redis went away, answered after: counted again at its answer (it was seeded as sent
            # when Redis went away, which may be before Halo received it).
            self._local.seed([now])
            return
        self._background(self._stamp(keys=self.keys[:1], args=[member]))

    def exhaust(self, retry_after: float | None) -> None:
        wait = retry_after if retry_after is not None else self.window
        if self._local is not None:
            self._local.exhaust(retry_after)
            return
        prefix = f"{self.replica}:x{next(self._ids)}"
        self._background(self._exhaust(keys=self.keys[:1], args=[self.limit, self.window, wait, prefix]))

    def state(self) -> RateLimitState:
        if self._local is not None:
            local = self._local.state()
            return RateLimitState(self.limit, local.remaining, local.reset_seconds, self.window)
        return RateLimitState(self.limit, max(0, self.limit - self._used), self._wait, self.window)

    def degraded(self) -> str | None:
        if self._local is None:
            return None
        return (
            f"Redis unreachable ({self._down_reason}): keeping to this replica's share of the Halo rate limit, "
            f"{self._local.limit} of {self.limit} requests per {self.window:g} s"
        )

    async def aclose(self) -> None:
        for task in list(self._tasks):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, COMMAND_TIMEOUT_SECONDS)
        await self.redis.aclose()

    # -- losing and finding Redis --------------------------------------------------------------------------

    def _degrade(self, exc: BaseException) -> LocalWindow:
        self._next_probe = time.monotonic() + PROBE_SECONDS
        self._down_reason = type(exc).__name__
        if self._local is None:
            now = time.monotonic()
            share = max(1, self.limit // self._replicas)
            local = self._local_factory(share, self.window)
            self._settling = None
            own = [at for at in self._sent if at > now - self.window] + [now] * len(self._flying)
            # As full as the shared window was at the last contact, in proportion (see the module docstring).
            standins = max(0, math.ceil(local.limit * min(self._used, self.limit) / self.limit) - len(own))
            local.seed(own + [now] * standins)
            self._local = local
            log.warning("rate-limit window: %s", self.degraded())
        return self._local

    async def _recover(self, local: LocalWindow) -> None:
        """Write back what was sent while Redis was away, then serve from Redis again."""
        now = time.monotonic()
        known = set(self._sent)
        own = [at for at in local.stamps() if at not in known]
        before = [now - at for at in self._sent]
        during = [now - at for at in own]
        prefix = f"{self.replica}:m{next(self._ids)}"
        await self._merge(keys=self.keys[:1], args=[self.window, prefix, len(during), *during, *before])
        self._sent.extend(sorted(own))
        self._local = None
        self._settling, self._settled_at = local, time.monotonic() + self.window
        log.warning("rate-limit window: Redis reachable again, sharing the window")

    def _background(self, command: Any) -> None:
        """Run a Redis write without holding the caller; an error is ignored (the safe side: counted longer)."""

        async def run() -> None:
            with contextlib.suppress(RedisError, OSError):
                await command

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


class RedisCache:
    """The `SharedCache` on Redis: plain GET/SET with expiry, a lease is SET NX, every key under the tenant's prefix
    (one hash tag per tenant). A Redis error is a miss, a granted lease, a skipped write: the caller asks Halo; and
    for `PROBE_SECONDS` after one, Redis is not asked at all, so an outage costs no call a timeout."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix
        self._away_until = 0.0

    @classmethod
    def from_url(cls, url: str, tenant: str) -> RedisCache:
        redis = Redis.from_url(
            url, socket_connect_timeout=CONNECT_TIMEOUT_SECONDS, socket_timeout=COMMAND_TIMEOUT_SECONDS
        )
        return cls(redis, f"halo-mcp:{{{tenant}}}:")

    async def aclose(self) -> None:
        await self.redis.aclose()

    async def _run(self, command: Callable[[], Any], otherwise: Any) -> Any:
        if time.monotonic() < self._away_until:
            return otherwise
        try:
            return await command()
        except (RedisError, OSError):
            self._away_until = time.monotonic() + PROBE_SECONDS
            return otherwise

    async def get(self, key: str) -> bytes | None:
        value = await self._run(lambda: self.redis.get(self.prefix + key), None)
        return value.encode() if isinstance(value, str) else value

    async def put(self, key: str, value: bytes, ttl: float) -> None:
        await self._run(lambda: self.redis.set(self.prefix + key, value, px=max(1, int(ttl * 1000))), None)

    async def lease(self, key: str, ttl: float) -> bool:
        taken = self._run(lambda: self.redis.set(self.prefix + key, b"1", px=max(1, int(ttl * 1000)), nx=True), True)
        return bool(await taken)

    async def release(self, key: str) -> None:
        await self._run(lambda: self.redis.delete(self.prefix + key), None)


# KEYS: ring. ARGV: kid, value. Adds the key only to an empty ring.
ADD_FIRST = """
if redis.call('HLEN', KEYS[1]) > 0 then return 0 end
return redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
"""


class RedisKeyRings:
    """The `KeyRingStore` on Redis: one hash per ring, kid -> JSON {active_from, secret}. Synchronous (a separate
    connection pool from the window's): rings load at start and refresh in a worker thread.

    Redis must persist (AOF or RDB) for the rings to outlive a restart; when it comes back empty anyway, replicas
    write back the keys they hold (state/keyring.py), so only a restart of Redis and every replica together loses
    them."""

    def __init__(self, url: str) -> None:
        import redis as redis_sync

        self.redis = redis_sync.Redis.from_url(
            url, socket_connect_timeout=CONNECT_TIMEOUT_SECONDS, socket_timeout=COMMAND_TIMEOUT_SECONDS
        )
        self._add_first = self.redis.register_script(ADD_FIRST)

    @staticmethod
    def _key(ring: str) -> str:
        return f"halo-mcp:keyring:{ring}"

    def keys(self, ring: str) -> list[StoredKey]:
        found: dict[bytes, bytes] = self.redis.hgetall(self._key(ring))  # type: ignore[assignment]
        keys = []
        for kid, raw in found.items():
            value = json.loads(raw)
            keys.append(StoredKey(kid.decode(), base64.b64decode(value["secret"]), float(value["active_from"])))
        return keys

    def add(self, ring: str, key: StoredKey, *, only_first: bool = False) -> bool:
        value = json.dumps({"active_from": key.active_from, "secret": base64.b64encode(key.secret).decode()})
        if only_first:
            return bool(self._add_first(keys=[self._key(ring)], args=[key.kid, value]))
        return bool(self.redis.hsetnx(self._key(ring), key.kid, value))

    def remove(self, ring: str, kids: list[str]) -> int:
        return int(self.redis.hdel(self._key(ring), *kids)) if kids else 0

    def close(self) -> None:
        self.redis.close()

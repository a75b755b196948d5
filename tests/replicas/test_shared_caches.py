"""The server's Halo token and the lookup tables shared through a real Redis: N replicas make one token request and
one lookup, a token Halo refused is renewed once for all, and the token is stored sealed."""

from __future__ import annotations

import asyncio
import statistics
import time

import pytest
from pydantic import SecretStr

from halo_mcp.config import ServerSettings
from halo_mcp.halo.client import HaloClient
from halo_mcp.halo.ratelimit import cache_for, window_for
from halo_mcp.sandbox import Sandbox
from halo_mcp.state.redis import RedisCache
from halo_mcp.tools.resolve import Resolver
from tests.helpers import RedisServer, halo_settings_for

pytestmark = [pytest.mark.replicas, pytest.mark.anyio]


def route(sb: Sandbox, name: str) -> int:
    return int(sb.counters()["routes"].get(name, 0))


def replicas(sb: Sandbox, redis: RedisServer, n: int = 3, rate_limit: str = "1000/10") -> list[HaloClient]:
    """`n` replicas' Halo clients on one tenant, each with its own Redis connections, as processes would have."""
    halo = halo_settings_for(sb, rate_limit=rate_limit)
    server = ServerSettings(redis_url=SecretStr(redis.url))
    return [HaloClient(halo, window=window_for(halo, server), cache=cache_for(halo, server)) for _ in range(n)]


async def test_three_replicas_make_one_token_request_and_one_renewal_after_halo_refuses_it(
    fresh_sandbox: Sandbox, redis_server: RedisServer
) -> None:
    clients = replicas(fresh_sandbox, redis_server)
    try:
        fresh_sandbox.reset_counters()
        await asyncio.gather(*(c.get("Status") for c in clients))
        assert route(fresh_sandbox, "POST /auth/token") == 1
        assert len({c.tokens._token.access_token for c in clients if c.tokens._token}) == 1
        fresh_sandbox.expire_tokens()  # every replica's token is now refused with 401
        fresh_sandbox.reset_counters()
        await asyncio.gather(*(c.get("Status") for c in clients for _ in range(3)))
        assert route(fresh_sandbox, "POST /auth/token") == 1
    finally:
        for c in clients:
            await c.aclose()


async def test_the_shared_token_is_sealed_under_the_client_secret(
    fresh_sandbox: Sandbox, redis_server: RedisServer
) -> None:
    (client,) = replicas(fresh_sandbox, redis_server, 1)
    try:
        await client.get("Status")
        token = client.tokens._token
        assert token is not None and client.cache is not None
        blob = await client.cache.get(client.tokens._shared_key)
        assert blob is not None and token.access_token.encode() not in blob
    finally:
        await client.aclose()


async def test_a_lookup_table_one_replica_fetched_serves_the_others(
    fresh_sandbox: Sandbox, redis_server: RedisServer
) -> None:
    clients = replicas(fresh_sandbox, redis_server, rate_limit="off")  # no window: the cache stands alone
    assert all(isinstance(c.cache, RedisCache) for c in clients)
    await clients[0].cache.redis.flushall()  # type: ignore[union-attr]
    resolvers = [Resolver(c) for c in clients]
    try:
        fresh_sandbox.reset_counters()
        team = await resolvers[0].resolve("team", "Network")
        fresh_sandbox.reset_counters()
        for r in resolvers[1:]:
            assert (await r.resolve("team", "network")).id == team.id
            assert (await r.candidates("client", "Oscorp"))[0].name == (
                await resolvers[0].candidates("client", "Oscorp")
            )[0].name
        counters = fresh_sandbox.counters()
        assert route(fresh_sandbox, "GET /api/Team") == 0  # the others read the first replica's table
        assert route(fresh_sandbox, "GET /api/Client") == 1  # one search, by the first to ask
        # A kind Halo proved stale is read from Halo again (and written through), not from the shared copy.
        resolvers[1].invalidate("team")
        await resolvers[1].resolve("team", "Network")
        assert route(fresh_sandbox, "GET /api/Team") == 1, counters
    finally:
        for c in clients:
            await c.aclose()


async def test_a_shared_lookup_adds_well_under_a_millisecond(fresh_sandbox: Sandbox, redis_server: RedisServer) -> None:
    """What sharing costs a replica whose own copy has expired: one Redis GET and decoding the table."""
    first, other = replicas(fresh_sandbox, redis_server, 2, rate_limit="off")
    try:
        await Resolver(first).table("agent")
        times = []
        for _ in range(50):
            resolver = Resolver(other)
            started = time.perf_counter()
            await resolver.table("agent")
            times.append(time.perf_counter() - started)
        p50 = statistics.median(times) * 1000
        print(f"shared lookup (agents table) p50 {p50:.3f} ms")
        assert p50 < 2.0
    finally:
        for c in (first, other):
            await c.aclose()


async def test_without_redis_lookups_and_the_token_come_from_halo_without_waiting(fresh_sandbox: Sandbox) -> None:
    redis = RedisServer().start()
    (client,) = replicas(fresh_sandbox, redis, 1, rate_limit="off")
    redis.stop()
    try:
        fresh_sandbox.reset_counters()
        assert (await Resolver(client).resolve("team", "Network")).name == "Network"
        started = time.monotonic()
        for kind in ("agent", "status", "priority"):
            await Resolver(client).table(kind)
        assert time.monotonic() - started < 1.0  # Redis is not asked again for a while after it failed
        assert route(fresh_sandbox, "POST /auth/token") == 1
    finally:
        await client.aclose()

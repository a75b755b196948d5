"""Three `halo-mcp serve` processes share one Halo tenant through a real Redis and one PostgreSQL: together they
stay inside Halo's rate limit (the sandbox's counters prove it), losing Redis mid-run degrades, recovers, and loses
no write, and every replica's writes are in the one audit."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Iterator
from contextlib import AsyncExitStack

import httpx2
import pytest
from mcp import Client

from halo_mcp.sandbox import Sandbox
from tests.helpers import (
    LEGACY_INITIALIZE,
    MCP_HEADERS,
    CliServer,
    PostgresServer,
    Raw,
    RedisServer,
    api_calls,
    call,
    halo_mcp_cli,
    http_client,
    ok,
    replicas,
    subprocess_env,
)

pytestmark = [pytest.mark.replicas, pytest.mark.anyio]

LIMIT, WINDOW_SECONDS = 40, 2.0  # Halo's budget in the sandbox and in the servers: 20 requests/s for all three
CONCURRENT_CALLS = 12


@pytest.fixture(scope="module")
def cluster(redis_server: RedisServer, postgres_server: PostgresServer) -> Iterator[tuple[Sandbox, list[CliServer]]]:
    with Sandbox(seed=1) as sb:
        env = subprocess_env(
            sb,
            HALO_RATE_LIMIT=f"{LIMIT}/{WINDOW_SECONDS:g}",
            HALO_MCP_REDIS_URL=redis_server.url,
            HALO_MCP_DATABASE_URL=postgres_server.url,
            HALO_MCP_REPLICAS="3",
        )
        with replicas(env) as servers:
            yield sb, servers


def metric(url: str, name: str) -> float:
    """One series' value from a replica's /metrics (summed over its labels)."""
    text = httpx2.get(f"{url}/metrics").text
    return sum(float(v) for v in re.findall(rf"^{name}(?:{{[^}}]*}})? (\S+)$", text, re.MULTILINE))


def health(url: str) -> dict[str, object]:
    body: dict[str, object] = httpx2.get(f"{url}/healthz").json()
    return body


async def spread(clients: list[Client], calls: list[tuple[str, dict[str, object]]]) -> list[str]:
    """Each call on the next replica in turn, a bounded number at a time; every one must succeed."""
    gate = asyncio.Semaphore(CONCURRENT_CALLS)

    async def one(i: int, tool: str, arguments: dict[str, object]) -> str:
        async with gate:
            return ok(await call(clients[i % len(clients)], tool, **arguments))

    return list(await asyncio.gather(*(one(i, tool, args) for i, (tool, args) in enumerate(calls))))


async def test_three_replicas_make_200_calls_without_one_429_from_halo(
    cluster: tuple[Sandbox, list[CliServer]],
) -> None:
    sb, servers = cluster
    sb.set_faults(rate_limit={"limit": LIMIT, "window_seconds": WINDOW_SECONDS}, paths=["/api"])
    sb.reset_counters()
    started = time.monotonic()
    async with AsyncExitStack() as stack:
        clients = [await stack.enter_async_context(http_client(s.url)) for s in servers]
        await spread(clients, [("get_ticket", {"id": 1 + i % 20}) for i in range(200)])
    elapsed = time.monotonic() - started
    counters = sb.counters()
    sent = api_calls(counters)
    assert counters["rate_limited"] == 0  # Halo never had to refuse: no window held more than LIMIT
    assert sent >= 200
    assert elapsed >= (sent / LIMIT - 1) * WINDOW_SECONDS  # and the budget, not luck, paced them
    # Each replica's /metrics agrees with the sandbox: together they sent every request, and saw no 429.
    assert sum(metric(s.url, "halo_mcp_halo_requests_total") for s in servers) == sent
    assert sum(metric(s.url, "halo_mcp_halo_rate_limited_total") for s in servers) == 0
    assert sum(metric(s.url, "halo_mcp_tool_calls_total") for s in servers) >= 200
    assert all(health(s.url)["status"] == "ok" for s in servers)


async def test_redis_stopped_mid_run_degrades_recovers_and_loses_no_write(
    cluster: tuple[Sandbox, list[CliServer]], redis_server: RedisServer, postgres_server: PostgresServer
) -> None:
    sb, servers = cluster
    sb.set_faults(rate_limit={"limit": LIMIT, "window_seconds": WINDOW_SECONDS}, paths=["/api"])
    sb.reset_counters()
    marker = f"replica-failover-{time.time_ns()}"
    notes = [("add_note", {"ticket_id": 1, "note": f"{marker} {i}"}) for i in range(60)]
    async with AsyncExitStack() as stack:
        clients = [await stack.enter_async_context(http_client(s.url)) for s in servers]
        await spread(clients, notes[:20])
        redis_server.stop()
        await spread(clients, notes[20:40])
        assert all(health(s.url)["status"] == "degraded" for s in servers)
        assert "Redis unreachable" in str(health(servers[0].url)["degraded"])
        redis_server.start()
        await asyncio.sleep(1.2)  # a degraded replica tries Redis again every second
        await spread(clients, notes[40:])
        assert all(health(s.url)["status"] == "ok" for s in servers)
    counters = sb.counters()
    # Neither hand-over (Redis stopping, Redis returning empty) lets a request over Halo's budget.
    assert counters["rate_limited"] == 0
    assert counters["routes"]["POST /api/Actions"] == 60  # each note sent once
    written = [a["note"] for a in Raw(sb).all("/Actions", "actions", ticket_id=1) if marker in str(a.get("note"))]
    assert sorted(written) == sorted(str(args["note"]) for _, args in notes)
    assert all(s.proc.poll() is None for s in servers)  # no replica crashed
    # Every replica audited its writes into the one PostgreSQL, and `halo-mcp audit` reads them all.
    audit = ["audit", "--json", "--tool", "add_note", "--limit", "500"]
    done = halo_mcp_cli(subprocess_env(HALO_MCP_DATABASE_URL=postgres_server.url), *audit)
    assert done.returncode == 0, done.stderr
    audited = [e["arguments"]["note"] for e in json.loads(done.stdout) if marker in e["arguments"].get("note", "")]
    assert sorted(audited) == sorted(written)


async def test_a_legacy_session_lives_on_the_replica_that_opened_it_and_modern_calls_go_anywhere(
    cluster: tuple[Sandbox, list[CliServer]],
) -> None:
    """Why the README asks for session affinity (a cookie in Caddy, ClientIP in Kubernetes) for 2025-11-25 clients."""
    _, (opener, other, _) = cluster
    headers = MCP_HEADERS
    listing = {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}}
    async with httpx2.AsyncClient(timeout=10) as http:
        opened = await http.post(
            f"{opener.url}/mcp",
            json=LEGACY_INITIALIZE,
            headers=headers,
        )
        session = {**headers, "Mcp-Session-Id": opened.headers["mcp-session-id"], "MCP-Protocol-Version": "2025-11-25"}
        await http.post(
            f"{opener.url}/mcp", json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=session
        )
        assert (await http.post(f"{opener.url}/mcp", json=listing, headers=session)).status_code == 200
        assert (await http.post(f"{other.url}/mcp", json=listing, headers=session)).status_code == 404
    for server in cluster[1]:  # the 2026-07-28 era is stateless: every replica answers a fresh client
        async with http_client(server.url) as client:
            assert "get_ticket" in {t.name for t in (await client.list_tools()).tools}

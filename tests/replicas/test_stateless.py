"""Three `halo-mcp serve` processes behind no balancer at all (each call picks a replica) sharing one Redis: what the
2026-07-28 era needs to be stateless across replicas (the sealed request state, the server's Halo token, the lookup
tables), and what the 2025-11-25 era cannot share (its sessions live on one replica: sticky sessions)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AsyncExitStack
from typing import Any

import httpx2
import mcp_types as types
import pytest

from halo_mcp.sandbox import Sandbox
from tests.helpers import (
    LEGACY_INITIALIZE,
    MCP_HEADERS,
    CliServer,
    RedisServer,
    http_client,
    ok,
    replicas,
    subprocess_env,
)

pytestmark = [pytest.mark.replicas, pytest.mark.anyio]


@pytest.fixture(scope="module")
def cluster(redis_server: RedisServer) -> Iterator[tuple[Sandbox, list[CliServer]]]:
    with Sandbox(seed=1) as sb:
        env = subprocess_env(
            sb, HALO_RATE_LIMIT="1000/10", HALO_MCP_REDIS_URL=redis_server.url, HALO_MCP_TOOLSETS="all"
        )
        with replicas(env) as servers:
            yield sb, servers


def routes(sb: Sandbox, route: str) -> int:
    return int(sb.counters()["routes"].get(route, 0))


async def confirm(context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
    return types.ElicitResult(action="accept", content={"confirm": True})


async def test_a_question_asked_by_one_replica_is_answered_on_another(
    cluster: tuple[Sandbox, list[CliServer]],
) -> None:
    """2026-07-28: the answers so far travel sealed in requestState; the ring in Redis lets any replica open it."""
    sb, (asker, answerer, _) = cluster
    delete = {"operation": "DELETE /Tickets/{id}", "arguments": {"id": 7}}
    sb.reset_counters()
    async with (
        http_client(asker.url, elicitation_callback=confirm) as first,
        http_client(answerer.url, elicitation_callback=confirm) as second,
    ):
        asked = await first.session.call_tool("call_operation", delete, allow_input_required=True)
        assert isinstance(asked, types.InputRequiredResult) and asked.input_requests
        assert routes(sb, "DELETE /api/Tickets/{id}") == 0  # nothing sent before the person answered
        replies = {key: types.ElicitResult(action="accept", content={"confirm": True}) for key in asked.input_requests}
        done = await second.session.call_tool(
            "call_operation",
            delete,
            input_responses=replies,
            request_state=asked.request_state,  # type: ignore[arg-type]
        )
        ok(done)
    assert routes(sb, "DELETE /api/Tickets/{id}") == 1


async def test_three_replicas_renew_a_refused_halo_token_once(cluster: tuple[Sandbox, list[CliServer]]) -> None:
    sb, servers = cluster
    async with AsyncExitStack() as stack:
        clients = [await stack.enter_async_context(http_client(s.url)) for s in servers]
        for client in clients:
            ok(await client.call_tool("get_ticket", {"id": 1}))
        sb.expire_tokens()  # Halo now refuses every replica's token
        sb.reset_counters()
        for _ in range(2):
            for client in clients:
                ok(await client.call_tool("get_ticket", {"id": 2}))
    assert routes(sb, "POST /auth/token") == 1  # one renewal, shared by the three


async def test_a_legacy_session_on_another_replica_is_not_found_and_a_new_one_works_there(
    cluster: tuple[Sandbox, list[CliServer]],
) -> None:
    """2025-11-25 sessions live in the replica that opened them (the README asks for sticky sessions). Without
    them the other replica answers 404, which tells a client to start a new session; that one then works."""
    _, (opener, other, _) = cluster
    listing = {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}}
    async with httpx2.AsyncClient(timeout=10) as http:

        async def open_session(url: str) -> dict[str, str]:
            opened = await http.post(f"{url}/mcp", json=LEGACY_INITIALIZE, headers=MCP_HEADERS)
            headers = {
                **MCP_HEADERS,
                "Mcp-Session-Id": opened.headers["mcp-session-id"],
                "MCP-Protocol-Version": "2025-11-25",
            }
            initialized = {"jsonrpc": "2.0", "method": "notifications/initialized"}
            await http.post(f"{url}/mcp", json=initialized, headers=headers)
            return headers

        session = await open_session(opener.url)
        lost = await http.post(f"{other.url}/mcp", json=listing, headers=session)
        assert lost.status_code == 404  # the spec's signal: this session is gone, initialize again
        assert "session" in lost.text.lower()
        again = await open_session(other.url)
        listed = await http.post(f"{other.url}/mcp", json=listing, headers=again)
        assert listed.status_code == 200 and "get_ticket" in listed.text

"""Faults seen through MCP tool calls: no crash, reads recover, writes are never duplicated, errors are actionable."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from mcp import Client

from halo_mcp.config import ServerSettings
from halo_mcp.sandbox import Sandbox
from halo_mcp.server.surface import Surface
from tests.helpers import call, halo_settings_for, text

pytestmark = pytest.mark.anyio


@pytest.fixture
async def faulty(fresh_sandbox: Sandbox) -> AsyncIterator[tuple[Client, Sandbox]]:
    surface = Surface(
        halo_settings_for(fresh_sandbox, max_retry_wait=2.0, read_timeout=1.0), ServerSettings(toolsets="all")
    )
    async with Client(surface.server) as client:
        warm = await call(client, "lookup", kind="team")  # token and lookup tables cached before faults start
        assert not warm.is_error
        yield client, fresh_sandbox
    await surface.aclose()


def posts(sb: Sandbox, route: str) -> int:
    return int(sb.counters()["routes"].get(route, 0))


async def count_tickets(client: Client, marker: str) -> int:
    found = await call(client, "list_tickets", search=marker, state="all", limit=50)
    assert not found.is_error, text(found)
    data: dict[str, Any] = found.structured_content or {}
    return sum(1 for row in data.get("rows", []) if marker in str(row[data["columns"].index("summary")]))


async def test_5xx_burst_on_reads_is_invisible_to_the_model(faulty: tuple[Client, Sandbox]) -> None:
    client, sb = faulty
    sb.set_faults(error_next=2, error_status=502)
    result = await call(client, "get_ticket", id=5)
    assert not result.is_error, text(result)


async def test_dropped_connection_on_create_is_reported_and_not_repeated(faulty: tuple[Client, Sandbox]) -> None:
    client, sb = faulty
    sb.reset_counters()
    sb.set_faults(drop_next=1, drop_when="after", methods=["POST"])
    result = await call(client, "create_ticket", summary="fault-drop-create-7731", details="x", ticket_type="Incident")
    assert result.is_error
    assert "may or may not have been applied" in text(result)
    assert posts(sb, "POST /api/Tickets") == 1
    sb.clear_faults()
    assert await count_tickets(client, "fault-drop-create-7731") == 1  # applied once, never twice


async def test_5xx_on_an_action_is_not_retried(faulty: tuple[Client, Sandbox]) -> None:
    client, sb = faulty
    sb.reset_counters()
    sb.set_faults(error_next=1, error_status=503, methods=["POST"])
    result = await call(client, "log_time", ticket_id=5, minutes=15, note="fault-5xx-action")
    assert result.is_error and "before retrying" in text(result)
    assert posts(sb, "POST /api/Actions") == 1


async def test_rate_limit_storm_gives_a_when_to_retry_and_the_server_survives(faulty: tuple[Client, Sandbox]) -> None:
    client, sb = faulty
    sb.set_faults(rate_limit={"limit": 1, "window_seconds": 30, "retry_after": True})
    results = [await call(client, "get_ticket", id=n) for n in (1, 2, 3)]
    failed = [r for r in results if r.is_error]
    assert failed and all("Retry in" in text(r) for r in failed)
    sb.clear_faults()
    assert not (await call(client, "get_ticket", id=4)).is_error


async def test_token_expiry_mid_run_is_transparent(faulty: tuple[Client, Sandbox]) -> None:
    client, sb = faulty
    sb.expire_tokens()
    marker = "fault-token-expiry-4410"
    created = await call(client, "create_ticket", summary=marker, details="x", ticket_type="Incident")
    assert not created.is_error, text(created)
    assert await count_tickets(client, marker) == 1


async def test_slow_halo_past_the_timeout_recovers_for_reads(faulty: tuple[Client, Sandbox]) -> None:
    client, sb = faulty
    sb.set_faults(slow_ms=1500, slow_next=1, methods=["GET"])
    result = await call(client, "get_ticket", id=6)
    assert not result.is_error, text(result)


async def test_unreachable_halo_is_an_actionable_error(fresh_sandbox: Sandbox) -> None:
    surface = Surface(
        halo_settings_for(fresh_sandbox, url="http://127.0.0.1:9", max_retry_wait=1.0), ServerSettings(toolsets="all")
    )
    async with Client(surface.server) as client:
        result = await call(client, "get_ticket", id=1)
    await surface.aclose()
    assert result.is_error and "cannot reach" in text(result)

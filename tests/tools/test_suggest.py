"""suggest_ticket_fields through the MCP client: evidence from resolved tickets, and apply in one Halo request."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from mcp import Client

from halo_mcp.config import ServerSettings
from halo_mcp.sandbox import Sandbox
from halo_mcp.server.surface import Surface
from tests.helpers import Raw, failed, halo_settings_for, rows

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(90)]


@pytest.fixture
async def suggesting(fresh_sandbox: Sandbox) -> AsyncIterator[Client]:
    surface = Surface(halo_settings_for(fresh_sandbox), ServerSettings(toolsets="tickets,suggest"))
    async with Client(surface.server) as client:
        yield client
    await surface.aclose()


def open_ticket(sb: Sandbox) -> dict[str, object]:
    raw = Raw(sb)
    ticket = raw.get("/Tickets", pageinate=True, page_size=1, open_only=True)["tickets"][0]
    raw.close()
    return dict(ticket)


async def test_suggestions_name_each_field_with_the_resolved_tickets_behind_it(
    suggesting: Client, fresh_sandbox: Sandbox
) -> None:
    ticket = open_ticket(fresh_sandbox)
    result = await suggesting.call_tool("suggest_ticket_fields", {"ticket": ticket["id"]})
    found = {r["field"]: r for r in rows(result)}
    assert set(found) == {"category", "priority", "team", "ticket_type"}
    raw = Raw(fresh_sandbox)
    closed = {s["id"] for s in raw.get("/Status") if s.get("type") == 2}
    for row in found.values():
        evidence = [int(i) for i in str(row["evidence"]).split(", ")]
        assert int(str(row["agree"]).split(" of ")[0]) >= len(evidence) >= 1
        assert all(raw.get(f"/Tickets/{i}")["status_id"] in closed for i in evidence)
        assert ticket["id"] not in evidence
    raw.close()


async def test_apply_sets_the_suggested_fields_in_one_halo_request(suggesting: Client, fresh_sandbox: Sandbox) -> None:
    ticket = open_ticket(fresh_sandbox)
    await suggesting.call_tool("suggest_ticket_fields", {"ticket": ticket["id"]})  # warm the index
    before = fresh_sandbox.counters()["routes"].get("POST /api/Tickets", 0)
    result = await suggesting.call_tool("suggest_ticket_fields", {"ticket": ticket["id"], "apply": True})
    assert fresh_sandbox.counters()["routes"].get("POST /api/Tickets", 0) == before + 1
    team = next(r["suggested"] for r in rows(result) if r["field"] == "team")
    raw = Raw(fresh_sandbox)
    assert raw.get(f"/Tickets/{ticket['id']}")["team"] == team
    raw.close()


async def test_a_ticket_that_does_not_exist_gets_a_clear_error(suggesting: Client) -> None:
    assert "999999" in failed(await suggesting.call_tool("suggest_ticket_fields", {"ticket": 999999}))

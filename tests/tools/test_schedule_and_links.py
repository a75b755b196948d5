"""Issue 12 item 4: a change with a scheduled window, and tickets linked as parent and child, without the long tail."""

from __future__ import annotations

import pytest
from mcp import Client

from halo_mcp.sandbox import Sandbox
from tests.helpers import Raw, api_calls, failed, ok, run

pytestmark = pytest.mark.anyio


CHANGE = {"summary": "Replace the core switch", "details": "Planned outage", "client": "Acme Corp",
          "ticket_type": "Change", "category": "Network>LAN"}  # fmt: skip


async def test_a_change_is_created_with_its_scheduled_start_and_end_in_one_request(
    module_client: Client, module_sandbox: Sandbox
) -> None:
    ok(await run(module_client, "create_ticket", **CHANGE))  # warms the name caches
    module_sandbox.reset_counters()
    result = await run(module_client, "create_ticket", **CHANGE, start="2026-12-05T22:00", end="2026-12-06T02:00")
    out = ok(result)
    assert api_calls(module_sandbox.counters()) == 1
    assert "start: 2026-12-05T22:00" in out and "end: 2026-12-06T02:00" in out
    raw = Raw(module_sandbox)
    halo = raw.get(f"Tickets/{(result.structured_content or {})['id']}")
    raw.close()
    assert halo["startdate"].startswith("2026-12-05T22:00") and halo["targetdate"].startswith("2026-12-06T02:00")


async def test_an_end_before_the_start_is_refused_before_anything_is_sent(
    module_client: Client, module_sandbox: Sandbox
) -> None:
    module_sandbox.reset_counters()
    message = failed(await run(module_client, "create_ticket", **CHANGE, start="2026-12-06", end="2026-12-05"))
    assert "is before start" in message and "POST /api/Tickets" not in module_sandbox.counters()["routes"]


async def test_tickets_are_linked_as_parent_and_child_at_creation_or_later(
    module_client: Client, module_sandbox: Sandbox
) -> None:
    parent = (await run(module_client, "create_ticket", **CHANGE)).structured_content or {}
    child = await run(module_client, "create_ticket", summary="Update the switch firmware", details="Part of change",
                      client="Acme Corp", ticket_type="Incident", parent_id=parent["id"])  # fmt: skip
    ok(child)
    other = (await run(module_client, "create_ticket", summary="Patch panel labels", details="x", client="Acme Corp",
                       ticket_type="Incident")).structured_content or {}  # fmt: skip
    ok(await run(module_client, "update_ticket", id=other["id"], parent_id=parent["id"]))
    raw = Raw(module_sandbox)
    children = {t["id"] for t in raw.get("Tickets", parent_id=parent["id"])["tickets"]}
    raw.close()
    assert children == {(child.structured_content or {})["id"], other["id"]}

"""Issue 12 item 4: a cheaper long tail. Writes come back as what changed, tips about curated tools are right, and
an operation's important fields are listed first."""

from __future__ import annotations

import pytest
from mcp import Client

from halo_mcp.costs import result_tokens
from halo_mcp.sandbox import Sandbox
from tests.helpers import Raw, api_calls, ok, run

pytestmark = pytest.mark.anyio


async def test_a_write_returns_what_changed_not_the_whole_record(
    module_client: Client, module_sandbox: Sandbox
) -> None:
    module_sandbox.reset_counters()
    result = await run(module_client, "call_operation", operation="POST /Tickets",
                       arguments={"id": 5, "summary": "Printer jams on the 3rd floor"})  # fmt: skip
    out = ok(result)
    assert api_calls(module_sandbox.counters()) == 1
    assert out.splitlines()[:2] == ["POST /Tickets ok: ticket:5", "summary: «Printer jams on the 3rd floor»"]
    assert (result.structured_content or {})["changed"] == {"summary": "Printer jams on the 3rd floor"}
    assert result_tokens(result) < 100  # the whole ticket echoed was ~1,000
    raw = Raw(module_sandbox)
    assert raw.get("Tickets/5")["summary"] == "Printer jams on the 3rd floor"
    raw.close()


async def test_the_tip_names_curated_tools_only_for_fields_they_can_set(module_client: Client) -> None:
    covered = ok(
        await run(module_client, "call_operation", operation="POST /Tickets", arguments={"id": 5, "urgency": 2})
    )
    assert "tip: create_ticket, update_ticket" in covered
    beyond = ok(await run(module_client, "call_operation", operation="POST /Tickets",
                          arguments={"id": 5, "followupdate": "2026-12-01T09:00"}))  # fmt: skip
    assert "tip:" not in beyond and "followupdate: 2026-12-01T09:00" in beyond


async def test_an_operations_important_fields_come_first(module_client: Client) -> None:
    out = ok(await run(module_client, "search_operations", query="POST /Tickets"))
    fields = out.split("body= for several): ", 1)[1].split(", ")
    names = [f.split(":")[0] for f in fields[:18]]
    assert names[0] == "id"
    assert {"summary", "details", "client_id", "startdate", "targetdate", "parent_id"} <= set(names)
    out = ok(await run(module_client, "search_operations", query="POST /ClientContract"))
    names = [f.split(":")[0] for f in out.split("body= for several): ", 1)[1].split(", ")[:8]]
    assert names[:2] == ["id", "client_id"] and "start_date" in names and "end_date" in names


async def test_a_write_takes_names_for_its_reference_fields(module_client: Client, module_sandbox: Sandbox) -> None:
    """An action by names through the long tail: outcome, new agent and new status, flat or in an explicit body."""
    result = await run(module_client, "call_operation", operation="POST /Actions",
                       arguments={"ticket_id": 7, "outcome_id": "Private Note", "note": "Escalating",
                                  "new_agent": "Tom Hughes", "new_status": "In Progress", "timetaken": 0})  # fmt: skip
    out = ok(result)
    assert out.startswith("POST /Actions ok: action:")
    raw = Raw(module_sandbox)
    agents = {a["name"]: a["id"] for a in raw.get("Agent")}
    statuses = {s["name"]: s["id"] for s in raw.get("Status")}
    ticket = raw.get("Tickets/7")
    assert ticket["agent_id"] == agents["Tom Hughes"] and ticket["status_id"] == statuses["In Progress"]
    ok(await run(module_client, "call_operation", operation="POST /Tickets",
                 body={"id": 7, "priority_id": "P1 - Critical"}))  # fmt: skip
    assert raw.get("Tickets/7")["priority_id"] == 1
    raw.close()

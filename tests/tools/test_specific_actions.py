"""add_action with a specific action (outcome): refused before anything is sent when the ticket's current workflow
step does not offer it (naming what it does offer), or when the outcome requires a note that is missing."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from mcp import Client

from halo_mcp.config import ServerSettings
from halo_mcp.sandbox import Sandbox
from halo_mcp.server.surface import Surface
from tests.helpers import Raw, failed, halo_settings_for, ok

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(60)]


@pytest.fixture
async def on_a_workflow(fresh_sandbox: Sandbox) -> AsyncIterator[tuple[Client, Raw, int]]:
    """A ticket at step 'Logged' of a workflow whose step offers Phone Call, with Private Note allowed anywhere;
    the surface starts after Halo is configured (the workflow list is cached like the lookup tables)."""
    raw = Raw(fresh_sandbox)
    outcomes = {o["outcome"]: o["id"] for o in raw.get("/Outcome")}
    flow = {
        "id": 1,
        "name": "Standard incident",
        "steps": [
            {
                "step_id": 11,
                "name": "Logged",
                "actions": [
                    {"start_step": 11, "end_step": 12, "action_id": outcomes["Phone Call"], "action_name": "Phone Call"}
                ],
            },
            {"step_id": 12, "name": "Investigating"},
        ],
        "always_allow_actions": [{"id": outcomes["Private Note"], "outcome": "Private Note"}],
    }
    raw.post("/Workflow", [flow])
    ticket = raw.get("/Tickets", pageinate=True, page_size=1, open_only=True)["tickets"][0]
    raw.post("/Tickets", [{"id": ticket["id"], "workflow_id": 1, "workflow_step": 11}])
    surface = Surface(halo_settings_for(fresh_sandbox), ServerSettings(toolsets="tickets"))
    async with Client(surface.server) as client:
        yield client, raw, int(ticket["id"])
    await surface.aclose()
    raw.close()


async def test_an_action_not_offered_at_the_tickets_step_is_refused_with_what_is(
    on_a_workflow: tuple[Client, Raw, int], fresh_sandbox: Sandbox
) -> None:
    client, raw, ticket_id = on_a_workflow
    before = raw.get("/Actions", ticket_id=ticket_id)["record_count"]
    message = failed(
        await client.call_tool("add_action", {"ticket_id": ticket_id, "outcome": "Email User", "note": "x"})
    )
    assert "'Email User' is not available" in message and "Logged" in message
    assert "actions available here: Phone Call, Private Note" in message
    assert raw.get("/Actions", ticket_id=ticket_id)["record_count"] == before  # nothing was sent
    ok(await client.call_tool("add_action", {"ticket_id": ticket_id, "outcome": "Phone Call", "note": "Rang them"}))
    ok(await client.call_tool("add_action", {"ticket_id": ticket_id, "outcome": "Private Note", "note": "Noted"}))
    assert raw.get("/Actions", ticket_id=ticket_id)["record_count"] == before + 2


async def test_a_ticket_at_an_unrestricted_step_takes_any_action(on_a_workflow: tuple[Client, Raw, int]) -> None:
    client, raw, ticket_id = on_a_workflow
    raw.post("/Tickets", [{"id": ticket_id, "workflow_step": 12}])
    ok(await client.call_tool("add_action", {"ticket_id": ticket_id, "outcome": "Email User", "note": "Update"}))


async def test_an_outcome_that_must_add_a_note_asks_for_one(fresh_sandbox: Sandbox) -> None:
    raw = Raw(fresh_sandbox)
    phone = next(o for o in raw.get("/Outcome") if o["outcome"] == "Phone Call")
    raw.post("/Outcome", [{"id": phone["id"], "mustaddnote": True}])
    ticket = raw.get("/Tickets", pageinate=True, page_size=1, open_only=True)["tickets"][0]
    surface = Surface(halo_settings_for(fresh_sandbox), ServerSettings(toolsets="tickets"))
    async with Client(surface.server) as client:
        message = failed(await client.call_tool("add_action", {"ticket_id": ticket["id"], "outcome": "Phone Call"}))
    await surface.aclose()
    raw.close()
    assert message == "the 'Phone Call' action needs a note in Halo; pass note=..."

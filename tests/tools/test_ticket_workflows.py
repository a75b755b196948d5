"""End-to-end scenarios a service-desk agent asks for, driven only through MCP tool calls."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from mcp import Client

from halo_mcp.sandbox import Sandbox
from tests.helpers import Raw, failed, ok, rows, run, text

pytestmark = pytest.mark.anyio


@pytest.fixture
def raw(sandbox: Sandbox) -> Iterator[Raw]:
    r = Raw(sandbox)
    yield r
    r.close()


async def test_log_a_p2_for_the_london_vpn_drops_assign_network_and_log_30_minutes(client: Client, raw: Raw) -> None:
    """ "Log a P2 for the London VPN drops, assign it to Network, and log 30 minutes"."""
    # 1. Which site is "London"? The model asks lookup (or passes the name straight to create_ticket).
    sites = await run(client, "lookup", kind="site", query="London")
    london = rows(sites)[0]
    assert london["name"] == "London Office" and london.get("client_name") == "Acme Corp"

    # 2. Are there already London VPN tickets? (the model would mention them)
    existing = await run(client, "list_tickets", site="London Office", search="VPN", state="all", limit=5)
    ok(existing)

    # 3. Create the ticket by names, straight to the Network team at P2.
    created = await run(
        client,
        "create_ticket",
        summary="VPN drops - London office",
        details="Users in the London office lose VPN every few minutes.",
        client="Acme Corp",
        site="London Office",
        ticket_type="Incident",
        priority="P2",
        team="Network",
        category="Network>VPN",
    )
    ok(created)
    assert created.structured_content is not None
    ticket_id = created.structured_content["id"]
    assert created.structured_content["team"] == "Network"

    # 4. Log 30 minutes: an action, not a ticket edit.
    logged = await run(client, "log_time", ticket_id=ticket_id, minutes=30, note="Checked the VPN gateway logs")
    ok(logged)
    assert logged.structured_content is not None and logged.structured_content["time_minutes"] == 30

    # 5. Halo's state, read over plain HTTP, is what was asked for.
    ticket = raw.get(f"Tickets/{ticket_id}")
    assert ticket["priority"]["name"] == "P2 - High"  # single reads nest the priority (facts §17)
    assert ticket["team"] == "Network"
    assert ticket["site_name"] == "London Office" and ticket["client_name"] == "Acme Corp"
    assert ticket["timetaken"] == pytest.approx(0.5)
    actions = (raw.get("Actions", ticket_id=ticket_id))["actions"]
    time_entries = [a for a in actions if a.get("timetaken") == pytest.approx(0.5)]
    assert len(time_entries) == 1 and time_entries[0]["note"] == "Checked the VPN gateway logs"

    # 6. And the model sees it on its queue.
    queue = rows(await run(client, "list_tickets", team="Network", priority="P2", site="London Office", limit=20))
    assert ticket_id in [r["id"] for r in queue]


async def test_triage_my_breached_tickets_and_take_one(client: Client, raw: Raw) -> None:
    """ "Which breached tickets are there? Take the first, put it in progress, and tell the user." """
    breached = rows(await run(client, "list_tickets", sla="breached", limit=5))
    assert breached
    ticket_id = breached[0]["id"]
    ok(await run(client, "assign_ticket", ticket_id=ticket_id, agent="me"))
    result = await run(
        client,
        "add_action",
        ticket_id=ticket_id,
        outcome="Email User",
        note="Sorry for the wait: I am on it now.",
        new_status="In Progress",
    )
    ok(result)
    me = raw.get("Agent/me")
    ticket = raw.get(f"Tickets/{ticket_id}")
    assert ticket["agent_id"] == me["id"] and ticket["status_id"] == 2  # In Progress
    last = (raw.get("Actions", ticket_id=ticket_id))["actions"][-1]
    assert last["hiddenfromuser"] is False and last["sendemail"] is True
    # trying to patch the status instead is refused with the right tool named
    assert "add_action" in failed(await run(client, "update_ticket", id=ticket_id, status="Closed"))
    assert "«" in text(await run(client, "get_ticket", id=ticket_id, actions=2))

"""Issue 12 item 6: a missing or wrong value for a field with a known set of values lists the valid ones (nearest
first, capped), so the model recovers in its next call."""

from __future__ import annotations

import re

import pytest
from mcp import Client

from halo_mcp.sandbox import Sandbox
from halo_mcp.tools.resolve import VALUES_CAP
from tests.helpers import Raw, api_calls, failed, ok, run

pytestmark = pytest.mark.anyio


def listed(message: str) -> list[str]:
    """The quoted names an error lists, in order."""
    return re.findall(r"'([^']+)' \(id \d+\)", message)


async def test_a_change_without_a_category_lists_that_types_categories_and_the_next_call_succeeds(
    module_client: Client, module_sandbox: Sandbox
) -> None:
    raw = Raw(module_sandbox)
    change = next(t["id"] for t in raw.get("TicketType") if t["name"] == "Change")
    theirs = {c["value"] for c in raw.get("Category", tickettype_id=change)}  # Halo's filter [SPEC GET /Category]
    raw.close()
    args = {"summary": "Replace core switch", "details": "Outage", "client": "Acme Corp", "ticket_type": "Change"}
    message = failed(await run(module_client, "create_ticket", **args))
    assert "Halo needs category for ticket type 'Change'" in message
    offered = listed(message.split("category: ", 1)[1])
    assert offered and set(offered) <= theirs  # only the categories of a Change
    ok(await run(module_client, "create_ticket", **args, category=offered[0]))


@pytest.mark.parametrize(
    ("tool", "arguments", "nearest"),
    [
        ("add_action", {"ticket_id": 1, "outcome": "Private Note", "new_status": "Clsoed"}, "Closed"),
        ("add_action", {"ticket_id": 1, "outcome": "Clsoe"}, "Close"),
        ("create_ticket", {"summary": "x", "client": "Acme Corp", "priority": "Hihg"}, "P2 - High"),
        ("create_ticket", {"summary": "x", "client": "Acme Corp", "team": "Netwrok"}, "Network"),
        ("create_ticket", {"summary": "x", "client": "Acme Corp", "ticket_type": "Chnage"}, "Change"),
        ("create_ticket", {"summary": "x", "client": "Acme Corp", "category": "Printers"}, "Hardware>Printer"),
    ],
)
async def test_a_wrong_value_lists_the_valid_ones_nearest_first_and_capped(
    module_client: Client, tool: str, arguments: dict[str, object], nearest: str
) -> None:
    message = failed(await run(module_client, tool, **arguments))
    names = listed(message)
    assert names[0] == nearest
    assert len(names) <= 3 + VALUES_CAP  # "did you mean" (at most 3) plus the capped list
    assert "valid" in message


async def test_an_unknown_id_lists_the_valid_values_without_another_request(
    module_client: Client, module_sandbox: Sandbox
) -> None:
    ok(await run(module_client, "lookup", kind="status"))  # the table is cached
    module_sandbox.reset_counters()
    message = failed(await run(module_client, "add_action", ticket_id=1, outcome="Private Note", new_status="99"))
    assert "no status with id 99; valid statuses: 'New' (id 1)" in message and "'Closed'" in message
    assert api_calls(module_sandbox.counters()) <= 1  # at most the outcome table


async def test_an_action_without_an_outcome_lists_the_outcomes(module_client: Client) -> None:
    message = failed(await run(module_client, "add_action", ticket_id=1, note="x"))
    assert "pass outcome" in message and "valid outcomes: 'Private Note' (id 1)" in message

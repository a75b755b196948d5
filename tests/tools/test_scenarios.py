"""The seed workflows end to end through MCP tool calls, each checked against Halo's state read over plain HTTP.

(The London P2 workflow is in test_ticket_workflows.py and the warranty audit in test_asset_workflows.py.)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import mcp_types as types
import pytest
from mcp import Client

from halo_mcp.sandbox import Sandbox
from tests.helpers import Raw, call, text

pytestmark = pytest.mark.anyio


@pytest.fixture
def raw(sandbox: Sandbox) -> Iterator[Raw]:
    ground_truth = Raw(sandbox)
    yield ground_truth
    ground_truth.close()


def rows(result: types.CallToolResult) -> list[dict[str, Any]]:
    assert not result.is_error, text(result)
    data = result.structured_content or {}
    return [dict(zip(data["columns"], row, strict=True)) for row in data.get("rows", [])]


async def test_triage_with_de_duplication(client: Client, raw: Raw) -> None:
    """A new VPN complaint from London is recognised as a duplicate of an open ticket, linked and closed."""
    created = await call(
        client,
        "create_ticket",
        summary="VPN keeps dropping every few minutes in the London office",
        details="Since this morning the VPN disconnects every 5-10 minutes while working from the London office.",
        client="Acme Corp",
        site="London Office",
        ticket_type="Incident",
        priority="P3",
    )
    assert not created.is_error, text(created)
    new_id = int((created.structured_content or {})["id"])

    similar = rows(await call(client, "find_similar", ticket_id=new_id, limit=8))
    tickets = [r for r in similar if r["type"] == "ticket"]
    assert any("vpn" in str(r["title"]).lower() for r in tickets)
    assert any(r.get("resolution") for r in tickets), "a resolved ticket with its resolution is offered"
    open_dupes = [r for r in tickets if not str(r.get("state", "")).startswith(("Closed", "Resolved", "Cancelled"))]
    assert open_dupes, similar
    parent = open_dupes[0]["id"]
    assert raw.get(f"Tickets/{parent}")["client_id"] == raw.get(f"Tickets/{new_id}")["client_id"]

    closed = await call(
        client, "add_action", ticket_id=new_id, outcome="Close", note=f"Duplicate of #{parent}; follow it there."
    )
    assert not closed.is_error, text(closed)

    ticket = raw.get(f"Tickets/{new_id}")
    statuses = {s["id"]: s for s in raw.get("Status")}
    assert statuses[ticket["status_id"]]["type"] == 2  # closed
    actions = raw.get("Actions", ticket_id=new_id)["actions"]
    assert any(f"Duplicate of #{parent}" in str(a.get("note", "")) for a in actions)


async def test_l1_answer_from_the_knowledge_base_then_a_typed_ticket(client: Client, raw: Raw) -> None:
    """A user's words find the right article with its steps; when that fails, a correctly typed ticket has an SLA."""
    hits = rows(await call(client, "search_kb", query="my laptop screen went black after the update", limit=3))
    assert hits and "black screen" in str(hits[0]["name"]).lower()
    article = await call(client, "get_kb_article", id=hits[0]["id"])
    body = text(article)
    assert not article.is_error and "1." in body and "<" not in body.replace("«", "")  # numbered steps, no HTML

    users = rows(await call(client, "find_users", client="Acme Corp", limit=5))
    assert users
    created = await call(
        client,
        "create_ticket",
        summary="Laptop screen black after update (KB steps did not help)",
        details=f"Followed KB {hits[0]['id']}; still black after login.",
        client="Acme Corp",
        user=str(users[0]["id"]),
        ticket_type="Incident",
        priority="P3",
        category="Laptop",
    )
    assert not created.is_error, text(created)
    ticket = raw.get(f"Tickets/{int((created.structured_content or {})['id'])}")
    assert ticket["user_id"] == users[0]["id"]
    assert ticket["fixbydate"] > ticket["dateoccurred"] and ticket["respondbydate"] > ticket["dateoccurred"]


async def test_project_and_quote_health_report(client: Client, raw: Raw) -> None:
    """Stark's projects and their latest actions, and its quotes awaiting approval, found through the tools."""
    stark = rows(await call(client, "find_clients", query="Stark"))
    assert [c["name"] for c in stark] == ["Stark Industries"]
    client_id = stark[0]["id"]

    projects = await call(client, "call_operation", operation="GET /Projects", arguments={"client_id": client_id})
    project_rows = rows(projects)
    assert project_rows and all(r["client_id"] == client_id for r in project_rows)
    expected = {t["id"] for t in raw.all("Projects", "tickets", client_id=client_id)}
    assert {r["id"] for r in project_rows} == expected

    detail = await call(client, "get_ticket", id=project_rows[0]["id"], actions=5)
    assert not detail.is_error and "actions" in text(detail)

    quotes = rows(await call(client, "call_operation", operation="GET /Quotation", arguments={"client_id": client_id}))
    truth = raw.all("Quotation", "quotes", client_id=client_id)
    assert {q["id"] for q in quotes} == {q["id"] for q in truth}
    pending = [q for q in quotes if q.get("status") == 1]  # Awaiting Approval
    assert {q["id"] for q in pending} == {q["id"] for q in truth if q.get("status") == 1}

"""Seed workflow "hardware warranty audit", end to end through MCP tool calls, checked against the sandbox.

"Which of Acme Corp's laptops have a warranty ending in the next 90 days, and who uses them?" An agent finds the
client, lists the client's laptops filtered on warranty end, then looks up each asset's user.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from mcp import Client

from halo_mcp.sandbox import Sandbox
from tests.helpers import Raw, column, ids, text

pytestmark = pytest.mark.anyio


async def test_hardware_warranty_audit(client: Client, sandbox: Sandbox) -> None:
    # ground truth over plain HTTP: full asset records carry the warranty dates and users
    raw = Raw(sandbox)
    try:
        acme = next(c for c in raw.all("Client", "clients") if c["name"] == "Acme Corp")
        laptop_type = next(t for t in raw.get("AssetType") if t["name"] == "Laptop")
        today = datetime.now(UTC).date()
        horizon = today + timedelta(days=90)
        truth: dict[int, str] = {}
        for row in raw.all("Asset", "assets", client_id=acme["id"], assettype_id=laptop_type["id"]):
            asset = raw.get(f"Asset/{row['id']}")
            end = date.fromisoformat(asset["warranty_end"][:10])
            if today <= end < horizon:
                user_id = asset["users"][0]["id"]
                truth[asset["id"]] = raw.get(f"Users/{user_id}")["name"]
    finally:
        raw.close()
    assert len(truth) >= 3  # the seed keeps this story true relative to today

    # 1. the agent resolves the client (a partial name is enough)
    clients = await client.call_tool("find_clients", {"query": "acme"})
    assert column(clients, "name") == ["Acme Corp"]

    # 2. laptops of that client whose warranty ends within 90 days
    assets = await client.call_tool(
        "list_assets",
        {"client": "Acme", "type": "Laptop", "warranty_after": "today", "warranty_before": "+90d", "limit": 100},
    )
    assert not assets.is_error, text(assets)
    assert set(ids(assets)) == set(truth)
    assert "client=«Acme Corp»" in text(assets) and "type=Laptop" in text(assets)
    ends = column(assets, "warranty_end")
    assert ends == sorted(ends) and all(today.isoformat() <= e < horizon.isoformat() for e in ends)

    # 3. who holds each laptop (rows carry the holder's name and id; names can repeat, so ask by id)
    holders: dict[int, str] = {}
    for asset_id, user_id in zip(ids(assets), column(assets, "user_id"), strict=True):
        user = await client.call_tool("get_user", {"user": user_id})
        assert not user.is_error
        holders[asset_id] = user.structured_content["name"]
        assert user.structured_content["client_name"] == "Acme Corp"
    assert holders == truth

    # 4. the saved report tells the same story for the whole estate (report 7: expiring or expired)
    report = await client.call_tool("run_report", {"report": "warranty"})
    assert not report.is_error and report.structured_content["total"] >= len(truth)

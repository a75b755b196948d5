"""list_assets and get_asset over real MCP and real HTTP to the sandbox, checked against raw Halo data."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from mcp import Client

from halo_mcp.sandbox import Sandbox
from tests.helpers import Raw, column, ids, text

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def raw(sandbox: Sandbox) -> Iterator[Raw]:
    r = Raw(sandbox)
    yield r
    r.close()


@pytest.fixture(scope="module")
def full_assets(raw: Raw) -> list[dict[str, Any]]:
    """Every asset's full record (the sandbox's list rows carry no warranty dates)."""
    return [raw.get(f"Asset/{a['id']}") for a in raw.all("Asset", "assets")]


def today() -> date:
    return datetime.now(UTC).date()


def ends(asset: dict[str, Any]) -> date | None:
    value = asset.get("warranty_end")
    return date.fromisoformat(value[:10]) if value else None


async def collect(client: Client, args: dict[str, Any]) -> list[int]:
    """Follow cursors to the end; the ids of every row."""
    found: list[int] = []
    cursor = None
    for _ in range(50):
        result = await client.call_tool("list_assets", {**args, **({"cursor": cursor} if cursor else {})})
        assert not result.is_error, text(result)
        found += ids(result) if result.structured_content["rows"] else []
        cursor = result.structured_content.get("next_cursor")
        if not cursor:
            return found
    raise AssertionError("cursor never ended")


async def test_filter_by_client_and_type_names(client: Client, raw: Raw) -> None:
    result = await client.call_tool("list_assets", {"client": "Wayne Enterprises", "type": "laptop", "limit": 100})
    expected = raw.get("Asset", client_id=1, assettype_id=1, pageinate=True, page_size=100)
    assert result.structured_content["total"] == expected["record_count"]
    assert ids(result) == [a["id"] for a in expected["assets"]]
    # the filtered columns are said once, in the header, not in every row
    assert "client=«Wayne Enterprises»" in text(result) and "type=Laptop" in text(result)
    assert "client" not in result.structured_content["columns"]


async def test_search_by_tag_and_paging(client: Client, raw: Raw) -> None:
    result = await client.call_tool("list_assets", {"search": "WAYN00045"})
    assert ids(result) == [45] and column(result, "tag") == ["WAYN00045"]
    every = await collect(client, {"client": "Acme Corp", "limit": 30})
    assert every == [a["id"] for a in raw.all("Asset", "assets", client_id=3)]


async def test_warranty_expiring_within_90_days(client: Client, full_assets: list[dict[str, Any]]) -> None:
    horizon = today() + timedelta(days=90)
    expected = {a["id"] for a in full_assets if (e := ends(a)) and today() <= e < horizon and not a.get("inactive")}
    found = await collect(client, {"warranty_after": "today", "warranty_before": "+90d"})
    assert set(found) == expected and expected
    assert len(found) == len(set(found))


async def test_warranty_expired_before_a_date_sorted(client: Client, full_assets: list[dict[str, Any]]) -> None:
    cutoff = date(2026, 1, 1)
    expected = {a["id"] for a in full_assets if (e := ends(a)) and e < cutoff and not a.get("inactive")}
    result = await client.call_tool("list_assets", {"warranty_before": "2026-01-01", "limit": 100})
    assert "filtered client-side" in text(result) and "scanned" in text(result)
    found = await collect(client, {"warranty_before": "2026-01-01", "limit": 100})
    assert set(found) == expected
    first_page_ends = column(result, "warranty_end")
    assert first_page_ends == sorted(first_page_ends)


async def test_asset_errors(client: Client) -> None:
    typo = await client.call_tool("list_assets", {"type": "Laptp"})
    assert typo.is_error and "Laptop" in text(typo)
    bad_date = await client.call_tool("list_assets", {"warranty_before": "next tuesday"})
    assert bad_date.is_error and "YYYY-MM-DD" in text(bad_date)
    backwards = await client.call_tool("list_assets", {"warranty_after": "+90d", "warranty_before": "today"})
    assert backwards.is_error
    none = await client.call_tool("list_assets", {"search": "no-such-asset-xyz"})
    assert not none.is_error and text(none).startswith("no assets found")


async def test_get_asset_by_id_and_by_tag(client: Client, raw: Raw) -> None:
    by_id = await client.call_tool("get_asset", {"asset": 1})
    by_tag = await client.call_tool("get_asset", {"asset": "wayn00001"})
    assert by_id.structured_content == by_tag.structured_content
    record = by_id.structured_content
    truth = raw.get("Asset/1")
    assert record["inventory_number"] == truth["inventory_number"]
    assert record["fields"]["Serial Number"] == truth["key_field2"]
    days = (date.fromisoformat(truth["warranty_end"][:10]) - today()).days
    assert record["warranty"] == (f"expired {-days} days ago" if days < 0 else f"ends in {days} days")
    assert "«" in text(by_id)  # the warranty note is user-written text


async def test_get_asset_errors(client: Client) -> None:
    unknown = await client.call_tool("get_asset", {"asset": 999_999})
    assert unknown.is_error and "no asset with id 999999" in text(unknown)
    near = await client.call_tool("get_asset", {"asset": "WAYN0004"})
    assert near.is_error and "WAYN00045" in text(near)

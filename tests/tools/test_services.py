"""search_services over real MCP and real HTTP to the sandbox."""

from __future__ import annotations

import pytest
from mcp import Client

from halo_mcp.sandbox import Sandbox
from tests.helpers import Raw, column, ids, text

pytestmark = pytest.mark.anyio


async def test_search_services_by_word(client: Client) -> None:
    result = await client.call_tool("search_services", {"query": "VPN"})
    assert not result.is_error
    assert column(result, "name") == ["Remote Access VPN"]
    assert "|GlobalProtect VPN" in text(result) and text(result).endswith("»")  # the table is one «» span


async def test_search_services_lists_the_catalogue_with_paging(client: Client, sandbox: Sandbox) -> None:
    raw = Raw(sandbox)
    try:
        expected = [s["id"] for s in raw.all("Service", "services")]
    finally:
        raw.close()
    first = await client.call_tool("search_services", {"limit": 4})
    found = ids(first)
    cursor = first.structured_content.get("next_cursor")
    while cursor:
        page = await client.call_tool("search_services", {"limit": 4, "cursor": cursor})
        found += ids(page)
        cursor = page.structured_content.get("next_cursor")
    assert found == expected and len(expected) > 4


async def test_search_services_nothing_found(client: Client) -> None:
    result = await client.call_tool("search_services", {"query": "Teleportation"})
    assert not result.is_error and text(result).startswith("no services found")

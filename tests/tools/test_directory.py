"""find_users, get_user, find_clients over real MCP and real HTTP to the sandbox, checked against raw Halo data."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from mcp import Client

from halo_mcp.config import ServerSettings
from halo_mcp.costs import tool_tokens
from halo_mcp.sandbox import Sandbox
from halo_mcp.server.surface import Surface
from tests.helpers import Raw, call, column, halo_settings_for, ids, text

pytestmark = pytest.mark.anyio

MY_TOOLS = [
    "find_users", "get_user", "find_clients", "list_assets", "get_asset", "search_services", "list_reports",
    "run_report", "query_sql", "list_attachments", "get_attachment", "add_attachment",
]  # fmt: skip
TOOLS_BUDGET = 1_450  # measured 1,377 tokens (o200k_base) for these twelve tools


@pytest.fixture(scope="module")
def raw(sandbox: Sandbox) -> Iterator[Raw]:
    r = Raw(sandbox)
    yield r
    r.close()


async def test_tool_definitions_fit_the_token_budget(client: Client) -> None:
    listed = {t.name: t for t in (await client.list_tools()).tools}
    assert set(MY_TOOLS) <= set(listed)
    assert sum(tool_tokens(listed[n]) for n in MY_TOOLS) <= TOOLS_BUDGET
    read, write = listed["find_users"].annotations, listed["add_attachment"].annotations
    assert read is not None and read.read_only_hint is True
    assert write is not None and not write.read_only_hint  # omitted: MCP's default is false


# -- find_users -------------------------------------------------------------------------------------------


async def test_find_users_by_partial_name(client: Client, raw: Raw) -> None:
    result = await call(client, "find_users", query="Harper")
    assert not result.is_error
    expected = {u["id"] for u in raw.all("Users", "users", search="Harper")}
    assert set(ids(result)) == expected and len(expected) >= 3
    assert all("Harper" in n for n in column(result, "name"))


async def test_find_users_by_email_puts_the_exact_match_first(client: Client) -> None:
    result = await call(client, "find_users", query="bruce.wayne@wayne-enterprises.example.com")
    assert column(result, "name")[0] == "Bruce Wayne"
    assert column(result, "email")[0] == "bruce.wayne@wayne-enterprises.example.com"


async def test_find_users_by_phone_ignores_formatting(client: Client, raw: Raw) -> None:
    bruce = raw.get("Users/2")
    digits = "".join(c for c in bruce["phonenumber"] if c.isdigit())
    national = "0" + digits[2:]  # +44 20 7946 1002 written as 02079461002
    for query in (bruce["phonenumber"], national):
        result = await call(client, "find_users", query=query)
        assert ids(result) == [2], (query, text(result))


async def test_find_users_within_a_client_pages_with_a_cursor(client: Client, raw: Raw) -> None:
    expected = [u["id"] for u in raw.all("Users", "users", client_id=1)]
    first = await client.call_tool("find_users", {"client": "Wayne Enterprises", "limit": 4})
    assert first.structured_content["total"] == len(expected)
    assert set(column(first, "client") or ["Wayne Enterprises"]) == {"Wayne Enterprises"}
    seen = ids(first)
    cursor = first.structured_content.get("next_cursor")
    while cursor:
        page = await client.call_tool("find_users", {"client": "Wayne Enterprises", "limit": 4, "cursor": cursor})
        seen += ids(page)
        cursor = page.structured_content.get("next_cursor")
    assert seen == expected


async def test_find_users_unknown_client_offers_candidates(client: Client) -> None:
    result = await client.call_tool("find_users", {"client": "Wayne Enterprize"})
    assert result.is_error
    assert "Wayne Enterprises" in text(result)


async def test_find_users_empty_result_says_what_to_try(client: Client) -> None:
    result = await call(client, "find_users", query="Zzyzx Qwertyuiop")
    assert not result.is_error
    assert text(result).startswith("no users found")


# -- get_user ---------------------------------------------------------------------------------------------


async def test_get_user_by_name_with_open_tickets(client: Client, raw: Raw) -> None:
    result = await call(client, "get_user", user="Bruce Wayne")
    assert not result.is_error
    record = result.structured_content
    assert record["id"] == 2 and record["emailaddress"] == "bruce.wayne@wayne-enterprises.example.com"
    open_raw = raw.get("Tickets", user_id=2, open_only=True, pageinate=True, page_size=100)
    assert record["open_ticket_count"] == open_raw["record_count"]
    shown = {t["id"] for t in record.get("open_tickets", [])}
    assert shown <= {t["id"] for t in open_raw["tickets"]}
    assert len(shown) == min(10, open_raw["record_count"])
    # status names, not ids; the open tickets are a table, delimited as one span
    statuses = {s["id"]: s["name"] for s in raw.get("Status")}
    first = record["open_tickets"][0]
    assert first["status"] in statuses.values()
    assert "open_tickets:\n  «id|summary|" in text(result) and f"\n  {first['id']}|{first['summary']}|" in text(result)


async def test_get_user_by_email_and_by_id_agree(client: Client) -> None:
    by_email = await call(client, "get_user", user="lucius.fox@wayne-enterprises.example.com")
    by_id = await call(client, "get_user", user=1)
    assert by_email.structured_content["name"] == by_id.structured_content["name"] == "Lucius Fox"


async def test_get_user_errors(client: Client) -> None:
    unknown = await call(client, "get_user", user=999_999)
    assert unknown.is_error and "no user with id 999999" in text(unknown) and "find_users" in text(unknown)
    typo = await call(client, "get_user", user="Bruse Wayne")
    assert typo.is_error and "Bruce Wayne" in text(typo)
    ambiguous = await call(client, "get_user", user="Harper")
    assert ambiguous.is_error and "several" in text(ambiguous) and "Rosa Harper" in text(ambiguous)


# -- find_clients -----------------------------------------------------------------------------------------


async def test_find_clients_all_and_by_name(client: Client, raw: Raw) -> None:
    everyone = await call(client, "find_clients")
    expected = raw.all("Client", "clients")
    assert ids(everyone) == [c["id"] for c in expected]
    assert "Wayne Enterprises" in text(everyone)
    stark = await call(client, "find_clients", query="stark")
    assert ids(stark) == [2]
    assert column(stark, "ref") == ["STARK"]
    none = await call(client, "find_clients", query="Nonexistent Holdings")
    assert text(none).startswith("no clients found")


async def test_directory_without_customer_permission_is_an_actionable_error(sandbox: Sandbox) -> None:
    client_id, secret = sandbox.create_app(scopes="read:tickets")
    settings = halo_settings_for(sandbox, client_id=client_id, client_secret=secret, scope="read:tickets")
    surface = Surface(settings, ServerSettings(toolsets="all"))
    try:
        async with Client(surface.server) as c:
            result = await call(c, "find_clients")
            assert result.is_error
            assert "403" in text(result) or "permission" in text(result).lower()
    finally:
        await surface.aclose()

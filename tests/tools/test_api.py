"""The api toolset over real MCP and real HTTP to the sandbox: search, calls, argument splitting, policy, costs."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from mcp import Client

from halo_mcp.config import ServerSettings
from halo_mcp.costs import result_tokens, tool_tokens
from halo_mcp.sandbox import Sandbox
from halo_mcp.server.surface import Surface
from halo_mcp.tools.toolsets import selection_from
from tests.helpers import call, halo_settings_for, text

pytestmark = pytest.mark.anyio

TOOLS_BUDGET = 450  # measured 353 tokens (o200k_base) for the two tools
SEARCH_BUDGET = 400  # a ten-row search result


def halo_writes(counters: dict[str, Any]) -> int:
    """POST and DELETE requests the sandbox served on its Halo API (the auth endpoint excluded)."""
    routes = counters.get("routes", {})
    return sum(n for route, n in routes.items() if route.split(" ")[0] in ("POST", "DELETE") and " /api/" in route)


# -- search ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("add a note to a ticket", "POST /Actions"),
        ("list assets for a client", "GET /Asset"),
        ("search knowledge base articles", "GET /KBArticle"),
        ("get a kb article", "GET /KBArticle/{id}"),
        ("create a ticket", "POST /Tickets"),
        ("delete an action", "DELETE /Actions/{id}"),
        ("get the current agent", "GET /Agent/me"),
        ("list ticket types", "GET /TicketType"),
        ("update a user", "POST /Users"),
    ],
)
async def test_search_finds_operations_for_natural_queries(client: Client, query: str, expected: str) -> None:
    result = await call(client, "search_operations", query=query, limit=5)
    assert not result.is_error
    top3 = [line.split(" · ")[0] for line in text(result).splitlines()[1:4]]
    assert expected in top3, text(result)


async def test_search_rows_show_the_parameters_the_query_is_about(client: Client) -> None:
    body = text(await call(client, "search_operations", query="list assets for a client"))
    row = next(line for line in body.splitlines() if line.startswith("GET /Asset ·"))
    assert "client_id" in row
    assert "curated tools: GET /Asset -> list_assets" in body


async def test_search_exact_name_gives_full_parameters_and_body_fields(client: Client) -> None:
    body = text(await call(client, "search_operations", query="POST /Actions"))
    assert body.startswith("POST /Actions · ")
    assert "body fields (" in body and "note:str" in body and "ticket_id:int" in body
    filtered = text(await call(client, "search_operations", query="get /tickets client"))
    assert "client_id:int (Filters by the specified client)" in filtered
    assert "agent_id" not in filtered  # extra words filter the parameter list
    concrete = text(await call(client, "search_operations", query="GET /Tickets/42"))
    assert concrete.startswith("GET /Tickets/{id} · ")


async def test_search_without_matches_and_put_are_clear(client: Client) -> None:
    none = await call(client, "search_operations", query="zzzz qqqq")
    assert none.is_error and "no operation matches" in text(none)
    put = await call(client, "search_operations", query="PUT /Tickets")
    assert put.is_error and "POST /Tickets" in text(put)


# -- calls: reads ---------------------------------------------------------------------------------------------


async def test_get_list_with_query_arguments(client: Client) -> None:
    result = await call(
        client, "call_operation", operation="GET /Asset", arguments={"client_id": 1, "pageinate": True, "page_size": 3}
    )
    assert not result.is_error, text(result)
    assert text(result).startswith("3 rows of ")
    structured = result.structured_content
    assert structured is not None
    client_col = structured["columns"].index("client_id")
    assert {row[client_col] for row in structured["rows"]} == {1}
    assert "tip: list_assets" in text(result)


async def test_get_by_path_id_and_by_concrete_path(client: Client) -> None:
    by_arg = await call(client, "call_operation", operation="GET /Tickets/{id}", arguments={"id": 2})
    by_path = await call(client, "call_operation", operation="get /tickets/2")
    assert not by_arg.is_error and not by_path.is_error
    assert text(by_arg).startswith("id: 2\n")
    assert text(by_path) == text(by_arg)
    assert "summary: «" in text(by_arg)  # user-written text is marked as data


async def test_big_list_is_truncated_with_a_paging_hint(client: Client) -> None:
    result = await call(
        client, "call_operation", operation="GET /Tickets", arguments={"pageinate": True, "page_size": 100}
    )
    assert not result.is_error
    head = text(result).splitlines()[0]
    assert "truncated to" in head and "page_size" in head
    assert len(text(result)) <= 8_500


# -- calls: writes (on a private sandbox, so other tests see the seed data unchanged) -------------------------


@pytest.fixture
async def writer(fresh_sandbox: Sandbox) -> AsyncIterator[tuple[Surface, Client]]:
    s = Surface(halo_settings_for(fresh_sandbox), ServerSettings(toolsets="all"))
    async with Client(s.server) as c:
        yield s, c
    await s.aclose()


async def test_post_creates_then_reads_back_and_is_audited(writer: tuple[Surface, Client]) -> None:
    surface, client = writer
    name = f"Api Test {uuid.uuid4().hex[:8]}"
    created = await call(client, "call_operation", operation="POST /Client", arguments={"name": name})
    assert not created.is_error, text(created)
    affected = created.structured_content["affected"]
    assert len(affected) == 1 and affected[0].startswith("client:")
    client_id = int(affected[0].split(":")[1])
    read = await call(client, "call_operation", operation="GET /Client/{id}", arguments={"id": client_id})
    assert f"name: «{name}»" in text(read)  # any Halo string is delimited
    entry = surface.audit.entries(tool="call_operation")[0]
    assert entry.affected == affected and entry.outcome == "ok"


async def test_post_note_action_then_delete_it(writer: tuple[Surface, Client]) -> None:
    _, client = writer
    created = await call(
        client,
        "call_operation",
        operation="POST /Actions",
        arguments={"ticket_id": 5, "note": "checked via the API", "outcome": "Private Note"},
    )
    assert not created.is_error, text(created)
    (ref,) = created.structured_content["affected"]
    action_id = int(ref.split(":")[1])
    actions = await call(client, "call_operation", operation="GET /Actions", arguments={"ticket_id": 5})
    assert "checked via the API" in text(actions)
    deleted = await call(
        client, "call_operation", operation="DELETE /Actions/{id}", arguments={"id": action_id, "ticket_id": 5}
    )
    assert not deleted.is_error, text(deleted)
    assert deleted.structured_content == {"affected": [f"action:{action_id}"]}
    gone = await call(client, "call_operation", operation=f"GET /Actions/{action_id}", arguments={"ticket_id": 5})
    assert gone.is_error and "not found" in text(gone)


async def test_explicit_body_array_upserts_several(writer: tuple[Surface, Client]) -> None:
    _, client = writer
    tag = uuid.uuid4().hex[:6]
    result = await call(
        client, "call_operation", operation="POST /Client", body=[{"name": f"A {tag}"}, {"name": f"B {tag}"}]
    )
    assert not result.is_error, text(result)
    assert len(result.structured_content["affected"]) == 2


# -- calls: mistakes ------------------------------------------------------------------------------------------


async def test_unknown_operation_lists_candidates(client: Client) -> None:
    result = await call(client, "call_operation", operation="GET /Tiket")
    assert result.is_error
    assert "'GET /Tickets'" in text(result) and "search_operations" in text(result)


async def test_missing_path_parameter_is_named(client: Client) -> None:
    result = await call(client, "call_operation", operation="GET /Tickets/{id}")
    assert result.is_error
    assert "needs path parameter(s) id" in text(result)


async def test_unknown_get_argument_lists_valid_ones(client: Client) -> None:
    result = await call(client, "call_operation", operation="GET /Asset", arguments={"clientid": 1})
    assert result.is_error
    assert "unknown argument(s) clientid" in text(result)
    assert "did you mean client_id" in text(result)
    assert "Valid query parameters:" in text(result)


async def test_unknown_post_field_suggests_the_right_one(client: Client) -> None:
    result = await call(client, "call_operation", operation="POST /Client", arguments={"nmae": "x"})
    assert result.is_error and "did you mean name" in text(result)


async def test_put_and_body_misuse(client: Client) -> None:
    put = await call(client, "call_operation", operation="PATCH /Tickets", arguments={"id": 1})
    assert put.is_error and "POST /Tickets" in text(put)
    body_on_get = await call(client, "call_operation", operation="GET /Tickets", body={"id": 1})
    assert body_on_get.is_error and "body is only for POST" in text(body_on_get)


# -- policy ---------------------------------------------------------------------------------------------------


@pytest.fixture
async def read_only_client(fresh_sandbox: Sandbox) -> AsyncIterator[Client]:
    s = Surface(halo_settings_for(fresh_sandbox), ServerSettings(toolsets="all", read_only=True))
    async with Client(s.server) as c:
        yield c
    await s.aclose()


async def test_read_only_refuses_post_and_delete_without_calling_halo(
    fresh_sandbox: Sandbox, read_only_client: Client
) -> None:
    tools = {t.name for t in (await read_only_client.list_tools()).tools}
    assert {"search_operations", "call_operation"} <= tools
    fresh_sandbox.reset_counters()
    post = await call(read_only_client, "call_operation", operation="POST /Client", arguments={"name": "nope"})
    delete = await call(read_only_client, "call_operation", operation="DELETE /Tickets/{id}", arguments={"id": 1})
    for result in (post, delete):
        assert result.is_error
        assert "this server is read-only; only GET operations are allowed" in text(result)
    assert fresh_sandbox.counters()["total"] == 0
    read = await call(read_only_client, "call_operation", operation="GET /Status")
    assert not read.is_error
    assert halo_writes(fresh_sandbox.counters()) == 0


async def test_denied_operations_are_refused(fresh_sandbox: Sandbox) -> None:
    selection = selection_from(["all"], exclude_tools=["op:DELETE /Tickets/{id}", "op:/Client*"])
    s = Surface(halo_settings_for(fresh_sandbox), ServerSettings(toolsets="all"), selection=selection)
    try:
        async with Client(s.server) as c:
            fresh_sandbox.reset_counters()
            for operation, arguments in (
                ("DELETE /Tickets/{id}", {"id": 1}),
                ("DELETE /tickets/1", {}),
                ("POST /Client", {"name": "x"}),
                ("GET /Client/{id}", {"id": 1}),
            ):
                result = await call(c, "call_operation", operation=operation, arguments=arguments)
                assert result.is_error, operation
                assert "denied by this server's configuration" in text(result)
            assert fresh_sandbox.counters()["total"] == 0
            allowed = await call(c, "call_operation", operation="GET /Tickets/{id}", arguments={"id": 1})
            assert not allowed.is_error
    finally:
        await s.aclose()


async def test_deny_entries_from_settings(fresh_sandbox: Sandbox) -> None:
    settings = ServerSettings(toolsets="all", exclude_tools="op:DELETE/Actions/{id},list_tickets")
    s = Surface(halo_settings_for(fresh_sandbox), settings)
    try:
        async with Client(s.server) as c:
            result = await call(c, "call_operation", operation="DELETE /Actions/{id}", arguments={"id": 1})
            assert result.is_error and "op:DELETE/Actions/{id}" in text(result)
    finally:
        await s.aclose()


# -- costs ----------------------------------------------------------------------------------------------------


async def test_token_budgets(surface: Surface, client: Client) -> None:
    listed = {t.name: t for t in (await client.list_tools()).tools}
    cost = tool_tokens(listed["search_operations"]) + tool_tokens(listed["call_operation"])
    assert cost <= TOOLS_BUDGET, cost
    result = await call(client, "search_operations", query="add a note to a ticket", limit=10)
    assert len(text(result).splitlines()) >= 11
    assert result_tokens(result) <= SEARCH_BUDGET, result_tokens(result)
    annotations = listed["call_operation"].annotations
    # Omitted hints take MCP's defaults: not read-only, destructive.
    assert annotations is not None and annotations.read_only_hint is None and annotations.destructive_hint is None

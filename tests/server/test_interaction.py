"""Progress, cancellation, completions and questions to the person, through the SDK client's own hooks, in memory,
over stdio and over streamable HTTP, in both protocol eras."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx2
import mcp_types as types
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.shared.exceptions import MCPError

from halo_mcp.audit import AuditLog
from halo_mcp.config import ServerSettings
from halo_mcp.sandbox import Sandbox
from halo_mcp.server.surface import Surface
from tests.helpers import (
    Raw,
    ThreadServer,
    api_calls,
    failed,
    halo_settings_for,
    http_client,
    ok,
    sse_mcp_client,
    subprocess_env,
)

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(90)]

MEMORY = [("memory", "auto"), ("memory", "legacy")]
HTTP = [("http", "auto"), ("http", "legacy")]
STDIO = [("stdio", "auto"), ("stdio", "legacy")]
EVERYWHERE = [*MEMORY, *HTTP, *STDIO, ("sse", "legacy")]  # sse: the deprecated HTTP+SSE transport
NEW_YORK = {"oscorp": 16, "stark": 5}  # the seed's two sites named "New York - ..."


@asynccontextmanager
async def connect(where: str, mode: str, sandbox: Sandbox, **options: Any) -> AsyncIterator[Client]:
    """An SDK client on a new server (so the similarity index starts cold) over `where`, in `mode`'s era."""
    if where == "memory":
        surface = Surface(halo_settings_for(sandbox), ServerSettings(toolsets="all"))
        try:
            async with Client(surface.server, mode=mode, **options) as client:
                yield client
        finally:
            await surface.aclose()
    elif where in ("http", "sse"):
        server = ThreadServer(sandbox, ServerSettings(transport="http", toolsets="all")).start()
        connected = http_client if where == "http" else sse_mcp_client
        try:
            async with connected(server.url, mode=mode, **options) as client:
                yield client
        finally:
            server.stop()
    else:
        env = subprocess_env(sandbox, HALO_MCP_TOOLSETS="all")
        params = StdioServerParameters(command=sys.executable, args=["-m", "halo_mcp", "serve"], env=env)
        async with Client(params, mode=mode, **options) as client:
            yield client


def picks(client_name: str) -> Any:
    """An elicitation callback that picks the candidate shown beside `client_name`, and records what it saw."""
    seen: list[types.ElicitRequestFormParams] = []

    async def answer(context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        assert isinstance(params, types.ElicitRequestFormParams)
        seen.append(params)
        (field, schema), *_ = params.requested_schema["properties"].items()
        chosen = next(o["const"] for o in schema["oneOf"] if client_name in o["title"])
        return types.ElicitResult(action="accept", content={field: chosen})

    answer.seen = seen  # type: ignore[attr-defined]
    return answer


def answers(action: str) -> Any:
    seen: list[str] = []

    async def answer(context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        seen.append(params.message)
        return types.ElicitResult(action=action, content={"confirm": True} if action == "accept" else None)  # type: ignore[arg-type]

    answer.seen = seen  # type: ignore[attr-defined]
    return answer


def routes(sandbox: Sandbox, method: str, path: str) -> int:
    """Requests the sandbox served for one route, e.g. ('GET', '/api/tickets')."""
    return sum(
        n
        for route, n in sandbox.counters().get("routes", {}).items()
        if route.split(" ")[0] == method and route.split(" ", 1)[1].lower().rstrip("/") == path.lower()
    )


# -- progress -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("where", "mode"), EVERYWHERE)
async def test_a_cold_similarity_search_reports_its_progress(sandbox: Sandbox, where: str, mode: str) -> None:
    updates: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        updates.append((progress, total, message))

    tickets = Raw(sandbox).get("/Tickets", pageinate=True, page_size=1)["record_count"]
    assert tickets > 1_000
    with anyio.fail_after(60):
        async with connect(where, mode, sandbox) as client:
            ok(await client.call_tool("find_similar", {"text": "vpn keeps dropping"}, progress_callback=on_progress))
            quiet = ok(
                await client.call_tool("find_similar", {"text": "printer offline"}, progress_callback=on_progress)
            )
    assert quiet  # a warm index has nothing to report
    counts = [u[0] for u in updates]
    assert len(updates) >= 10 and counts == sorted(set(counts)), counts
    assert updates[-1] == (tickets, tickets, f"indexing: fetched {tickets:,} of {tickets:,} tickets")
    assert all(total == tickets for _, total, _ in updates)


async def test_without_a_progress_token_a_long_call_sends_no_notification(sandbox: Sandbox) -> None:
    """A cold similarity build over 2026-07-28 HTTP, no progress token: the reply stays one plain JSON body."""
    meta = {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "t", "version": "1"},
    }
    params = {"name": "find_similar", "arguments": {"text": "vpn keeps dropping"}, "_meta": meta}
    headers = {
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": "2026-07-28",
        "Mcp-Method": "tools/call",
        "Mcp-Name": "find_similar",
    }
    server = ThreadServer(sandbox, ServerSettings(transport="http")).start()
    try:
        async with httpx2.AsyncClient(timeout=30) as http:
            body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params}
            response = await http.post(f"{server.url}/mcp", json=body, headers=headers)
    finally:
        server.stop()
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["result"]["isError"] is False


@pytest.mark.parametrize(("where", "mode"), MEMORY + HTTP)
async def test_a_count_over_thousands_of_tickets_reports_its_progress(sandbox: Sandbox, where: str, mode: str) -> None:
    """Counting by SLA state pages GET /Tickets (SQL cannot tell SLA state): each page is reported."""
    updates: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        updates.append((progress, total, message))

    async with connect(where, mode, sandbox) as client:
        counted = ok(
            await client.call_tool("list_tickets", {"group_by": "sla", "state": "all"}, progress_callback=on_progress)
        )
    assert "paging GET /Tickets" in counted
    assert [u[0] for u in updates] == [200, 300, 400, 500, 600, 700, 800, 900, 1000]
    assert updates[-1] == (1000, 1000, "counting: fetched 1,000 of 1,000 tickets")


async def test_a_client_side_filter_reports_each_page_it_scans(sandbox: Sandbox) -> None:
    """Unassigned tickets are filtered here, page by page (Halo's list has no such filter): each page is reported."""
    updates: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        updates.append((progress, total, message))

    async with connect("memory", "auto", sandbox) as client:
        listed = ok(
            await client.call_tool(
                "list_tickets", {"agent": "unassigned", "state": "all", "limit": 100}, progress_callback=on_progress
            )
        )
    assert "500 tickets checked" in listed
    assert [u[0] for u in updates] == [100, 200, 300, 400, 500]
    assert updates[-1][2] is not None and updates[-1][2].startswith("scanned 500 tickets, ")


# -- cancellation ---------------------------------------------------------------------------------------------


# (tool, arguments, GET /Tickets pages the whole call reads)
LONG_CALLS = {
    "similarity build": ("find_similar", {"text": "vpn keeps dropping"}, 20),
    "count by paging": ("list_tickets", {"group_by": "sla", "state": "all"}, 10),
}


@pytest.mark.parametrize("call", list(LONG_CALLS))
@pytest.mark.parametrize(("where", "mode"), [*HTTP, *STDIO])
async def test_a_cancelled_call_stops_sending_halo_requests(
    fresh_sandbox: Sandbox, where: str, mode: str, call: str
) -> None:
    """2025-11-25 sends notifications/cancelled, 2026-07-28 closes the response stream: either way the paging
    stops once the call is cancelled (after its first progress report), and no further page is requested."""
    tool, arguments, pages = LONG_CALLS[call]
    fresh_sandbox.set_faults(latency_ms=300, paths=["/api/tickets"])
    async with connect(where, mode, fresh_sandbox) as client:
        ok(await client.call_tool("lookup", {"kind": "team"}))  # signed in before the clock starts
        fresh_sandbox.reset_counters()
        started = anyio.Event()

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            started.set()

        async def long_call() -> None:
            await client.call_tool(tool, arguments, progress_callback=on_progress)

        with anyio.fail_after(30):
            async with anyio.create_task_group() as tg:
                tg.start_soon(long_call)
                await started.wait()
                tg.cancel_scope.cancel()
            await anyio.sleep(1.0)  # pages already in flight finish
            sent = routes(fresh_sandbox, "GET", "/api/tickets")
            await anyio.sleep(1.5)
        assert routes(fresh_sandbox, "GET", "/api/tickets") == sent
        assert 2 <= sent < pages
        assert not (await client.call_tool("lookup", {"kind": "team"})).is_error  # the connection still works


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_a_write_sent_before_the_cancel_is_audited_as_possibly_applied(
    fresh_sandbox: Sandbox, tmp_path: Path, mode: str
) -> None:
    """The Halo POST is on its way when the call is cancelled: the audit says it may have been applied."""
    fresh_sandbox.set_faults(latency_ms=2000, methods=["POST"], paths=["/api/actions"])
    audit_db = str(tmp_path / "audit.db")
    server = ThreadServer(fresh_sandbox, ServerSettings(transport="http", audit_db=audit_db)).start()
    try:
        async with http_client(server.url, mode=mode) as client:
            with anyio.move_on_after(1.0):
                await client.call_tool("add_note", {"ticket_id": 1, "note": "cancel me"})
            await anyio.sleep(0.5)
    finally:
        server.stop()
    (entry,) = AuditLog(audit_db).entries(tool="add_note")
    assert entry.outcome == "cancelled"
    assert entry.message == "cancelled after sending POST /Actions: that change may have been applied in Halo"


# -- completions ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("where", "mode"), [*MEMORY, *HTTP])
async def test_completions_suggest_the_chosen_clients_sites(sandbox: Sandbox, where: str, mode: str) -> None:
    log_ticket = types.PromptReference(name="log_ticket")
    async with connect(where, mode, sandbox) as client:
        assert client.server_capabilities.completions is not None
        scoped = await client.complete(log_ticket, {"name": "site", "value": "new"}, {"client": "Oscorp"})
        unscoped = await client.complete(log_ticket, {"name": "site", "value": "New York"})
        clients = await client.complete(log_ticket, {"name": "client", "value": "osc"})
        teams = await client.complete(types.PromptReference(name="summarise_queue"), {"name": "team", "value": "net"})
        types_ = await client.complete(log_ticket, {"name": "ticket_type", "value": "inc"})
        unknown = await client.complete(types.PromptReference(name="no_such_prompt"), {"name": "x", "value": ""})
        template = types.ResourceTemplateReference(uri="halo://tickets/{id}")
        recent = await client.complete(template, {"name": "id", "value": "1"})
        nowhere = await client.complete(
            types.ResourceTemplateReference(uri="halo://nope/{id}"), {"name": "id", "value": ""}
        )
    assert scoped.completion.values == ["New York - Oscorp Tower"]
    assert {"New York - Oscorp Tower", "New York - Stark Tower"} <= set(unscoped.completion.values)
    assert clients.completion.values == ["Oscorp"]
    assert teams.completion.values == ["Network"]
    assert types_.completion.values == ["Incident"]
    assert unknown.completion.values == [] and nowhere.completion.values == []
    assert recent.completion.values and all(v.startswith("1") and v.isdigit() for v in recent.completion.values)


async def test_a_surface_without_tickets_suggests_nothing_for_the_ticket_prompts(fresh_sandbox: Sandbox) -> None:
    """Prompts and templates follow the selection, and so do their completions: no client names leak."""
    surface = Surface(halo_settings_for(fresh_sandbox), ServerSettings(toolsets="knowledge"))
    try:
        async with Client(surface.server) as client:
            fresh_sandbox.reset_counters()
            prompt = types.PromptReference(name="log_ticket")
            clients = await client.complete(prompt, {"name": "client", "value": "o"})
            tickets = await client.complete(
                types.ResourceTemplateReference(uri="halo://tickets/{id}"), {"name": "id", "value": "1"}
            )
            articles = await client.complete(
                types.ResourceTemplateReference(uri="halo://kb/{id}"), {"name": "id", "value": ""}
            )
    finally:
        await surface.aclose()
    assert clients.completion.values == [] and tickets.completion.values == []
    assert articles.completion.values  # the knowledge template is offered here
    assert [r for r in fresh_sandbox.counters()["routes"] if "Client" in r or "Tickets" in r] == []


async def test_a_completion_costs_one_halo_request_per_list_and_none_while_typing(fresh_sandbox: Sandbox) -> None:
    surface = Surface(halo_settings_for(fresh_sandbox), ServerSettings(toolsets="all"))
    site = types.PromptReference(name="log_ticket")
    try:
        async with Client(surface.server) as client:
            await client.complete(site, {"name": "site", "value": ""}, {"client": "Oscorp"})
            fresh_sandbox.reset_counters()
            for typed in ("N", "Ne", "New", "New Y"):
                result = await client.complete(site, {"name": "site", "value": typed}, {"client": "Oscorp"})
                assert result.completion.values == ["New York - Oscorp Tower"]
        assert api_calls(fresh_sandbox.counters()) == 0
    finally:
        await surface.aclose()


# -- asking instead of failing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("where", "mode"), EVERYWHERE)
async def test_an_ambiguous_site_is_resolved_by_the_persons_answer_in_one_call(
    fresh_sandbox: Sandbox, where: str, mode: str
) -> None:
    pick = picks("Oscorp")
    arguments = {"summary": "Door badge reader dead", "details": "Lobby reader", "site": "New York"}
    async with connect(where, mode, fresh_sandbox, elicitation_callback=pick) as client:
        result = await client.call_tool("create_ticket", arguments)
    ok(result)
    (asked,) = pick.seen
    titles = [o["title"] for o in asked.requested_schema["properties"]["site"]["oneOf"]]
    assert "'New York' matches several sites" in asked.message
    assert any("Oscorp" in t for t in titles) and any("Stark Industries" in t for t in titles)
    created = Raw(fresh_sandbox).all("/Tickets", "tickets", search="Door badge reader dead")
    assert [t["site_id"] for t in created] == [NEW_YORK["oscorp"]]


async def test_the_pick_replaces_only_the_argument_that_names_the_site(fresh_sandbox: Sandbox) -> None:
    pick = picks("Stark")
    arguments = {"summary": "New York", "details": "New York", "site": "New York"}
    async with connect("memory", "legacy", fresh_sandbox, elicitation_callback=pick) as client:
        ok(await client.call_tool("create_ticket", arguments))
    (created,) = [
        t for t in Raw(fresh_sandbox).all("/Tickets", "tickets", search="New York") if t["summary"] == "New York"
    ]
    assert created["site_id"] == NEW_YORK["stark"]


@pytest.mark.parametrize(("where", "mode"), [("memory", "auto"), ("http", "legacy")])
async def test_without_the_elicitation_capability_an_ambiguous_name_is_an_error_listing_candidates(
    fresh_sandbox: Sandbox, where: str, mode: str
) -> None:
    arguments = {"summary": "Door badge reader dead", "details": "Lobby reader", "site": "New York"}
    async with connect(where, mode, fresh_sandbox) as client:
        message = failed(await client.call_tool("create_ticket", arguments))
    assert "matches several sites" in message and "id 16, «Oscorp»" in message and "id 5," in message
    assert Raw(fresh_sandbox).all("/Tickets", "tickets", search="Door badge reader dead") == []


async def test_a_server_that_answers_plain_json_cannot_ask_and_says_so_in_the_error(fresh_sandbox: Sandbox) -> None:
    """HALO_MCP_JSON_RESPONSE=1 leaves a 2025-11-25 call no stream to ask on: today's error with candidates."""
    server = ThreadServer(fresh_sandbox, ServerSettings(transport="http", json_response=True)).start()
    pick = picks("Oscorp")
    try:
        async with http_client(server.url, mode="legacy", elicitation_callback=pick) as client:
            result = await client.call_tool("create_ticket", {"summary": "x", "details": "y", "site": "New York"})
    finally:
        server.stop()
    assert "matches several sites" in failed(result) and pick.seen == []


@pytest.mark.parametrize(("where", "mode"), [*MEMORY, *HTTP, ("stdio", "auto")])
async def test_declining_a_delete_changes_nothing_in_halo(fresh_sandbox: Sandbox, where: str, mode: str) -> None:
    decline = answers("decline")
    async with connect(where, mode, fresh_sandbox, elicitation_callback=decline) as client:
        fresh_sandbox.reset_counters()
        result = await client.call_tool("call_operation", {"operation": "DELETE /Tickets/{id}", "arguments": {"id": 3}})
    assert "nothing was changed in Halo" in failed(result)
    assert decline.seen == ["Delete in Halo: DELETE /Tickets/3. This cannot be undone."]
    assert routes(fresh_sandbox, "DELETE", "/api/tickets/{id}") == 0
    assert Raw(fresh_sandbox).get("/Tickets/3")["id"] == 3


@pytest.mark.parametrize(("where", "mode"), MEMORY)
async def test_a_confirmed_delete_is_sent_once(fresh_sandbox: Sandbox, where: str, mode: str) -> None:
    accept = answers("accept")
    async with connect(where, mode, fresh_sandbox, elicitation_callback=accept) as client:
        fresh_sandbox.reset_counters()
        ok(await client.call_tool("call_operation", {"operation": "DELETE /Tickets/{id}", "arguments": {"id": 4}}))
    assert len(accept.seen) == 1
    assert routes(fresh_sandbox, "DELETE", "/api/tickets/{id}") == 1


HANDOVER = {"where": {"agent": "Priya Nair"}, "new_agent": "Tom Hughes", "note": "Handover: Priya is on leave"}


def priyas_open_tickets(sb: Sandbox) -> list[int]:
    return [int(t["id"]) for t in Raw(sb).all("Tickets", "tickets", agent_id=2, open_only=True)]


@pytest.mark.parametrize(("where", "mode"), [*MEMORY, ("http", "legacy")])
async def test_declining_a_bulk_hand_over_changes_nothing_in_halo(
    fresh_sandbox: Sandbox, where: str, mode: str
) -> None:
    theirs = priyas_open_tickets(fresh_sandbox)
    decline = answers("decline")
    async with connect(where, mode, fresh_sandbox, elicitation_callback=decline) as client:
        fresh_sandbox.reset_counters()
        message = failed(await client.call_tool("add_action", HANDOVER))
    assert "nothing was changed in Halo" in message
    (asked,) = decline.seen
    assert asked.startswith(f"Apply assignment to {len(theirs)} tickets in Halo?")
    assert f"#{theirs[0]}: agent Priya Nair -> Tom Hughes" in asked
    assert routes(fresh_sandbox, "POST", "/api/actions") == 0
    assert priyas_open_tickets(fresh_sandbox) == theirs


@pytest.mark.parametrize(("where", "mode"), MEMORY)
async def test_a_confirmed_bulk_hand_over_reports_each_ticket_it_changes(
    fresh_sandbox: Sandbox, where: str, mode: str
) -> None:
    theirs = priyas_open_tickets(fresh_sandbox)
    updates: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        updates.append((progress, total, message))

    async with connect(where, mode, fresh_sandbox, elicitation_callback=answers("accept")) as client:
        fresh_sandbox.reset_counters()
        ok(await client.call_tool("add_action", HANDOVER, progress_callback=on_progress))
    n = len(theirs)
    assert routes(fresh_sandbox, "POST", "/api/actions") == n  # one write per ticket, none repeated by the retry
    assert priyas_open_tickets(fresh_sandbox) == []
    assert updates == [(i, n, f"assignment: {i} of {n} tickets") for i in range(1, n)]


async def test_a_forged_request_state_is_refused(sandbox: Sandbox) -> None:
    """2026-07-28: the answers so far travel sealed; a client cannot claim an answer the person never gave."""
    async with connect("memory", "auto", sandbox, elicitation_callback=answers("accept")) as client:
        with pytest.raises(MCPError) as info:
            await client.session.call_tool(
                "call_operation",
                {"operation": "DELETE /Tickets/{id}", "arguments": {"id": 4}},
                request_state='{"answers": {"confirm-0": {"confirm": true}}}',
                allow_input_required=True,
            )
    assert info.value.code == types.INVALID_PARAMS

"""Tool collections over real HTTP with the SDK client: each endpoint's tools, its credentials, its tenant's
rate budget, and its audit."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import httpx2
import mcp_types as types
import pytest
from mcp import Client
from mcp.client.sse import sse_client
from mcp.shared.exceptions import MCPError

from halo_mcp.sandbox import Sandbox
from tests.helpers import (
    CliServer,
    CollectionsServer,
    failed,
    halo_mcp_cli,
    mcp_at,
    ok,
    subprocess_env,
)

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(90)]

Serve = Callable[..., CollectionsServer]
KB = {"name": "kb", "tenant": "acme", "toolsets": ["knowledge"], "methods": ["read"]}
DESK = {"name": "desk", "tenant": "acme", "auth": ["bearer"]}


async def unknown_tool_error(url: str, name: str, **kw: Any) -> str:
    async with mcp_at(url, **kw) as client:
        with pytest.raises(MCPError) as caught:
            await client.call_tool(name, {"kind": "team", "ticket": 1, "note": "x"})
    return str(caught.value).replace(name, "X")


# -- what each endpoint serves ---------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_each_collection_lists_exactly_its_tools_and_a_hidden_tool_answers_as_unknown(
    serve_collections: Serve, sandbox: Sandbox, mode: str
) -> None:
    server = serve_collections([KB, {"name": "open", "tenant": "acme", "exclude_tools": ["lookup"]}], {"acme": sandbox})
    for spec in await server.service.specs():
        async with mcp_at(f"{server.url}/mcp/{spec.name}", mode=mode) as client:
            listed = [t.name for t in (await client.list_tools()).tools]
        assert listed == [t.name for t in spec.selection.tools()]
    assert listed and "lookup" not in listed
    unknown = await unknown_tool_error(f"{server.url}/mcp/kb", "no_such_tool", mode=mode)
    assert await unknown_tool_error(f"{server.url}/mcp/kb", "add_note", mode=mode) == unknown
    assert await unknown_tool_error(f"{server.url}/mcp/open", "lookup", mode=mode) == unknown


async def test_legacy_sse_serves_each_collection_at_its_own_path(serve_collections: Serve, sandbox: Sandbox) -> None:
    server = serve_collections([KB, {"name": "dir", "tenant": "acme", "toolsets": ["directory"]}], {"acme": sandbox})
    for spec in await server.service.specs():
        async with _sse(f"{server.url}/sse/{spec.name}") as client:
            listed = [t.name for t in (await client.list_tools()).tools]
            assert listed == [t.name for t in spec.selection.tools()]
            if spec.name == "dir":
                ok(await client.call_tool("lookup", {"kind": "team"}))
    assert "lookup" not in [t.name for t in (await server.service.get("kb")).selection.tools()]


def _sse(url: str, **client: Any) -> Client:
    return Client(sse_client(url, timeout=10, sse_read_timeout=30), **client)


async def test_an_unknown_or_expired_collection_is_404_alike(serve_collections: Serve, sandbox: Sandbox) -> None:
    old = {**KB, "name": "old", "expires_at": "2020-01-01T00:00:00Z"}
    server = serve_collections([KB, old], {"acme": sandbox})
    assert sorted(server.host.contexts) == ["kb"]
    async with httpx2.AsyncClient(timeout=10) as http:
        gone = await http.post(f"{server.url}/mcp/old", json={})
        unknown = await http.post(f"{server.url}/mcp/nope", json={})
        health = (await http.get(f"{server.url}/healthz")).json()
    assert gone.status_code == unknown.status_code == 404
    assert gone.json() == unknown.json()
    assert health["collections"] == {"kb": 2}


# -- credentials -------------------------------------------------------------------------------------------------


async def test_a_token_of_one_collection_is_refused_at_another(serve_collections: Serve, sandbox: Sandbox) -> None:
    other = {**DESK, "name": "other"}
    server = serve_collections([DESK, other], {"acme": sandbox})
    secret, _ = await server.service.issue_token("desk", label="desk bot")
    async with mcp_at(f"{server.url}/mcp/desk", token=secret) as client:
        ok(await client.call_tool("lookup", {"kind": "team"}))
    async with httpx2.AsyncClient(timeout=10) as http:
        response = await http.post(f"{server.url}/mcp/other", json={}, headers={"Authorization": f"Bearer {secret}"})
        bare = await http.post(f"{server.url}/mcp/other", json={})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    assert bare.status_code == 401
    assert bare.json()["error"] == "unauthorized"


async def test_revoked_and_expired_tokens_are_refused_at_once(serve_collections: Serve, sandbox: Sandbox) -> None:
    server = serve_collections([DESK], {"acme": sandbox})
    secret, token = await server.service.issue_token("desk", label="to revoke")
    short, _ = await server.service.issue_token("desk", label="short", expires="1s")
    statuses: list[int] = []

    async def record(response: httpx2.Response) -> None:
        statuses.append(response.status_code)

    async with mcp_at(f"{server.url}/mcp/desk", token=secret, mode="legacy", on_response=record) as client:
        ok(await client.call_tool("lookup", {"kind": "team"}))
        await server.service.revoke(token.id)
        with pytest.raises(MCPError):  # the same session's very next request
            await client.call_tool("lookup", {"kind": "team"})
        assert statuses[-1] == 401
    await anyio.sleep(1.1)
    async with httpx2.AsyncClient(timeout=10) as http:
        expired = await http.post(f"{server.url}/mcp/desk", json={}, headers={"Authorization": f"Bearer {short}"})
    assert expired.status_code == 401
    assert expired.json()["error"] == "invalid_token"


async def test_url_token_mode_serves_the_token_path_only(serve_collections: Serve, sandbox: Sandbox) -> None:
    link = {"name": "link", "tenant": "acme", "toolsets": ["directory"], "auth": ["url_token"]}
    both = {"name": "both", "tenant": "acme", "toolsets": ["directory"], "auth": ["url_token", "bearer"]}
    server = serve_collections([link, both], {"acme": sandbox})
    secret, _ = await server.service.issue_token("link", label="chatgpt")
    async with mcp_at(f"{server.url}/mcp/t/{secret}") as client:
        ok(await client.call_tool("lookup", {"kind": "team"}))
    url_part, _ = await server.service.issue_token("both", label="url")
    bearer_part, _ = await server.service.issue_token("both", label="person")
    async with mcp_at(f"{server.url}/mcp/t/{url_part}", token=bearer_part) as client:
        ok(await client.call_tool("lookup", {"kind": "team"}))
    async with httpx2.AsyncClient(timeout=10) as http:
        by_name = await http.post(f"{server.url}/mcp/link", json={})
        wrong = await http.post(f"{server.url}/mcp/t/hmcp_not-a-real-token-at-all", json={})
        no_bearer = await http.post(f"{server.url}/mcp/t/{url_part}", json={})
        same = await http.post(
            f"{server.url}/mcp/t/{url_part}", json={}, headers={"Authorization": f"Bearer {url_part}"}
        )
    assert by_name.status_code == 404  # reachable only by its token URL
    assert wrong.status_code == 401
    assert no_bearer.status_code == 401
    assert same.status_code == 401  # the URL's own token is not a second factor


def test_url_tokens_never_appear_in_the_logs_and_start_up_names_expired_collections(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    config = tmp_path / "halo-mcp.toml"
    config.write_text(
        "[tenants.acme]\n"
        f'url = "{sandbox.url}"\nclient_id_env = "T_ID"\nclient_secret_env = "T_SECRET"\nrate_limit = "off"\n'
        '[[collections]]\nname = "link"\ntenant = "acme"\ntoolsets = ["directory"]\nauth = ["url_token"]\n'
        '[[collections]]\nname = "old"\ntenant = "acme"\nexpires_at = 2020-01-01T00:00:00Z\n'
    )
    env = subprocess_env(
        T_ID=sandbox.client_id,
        T_SECRET=sandbox.client_secret,
        HALO_MCP_CONFIG=str(config),
        HALO_MCP_STATE_DB=str(tmp_path / "state.db"),
        HALO_MCP_LOG_LEVEL="DEBUG",
    )

    issued = halo_mcp_cli(env, "collections", "--json", "token", "link", "--label", "bot")
    assert issued.returncode == 0, issued.stderr
    secret = json.loads(issued.stdout)["token"]
    server = CliServer(env)
    try:
        with httpx2.Client(timeout=10) as http:
            response = http.post(
                f"{server.url}/mcp/t/{secret}",
                json={"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}},
                headers={"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25"},
            )
            bad = http.post(f"{server.url}/mcp/t/{secret[:-3]}xyz", json={})
    finally:
        output = server.stop()
    assert response.status_code in (200, 400)
    assert bad.status_code == 401
    assert "collection old expired at 2020-01-01 00:00:00+00:00: not served" in output
    assert "/mcp/t/***" in output  # the access log line is there, masked
    assert secret not in output
    assert secret[:-3] not in output


# -- rate limits ---------------------------------------------------------------------------------------------------


async def test_passthrough_returns_the_429_at_once_with_rate_limit_headers(
    serve_collections: Serve, fresh_sandbox: Sandbox
) -> None:
    fresh_sandbox.set_faults(rate_limit={"limit": 1, "window_seconds": 60, "retry_after": True}, paths=["/api/Tickets"])
    seen: list[httpx2.Response] = []

    async def record(response: httpx2.Response) -> None:
        seen.append(response)

    server = serve_collections(
        [{**KB, "name": "fast", "toolsets": ["tickets"], "rate_limit_mode": "passthrough"}],
        {"acme": fresh_sandbox},
        rate_limits={"acme": "100/300"},
    )
    async with mcp_at(f"{server.url}/mcp/fast", on_response=record) as client:
        ok(await client.call_tool("get_ticket", {"id": 1}))
        fresh_sandbox.reset_counters()
        message = failed(await client.call_tool("get_ticket", {"id": 1}))
    assert "429" in message
    assert "retry in 60 s" in message
    assert fresh_sandbox.counters()["routes"] == {"GET /api/Tickets/{id}": 1}  # not retried
    headers = seen[-1].headers
    assert headers["ratelimit-policy"] == '"halo";q=100;w=300'
    assert headers["ratelimit"] == '"halo";r=0;t=60'
    assert (headers["ratelimit-limit"], headers["ratelimit-remaining"], headers["ratelimit-reset"]) == (
        "100",
        "0",
        "60",
    )


async def test_retry_mode_absorbs_the_429(serve_collections: Serve, fresh_sandbox: Sandbox) -> None:
    fresh_sandbox.set_faults(rate_limit={"limit": 1, "window_seconds": 3, "retry_after": True}, paths=["/api/Tickets"])
    seen: list[httpx2.Response] = []

    async def record(response: httpx2.Response) -> None:
        seen.append(response)

    server = serve_collections(
        [{**KB, "name": "patient", "toolsets": ["tickets"]}], {"acme": fresh_sandbox}, rate_limits={"acme": "100/300"}
    )
    async with mcp_at(f"{server.url}/mcp/patient", on_response=record) as client:
        ok(await client.call_tool("get_ticket", {"id": 1}))
        fresh_sandbox.reset_counters()
        ok(await client.call_tool("get_ticket", {"id": 1}))
    assert fresh_sandbox.counters()["routes"] == {"GET /api/Tickets/{id}": 2}  # one 429, then the retry
    assert seen[-1].headers["ratelimit-limit"] == "100"


async def test_two_tenants_talk_to_two_sandboxes_with_separate_budgets(
    serve_collections: Serve, sandbox: Sandbox, fresh_sandbox: Sandbox
) -> None:
    server = serve_collections(
        [
            {"name": "a1", "tenant": "alpha", "toolsets": ["tickets"]},
            {"name": "a2", "tenant": "alpha", "toolsets": ["directory"]},
            {"name": "b1", "tenant": "beta", "toolsets": ["tickets"]},
        ],
        {"alpha": sandbox, "beta": fresh_sandbox},
        rate_limits={"alpha": "50/300", "beta": "70/300"},
    )
    host = server.host
    assert host.contexts["a1"].surface.halo is host.contexts["a2"].surface.halo  # one budget per tenant
    assert host.contexts["a1"].surface.halo is not host.contexts["b1"].surface.halo
    seen: dict[str, httpx2.Response] = {}
    fresh_sandbox.reset_counters()
    before = sandbox.counters()["total"]
    for name in ("a1", "b1", "a1"):

        async def record(response: httpx2.Response, name: str = name) -> None:
            seen[name] = response

        async with mcp_at(f"{server.url}/mcp/{name}", on_response=record) as client:
            ok(await client.call_tool("get_ticket", {"id": 1}))
    beta_calls = fresh_sandbox.counters()["routes"].get("GET /api/Tickets/{id}")
    assert beta_calls == 1
    assert sandbox.counters()["total"] - before >= 2
    assert seen["a1"].headers["ratelimit-policy"] == '"halo";q=50;w=300'
    assert seen["b1"].headers["ratelimit-policy"] == '"halo";q=70;w=300'
    alpha_left = int(seen["a1"].headers["ratelimit-remaining"])
    beta_left = int(seen["b1"].headers["ratelimit-remaining"])
    assert 50 - alpha_left > 70 - beta_left  # alpha spent more of its own budget than beta did of beta's


# -- audit -----------------------------------------------------------------------------------------------------------


async def test_a_write_records_its_collection_and_principal(serve_collections: Serve, fresh_sandbox: Sandbox) -> None:
    server = serve_collections([DESK], {"acme": fresh_sandbox})
    secret, token = await server.service.issue_token("desk", label="triage bot")
    async with mcp_at(f"{server.url}/mcp/desk", token=secret) as client:
        ok(await client.call_tool("add_note", {"ticket_id": 1, "note": "checked by the triage bot"}))
    (entry,) = server.audit.entries(collection="desk")
    assert (entry.collection, entry.tool, entry.outcome) == ("desk", "add_note", "ok")
    assert entry.principal == f"{token.id} (triage bot)"


# -- admin API and changes while serving -------------------------------------------------------------------------

ADMIN = "admin-Xq7w2LrT9vK4"


async def test_the_admin_api_manages_collections_and_tokens_live(serve_collections: Serve, sandbox: Sandbox) -> None:
    server = serve_collections([KB], {"acme": sandbox}, admin_token=ADMIN)
    auth = {"Authorization": f"Bearer {ADMIN}"}
    api = f"{server.url}/admin/api"
    async with httpx2.AsyncClient(timeout=10) as http:
        assert (await http.get(f"{api}/collections")).status_code == 401
        wrong = await http.get(f"{api}/collections", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        typo = {"name": "ops", "tenant": "acme", "toolsets": ["tickts"]}
        bad = await http.post(f"{api}/collections", headers=auth, json=typo)
        assert bad.status_code == 400
        assert bad.json()["error_description"] == (
            "collection.toolsets: unknown toolset 'tickts'; did you mean 'tickets'?"
        )
        created = await http.post(
            f"{api}/collections",
            headers=auth,
            json={"name": "ops", "tenant": "acme", "toolsets": ["directory"], "auth": ["bearer"]},
        )
        assert created.status_code == 201, created.text
        assert "lookup" in created.json()["tools"]
        file_owned = await http.patch(f"{api}/collections/kb", headers=auth, json={"read_only": True})
        assert file_owned.status_code == 400
        assert "halo-mcp.toml" in file_owned.json()["error_description"]
        issued = (await http.post(f"{api}/collections/ops/tokens", headers=auth, json={"label": "ops bot"})).json()
        listed = (await http.get(f"{api}/collections/ops/tokens", headers=auth)).json()
        assert [t["id"] for t in listed] == [issued["id"]]
        assert "token" not in listed[0]
    async with mcp_at(f"{server.url}/mcp/ops", token=issued["token"]) as client:
        ok(await client.call_tool("lookup", {"kind": "team"}))
    async with httpx2.AsyncClient(timeout=10) as http:
        revoked = await http.delete(f"{api}/tokens/{issued['id']}", headers=auth)
        assert revoked.status_code == 200
        refused = await http.post(
            f"{server.url}/mcp/ops", json={}, headers={"Authorization": f"Bearer {issued['token']}"}
        )
        assert refused.status_code == 401
        deleted = await http.delete(f"{api}/collections/ops", headers=auth)
        assert deleted.json() == {"deleted": "ops", "tokens_revoked": 0}
        assert (await http.post(f"{server.url}/mcp/ops", json={})).status_code == 404
        missing = await http.get(f"{api}/collections/ops", headers=auth)
        assert missing.status_code == 404


@pytest.mark.parametrize("transport", ["streamable HTTP", "SSE"])
async def test_a_change_in_a_collections_tools_notifies_its_connected_clients(
    serve_collections: Serve, sandbox: Sandbox, transport: str
) -> None:
    server = serve_collections([KB], {"acme": sandbox})
    await server.service.create({"name": "dyn", "tenant": "acme", "toolsets": ["knowledge"]})
    await _refresh(server)
    changed = anyio.Event()

    async def on_message(message: Any) -> None:
        if getattr(getattr(message, "root", message), "method", "") == "notifications/tools/list_changed":
            changed.set()

    if transport == "SSE":
        connect = _sse(f"{server.url}/sse/dyn", mode="legacy", message_handler=on_message)
    else:
        connect = mcp_at(f"{server.url}/mcp/dyn", mode="legacy", message_handler=on_message)
    async with connect as client:
        before = [t.name for t in (await client.list_tools()).tools]
        await server.service.update("dyn", {"toolsets": ["knowledge", "directory"]})
        await _refresh(server)
        with anyio.fail_after(10):
            await changed.wait()
        after = [t.name for t in (await client.list_tools(cache_mode="refresh")).tools]
    assert "lookup" not in before
    assert "lookup" in after


async def _refresh(server: CollectionsServer) -> None:
    """Apply store changes on the server's own loop, as the admin API and SIGHUP do."""
    await server.on_loop(server.host.refresh())


async def test_the_admin_api_answers_only_loopback_peers(sandbox: Sandbox) -> None:
    from halo_mcp.config import ServerSettings, parse_file
    from halo_mcp.server.collections.admin import Admin, LoopbackOnly, admin_app
    from halo_mcp.server.collections.auth import StaticTokenVerifier
    from halo_mcp.server.collections.host import CollectionHost
    from halo_mcp.server.collections.service import CollectionService
    from halo_mcp.server.http import transport_security
    from halo_mcp.state.embedded import EmbeddedState

    async def nothing() -> None:
        return None

    file = parse_file({"server": {"public_url": "https://mcp.example.com"}})
    service = CollectionService(file, EmbeddedState(), loopback=True)
    settings = ServerSettings()
    host = CollectionHost(service, {}, settings, transport_security(settings))
    app = LoopbackOnly(admin_app(Admin(service, host, None, nothing), StaticTokenVerifier(ADMIN, "admin")))
    auth = {"Authorization": f"Bearer {ADMIN}"}
    for peer, status in ((("10.1.2.3", 5000), 403), (("127.0.0.1", 5000), 200)):
        transport = httpx2.ASGITransport(app=app, client=peer)
        async with httpx2.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            assert (await http.get("/admin/api/collections", headers=auth)).status_code == status
            assert (await http.get("/admin/collections")).status_code == (403 if status == 403 else 404)


async def test_issued_tokens_come_with_the_public_url_of_their_endpoint(
    serve_collections: Serve, sandbox: Sandbox
) -> None:
    link = {"name": "link", "tenant": "acme", "toolsets": ["directory"], "auth": ["url_token"]}
    server = serve_collections([DESK, link], {"acme": sandbox}, admin_token=ADMIN)
    server.service.file.server.public_url = "https://mcp.example.com"
    auth = {"Authorization": f"Bearer {ADMIN}"}
    async with httpx2.AsyncClient(timeout=10, base_url=f"{server.url}/admin/api", headers=auth) as http:
        desk = (await http.post("/collections/desk/tokens", json={})).json()
        url = (await http.post("/collections/link/tokens", json={"label": "chatgpt"})).json()
        listed = (await http.get("/collections")).json()
    assert desk["url"] == "https://mcp.example.com/mcp/desk"
    assert url["url"] == f"https://mcp.example.com/mcp/t/{url['token']}"
    assert [c.get("url") for c in listed] == [
        "https://mcp.example.com/mcp/desk",
        None,
    ]  # a URL-token one has no name URL


async def test_each_collection_keeps_its_own_deny_rules_on_a_shared_tenant_client(
    serve_collections: Serve, fresh_sandbox: Sandbox
) -> None:
    strict = {"name": "strict", "tenant": "acme", "toolsets": ["tickets"], "exclude_tools": ["op:GET /Tickets/{id}"]}
    loose = {"name": "loose", "tenant": "acme", "toolsets": ["tickets"]}
    server = serve_collections([strict, loose], {"acme": fresh_sandbox})
    assert server.host.contexts["strict"].surface.halo is server.host.contexts["loose"].surface.halo
    async with mcp_at(f"{server.url}/mcp/loose") as client:
        ok(await client.call_tool("get_ticket", {"id": 1}))
    fresh_sandbox.reset_counters()
    async with mcp_at(f"{server.url}/mcp/strict") as client:
        message = failed(await client.call_tool("get_ticket", {"id": 1}))
    assert "op:GET /Tickets/{id}" in message
    assert fresh_sandbox.counters()["routes"].get("GET /api/Tickets/{id}") is None  # refused before sending


async def test_collections_keep_the_servers_request_bounds(serve_collections: Serve, sandbox: Sandbox) -> None:
    server = serve_collections([KB], {"acme": sandbox}, max_request_bytes=2048)
    big = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"_meta": {"pad": "x" * 4096}}}
    headers = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25"}
    async with httpx2.AsyncClient(timeout=10) as http:
        response = await http.post(f"{server.url}/mcp/kb", json=big, headers=headers)
    assert response.status_code == 413
    assert "HALO_MCP_MAX_REQUEST_BYTES" in response.json()["error"]["message"]


async def test_modern_clients_hear_a_tools_change_on_their_listen_stream(
    serve_collections: Serve, sandbox: Sandbox
) -> None:
    server = serve_collections([KB], {"acme": sandbox})
    await server.service.create({"name": "dyn", "tenant": "acme", "toolsets": ["knowledge"]})
    await _refresh(server)
    async with mcp_at(f"{server.url}/mcp/dyn", mode="2026-07-28") as client:
        before = [t.name for t in (await client.list_tools()).tools]
        async with client.listen(tools_list_changed=True) as events:
            await server.service.update("dyn", {"toolsets": ["knowledge", "directory"]})
            await _refresh(server)
            with anyio.fail_after(10):
                event = await events.__anext__()
        after = [t.name for t in (await client.list_tools()).tools]  # the cached list was dropped
    assert type(event).__name__ == "ToolsListChanged"
    assert "lookup" not in before
    assert "lookup" in after


async def test_an_answer_sealed_in_one_collection_is_refused_by_another(
    serve_collections: Serve, fresh_sandbox: Sandbox
) -> None:
    """2026-07-28: a confirmation's sealed requestState names its collection; replayed elsewhere it is refused."""
    one = {"name": "one", "tenant": "acme", "toolsets": ["api"]}
    two = {"name": "two", "tenant": "acme", "toolsets": ["api"]}
    server = serve_collections([one, two], {"acme": fresh_sandbox})

    async def accept(context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        return types.ElicitResult(action="accept", content={"confirm": True})

    arguments = {"operation": "DELETE /Tickets/{id}", "arguments": {"id": 2}}
    async with mcp_at(f"{server.url}/mcp/one", elicitation_callback=accept) as client:
        asked = await client.session.call_tool("call_operation", arguments, allow_input_required=True)
    assert isinstance(asked, types.InputRequiredResult) and asked.input_requests
    (key,) = asked.input_requests
    answer = {key: types.ElicitResult(action="accept", content={"confirm": True})}
    fresh_sandbox.reset_counters()
    async with mcp_at(f"{server.url}/mcp/two", elicitation_callback=accept) as client:
        with pytest.raises(MCPError) as refused:
            await client.session.call_tool(
                "call_operation",
                arguments,
                input_responses=answer,
                request_state=asked.request_state,
                allow_input_required=True,
            )
    assert refused.value.code == types.INVALID_PARAMS
    assert fresh_sandbox.counters()["routes"].get("DELETE /api/Tickets/{id}") is None

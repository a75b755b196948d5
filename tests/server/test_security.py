"""DNS-rebinding defence, the bearer token, secrets kept out of logs, and hidden tools staying hidden."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from halo_mcp.config import ConfigError, ServerSettings
from halo_mcp.sandbox import Sandbox
from halo_mcp.server.http import transport_security
from halo_mcp.server.surface import Surface
from tests.helpers import (
    LEGACY_INITIALIZE,
    MCP_HEADERS,
    CliServer,
    ThreadServer,
    halo_settings_for,
    http_client,
    sse_mcp_client,
    subprocess_env,
    text,
)

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(60)]

TOKEN = "tok-Zr8q1m5B3xK9vT2w"


async def post_mcp(url: str, headers: dict[str, str] | None = None) -> httpx2.Response:
    async with httpx2.AsyncClient(timeout=10) as http:
        return await http.post(f"{url}/mcp", json=LEGACY_INITIALIZE, headers={**MCP_HEADERS, **(headers or {})})


# -- Origin / Host ---------------------------------------------------------------------------------------------


async def test_foreign_origin_is_403(http_server: ThreadServer) -> None:
    response = await post_mcp(http_server.url, {"Origin": "http://evil.example"})
    assert response.status_code == 403


async def test_foreign_host_is_421(http_server: ThreadServer) -> None:
    response = await post_mcp(http_server.url, {"Host": "evil.example"})
    assert response.status_code == 421


async def test_sse_endpoints_check_origin_and_host(http_server: ThreadServer) -> None:
    async with httpx2.AsyncClient(timeout=10) as http:
        sse = await http.get(f"{http_server.url}/sse", headers={"Origin": "http://evil.example"})
        messages = await http.post(f"{http_server.url}/messages/?session_id=00", headers={"Host": "evil.example"})
    assert sse.status_code == 403
    assert messages.status_code == 421


async def test_loopback_origin_is_accepted(http_server: ThreadServer) -> None:
    response = await post_mcp(http_server.url, {"Origin": f"http://localhost:{http_server.port}"})
    assert response.status_code == 200


def test_non_loopback_bind_requires_allowed_hosts() -> None:
    with pytest.raises(ConfigError, match="HALO_MCP_ALLOWED_HOSTS"):
        transport_security(ServerSettings(host="0.0.0.0"))


def test_allowed_hosts_derive_origins() -> None:
    security = transport_security(
        ServerSettings(host="0.0.0.0", allowed_hosts="mcp.example.com", allowed_origins="https://app.example.org")
    )
    assert "mcp.example.com" in security.allowed_hosts
    assert "mcp.example.com:*" in security.allowed_hosts
    assert "https://mcp.example.com" in security.allowed_origins
    assert "https://app.example.org" in security.allowed_origins
    assert not any("127.0.0.1" in h or "localhost" in h for h in security.allowed_hosts)


async def test_public_host_served_only_under_its_name(serve_http: Callable[..., ThreadServer]) -> None:
    server = serve_http(host="0.0.0.0", allowed_hosts="mcp.example.com")
    assert (await post_mcp(server.url, {"Host": "mcp.example.com"})).status_code == 200
    ok_origin = {"Host": "mcp.example.com", "Origin": "https://mcp.example.com"}
    assert (await post_mcp(server.url, ok_origin)).status_code == 200
    assert (await post_mcp(server.url, {"Host": "other.example.com"})).status_code == 421
    bad_origin = {"Host": "mcp.example.com", "Origin": "https://evil.example"}
    assert (await post_mcp(server.url, bad_origin)).status_code == 403


# -- bearer token ----------------------------------------------------------------------------------------------


@pytest.fixture
def token_server(serve_http: Callable[..., ThreadServer]) -> ThreadServer:
    return serve_http(token=TOKEN)


async def test_missing_token_is_401(token_server: ThreadServer) -> None:
    response = await post_mcp(token_server.url)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert TOKEN not in response.text


@pytest.mark.parametrize("header", ["Bearer wrong-token", f"Basic {TOKEN}", "Bearer", f"Bearer {TOKEN}x"])
async def test_wrong_token_is_401(token_server: ThreadServer, header: str) -> None:
    response = await post_mcp(token_server.url, {"Authorization": header})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_token_guards_sse_endpoints(token_server: ThreadServer) -> None:
    async with httpx2.AsyncClient(timeout=10) as http:
        sse = await http.get(f"{token_server.url}/sse")
        messages = await http.post(f"{token_server.url}/messages/?session_id=00", json={})
        health = await http.get(f"{token_server.url}/healthz")
    assert sse.status_code == 401
    assert messages.status_code == 401
    assert health.status_code == 200


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_right_token_works(token_server: ThreadServer, mode: str) -> None:
    with anyio.fail_after(20):
        async with http_client(token_server.url, mode=mode, token=TOKEN) as client:
            result = await client.call_tool("lookup", {"kind": "team"})
    assert not result.is_error, text(result)


async def test_right_token_works_over_sse(token_server: ThreadServer) -> None:
    with anyio.fail_after(20):
        async with sse_mcp_client(token_server.url, token=TOKEN) as client:
            result = await client.call_tool("lookup", {"kind": "team"})
    assert not result.is_error, text(result)


def test_settings_repr_hides_token() -> None:
    settings = ServerSettings(token=TOKEN)
    assert TOKEN not in repr(settings)
    assert TOKEN not in str(settings.model_dump())


# -- secrets never logged ----------------------------------------------------------------------------------------


async def test_secrets_absent_from_debug_logs(sandbox: Sandbox) -> None:
    """A real `halo-mcp serve` at DEBUG: requests with wrong and right tokens and a Halo call (so the client secret
    is sent to Halo's token endpoint); neither the token nor the client secret may appear in any output."""
    secret_id, secret = sandbox.create_app(scopes="all")
    env = subprocess_env(sandbox, HALO_MCP_LOG_LEVEL="DEBUG", HALO_MCP_TOKEN=TOKEN)
    env.update(HALO_CLIENT_ID=secret_id, HALO_CLIENT_SECRET=secret)
    server = CliServer(env)
    try:
        with anyio.fail_after(30):
            assert (await post_mcp(server.url, {"Authorization": "Bearer not-the-token"})).status_code == 401
            async with http_client(server.url, token=TOKEN) as client:
                assert not (await client.call_tool("lookup", {"kind": "team"})).is_error
            async with http_client(server.url, mode="legacy", token=TOKEN) as client:
                assert not (await client.call_tool("lookup", {"kind": "agent", "query": "sam"})).is_error
            async with sse_mcp_client(server.url, token=TOKEN) as client:
                assert not (await client.call_tool("lookup", {"kind": "status"})).is_error
    finally:
        output = server.stop()
    assert "DEBUG" in output and "lookup" in output  # the logs were really at DEBUG and saw the calls
    assert TOKEN not in output
    assert secret not in output


# -- hidden tools ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "hidden"),
    [
        ({"toolsets": "all", "exclude_tools": "lookup"}, "lookup"),
        ({"toolsets": "all", "read_only": True}, "add_note"),
        ({"toolsets": "knowledge"}, "lookup"),
    ],
)
@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_hidden_tool_is_unknown(sandbox: Sandbox, settings: dict[str, Any], hidden: str, mode: str) -> None:
    surface = Surface(halo_settings_for(sandbox), ServerSettings(**settings))
    try:
        async with Client(surface.server, mode=mode) as client:
            assert hidden not in [t.name for t in (await client.list_tools()).tools]
            with pytest.raises(MCPError) as caught:
                await client.call_tool(hidden, {"kind": "team", "ticket": 1, "note": "x"})
            unknown = await _unknown_tool_message(client)
    finally:
        await surface.aclose()
    assert str(caught.value).replace(hidden, "X") == unknown.replace("no_such_tool", "X")


async def _unknown_tool_message(client: Client) -> str:
    with pytest.raises(MCPError) as caught:
        await client.call_tool("no_such_tool", {})
    return str(caught.value)


async def test_hidden_tool_over_http(serve_http: Callable[..., ThreadServer]) -> None:
    server = serve_http(toolsets="all", exclude_tools="lookup")
    async with http_client(server.url) as client:
        with pytest.raises(MCPError, match="Unknown tool"):
            await client.call_tool("lookup", {"kind": "team"})
        names = [t.name for t in (await client.list_tools()).tools]
    assert "lookup" not in names
    async with httpx2.AsyncClient(timeout=5) as http:
        assert (await http.get(f"{server.url}/healthz")).json()["tools"] == len(names)

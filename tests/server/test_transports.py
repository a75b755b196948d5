"""Every transport, both protocol eras: the same tools listed, `lookup` answered with sandbox data."""

from __future__ import annotations

import json
import socket
import sys
import time
from collections.abc import Callable
from typing import Any

import anyio
import httpx2
import mcp_types as types
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.server._otel import OpenTelemetryMiddleware

from halo_mcp import __version__
from halo_mcp.config import ServerSettings
from halo_mcp.sandbox import Sandbox
from halo_mcp.server.interaction import StateBoundary
from halo_mcp.server.surface import Surface, tracing
from tests.helpers import ThreadServer, http_client, sse_mcp_client, subprocess_env, text

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(60)]

MODERN = "2026-07-28"
LEGACY = "2025-11-25"


async def check_lookup(client: Client) -> None:
    """tools/list includes lookup, and lookup(kind=team) returns the sandbox's teams."""
    listed = await client.list_tools()
    names = [t.name for t in listed.tools]
    assert "lookup" in names
    assert [t.name for t in (await client.list_tools()).tools] == names
    result = await client.call_tool("lookup", {"kind": "team"})
    assert not result.is_error, text(result)
    assert "Service Desk" in text(result)


@pytest.mark.parametrize(("mode", "version"), [("auto", MODERN), ("legacy", LEGACY)])
async def test_in_memory(surface: Surface, mode: str, version: str) -> None:
    with anyio.fail_after(20):
        async with Client(surface.server, mode=mode) as client:
            assert client.protocol_version == version
            await check_lookup(client)


@pytest.mark.parametrize(("mode", "version"), [("auto", MODERN), ("legacy", LEGACY)])
async def test_streamable_http(http_server: ThreadServer, mode: str, version: str) -> None:
    with anyio.fail_after(20):
        async with http_client(http_server.url, mode=mode) as client:
            assert client.protocol_version == version
            await check_lookup(client)


async def test_legacy_sse(http_server: ThreadServer) -> None:
    with anyio.fail_after(20):
        async with sse_mcp_client(http_server.url, mode="legacy") as client:
            assert client.protocol_version == LEGACY
            await check_lookup(client)


async def test_healthz(http_server: ThreadServer) -> None:
    async with httpx2.AsyncClient(timeout=5) as http:
        response = await http.get(f"{http_server.url}/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["version"] == __version__
    assert body["tools"] >= 1
    assert set(body) == {"status", "version", "tools"}


def test_header_values_padded_with_whitespace_are_read_without_it(http_server: ThreadServer) -> None:
    """RFC 9110 section 5.5: optional whitespace around a field value is not part of it. The C parser keeps trailing
    whitespace; the server strips it before the SDK compares Mcp-Method and Mcp-Name with the body."""
    body = json.dumps(
        {
            "jsonrpc": "2.0",
            "id": 7,
            "method": "tools/call",
            "params": {
                "name": "lookup",
                "arguments": {"kind": "team"},
                "_meta": {
                    "io.modelcontextprotocol/protocolVersion": MODERN,
                    "io.modelcontextprotocol/clientCapabilities": {},
                    "io.modelcontextprotocol/clientInfo": {"name": "t", "version": "1"},
                },
            },
        }
    ).encode()
    host = http_server.url.removeprefix("http://")
    head = (
        f"POST /mcp HTTP/1.1\r\nHost: {host}\r\nContent-Type:  application/json \r\n"
        f"Accept: application/json, text/event-stream\t\r\nMCP-Protocol-Version: {MODERN} \r\n"
        f"Mcp-Method:  tools/call\t\r\nMcp-Name: lookup \t \r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    )
    with socket.create_connection((host.split(":")[0], int(host.split(":")[1])), timeout=10) as sock:
        sock.sendall(head.encode() + body)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status, _, rest = answer.partition(b"\r\n")
    assert status.startswith(b"HTTP/1.1 200"), answer[:500]
    result = json.loads(rest.split(b"\r\n\r\n", 1)[1])["result"]
    assert not result.get("isError") and "Service Desk" in result["content"][0]["text"], result


@pytest.mark.parametrize(("mode", "version"), [("auto", MODERN), ("legacy", LEGACY)])
async def test_stdio_subprocess(sandbox: Sandbox, mode: str, version: str) -> None:
    """The real console entry point over stdio, configured only by HALO_* variables; logs stay off stdout."""
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "halo_mcp", "serve"],
        env=subprocess_env(sandbox, HALO_MCP_LOG_LEVEL="DEBUG"),
    )
    with anyio.fail_after(40):
        started = time.monotonic()
        async with Client(params, mode=mode) as client:
            await client.list_tools()
            cold_start = time.monotonic() - started
            assert client.protocol_version == version
            await check_lookup(client)
    print(f"stdio spawn -> tools/list answered: {cold_start:.2f} s")
    assert cold_start < 10


async def test_stdio_with_in_process_sandbox() -> None:
    """`serve --sandbox` needs no Halo and no HALO_* configuration at all."""
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "halo_mcp", "serve", "--sandbox"], env=subprocess_env()
    )
    with anyio.fail_after(40):
        async with Client(params) as client:
            await check_lookup(client)


async def test_stdio_misconfigured_exits_cleanly() -> None:
    """No HALO_URL: one line on stderr and exit code 2, not a traceback."""
    result = await anyio.run_process(
        [sys.executable, "-m", "halo_mcp", "serve"], env=subprocess_env(), check=False, stdin=None
    )
    assert result.returncode == 2
    stderr = result.stderr.decode()
    assert "HALO_URL" in stderr
    assert "Traceback" not in stderr
    assert result.stdout == b""


async def test_tool_result_shape_over_http(http_server: ThreadServer) -> None:
    """A tool error travels as an isError result, not a transport failure."""
    async with http_client(http_server.url) as client:
        result = await client.call_tool("lookup", {"kind": "nonsense"})
    assert result.is_error
    assert isinstance(result.content[0], types.TextContent)
    assert "kind" in result.content[0].text


async def test_a_modern_call_that_sends_no_notification_is_answered_in_plain_json(http_server: ThreadServer) -> None:
    """Replies may stream (progress), but a 2026-07-28 call that has nothing to stream is one JSON body."""
    meta = {
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "t", "version": "1"},
    }
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "lookup", "arguments": {"kind": "team"}, "_meta": meta},
    }
    headers = {
        "Accept": "application/json, text/event-stream",
        "Content-Type": "application/json",
        "MCP-Protocol-Version": MODERN,
        "Mcp-Method": "tools/call",
        "Mcp-Name": "lookup",
    }
    async with httpx2.AsyncClient(timeout=10) as http:
        response = await http.post(f"{http_server.url}/mcp", json=body, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert "Network" in response.json()["result"]["content"][0]["text"]


async def test_json_response_answers_legacy_requests_in_plain_json(serve_http: Callable[..., ThreadServer]) -> None:
    """HALO_MCP_JSON_RESPONSE=1, for proxies that cannot pass SSE: one JSON body, never a stream."""
    server = serve_http(json_response=True)
    params = {"protocolVersion": LEGACY, "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}
    body = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": params}
    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    async with httpx2.AsyncClient(timeout=10) as http:
        response = await http.post(f"{server.url}/mcp", json=body, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["result"]["serverInfo"]["name"] == "halo-mcp"
    assert response.headers.get("mcp-session-id")


async def _legacy_session(http: httpx2.AsyncClient, url: str, capabilities: dict[str, Any]) -> dict[str, str]:
    """Open a 2025-11-25 session declaring `capabilities`; the headers its later requests carry."""
    params = {"protocolVersion": LEGACY, "capabilities": capabilities, "clientInfo": {"name": "t", "version": "1"}}
    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    opened = await http.post(
        url, json={"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": params}, headers=headers
    )
    headers |= {"Mcp-Session-Id": opened.headers["mcp-session-id"], "MCP-Protocol-Version": LEGACY}
    await http.post(url, json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=headers)
    return headers


def _lookup(request_id: int, meta: dict[str, Any] | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {"name": "lookup", "arguments": {"kind": "team"}}
    if meta is not None:
        params["_meta"] = meta
    return {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": params}


async def test_a_legacy_call_streams_only_when_something_can_travel_beside_its_result(
    http_server: ThreadServer,
) -> None:
    """Streaming is the default, yet a 2025-11-25 call without a progress token, in a session whose client cannot
    be asked questions, has only its result to send: one JSON body. A progress token, or a client that declared
    elicitation, gets the stream."""
    url = f"{http_server.url}/mcp"
    async with httpx2.AsyncClient(timeout=10) as http:
        plain = await _legacy_session(http, url, {})
        asking = await _legacy_session(http, url, {"elicitation": {"form": {}}})
        replies = {
            "plain": await http.post(url, json=_lookup(1), headers=plain),
            "progress": await http.post(url, json=_lookup(2, {"progressToken": "p"}), headers=plain),
            "asking": await http.post(url, json=_lookup(3), headers=asking),
        }
        named = _lookup(4)  # a request that merely mentions "initialize" does not change what the session declared
        named["params"]["arguments"]["query"] = "initialize"
        replies["asking again"] = await http.post(url, json=named, headers=asking)
    kinds = {name: r.headers["content-type"].split(";")[0] for name, r in replies.items()}
    streamed = "text/event-stream"
    assert kinds == {"plain": "application/json", "progress": streamed, "asking": streamed, "asking again": streamed}
    assert "Network" in replies["plain"].json()["result"]["content"][0]["text"]
    assert all("Network" in r.text for name, r in replies.items() if name != "asking again")


async def test_closing_the_connection_cancels_a_plain_modern_call(fresh_sandbox: Sandbox) -> None:
    """A 2026-07-28 call without a progress token is answered as JSON, not a stream; the client closing the
    connection still cancels it: the count stops requesting pages."""
    fresh_sandbox.set_faults(latency_ms=300, paths=["/api/tickets"])
    server = ThreadServer(fresh_sandbox, ServerSettings(transport="http")).start()
    meta = {
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "t", "version": "1"},
    }
    arguments = {"group_by": "sla", "state": "all"}  # pages through every ticket: about ten slow GETs
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "list_tickets", "arguments": arguments, "_meta": meta},
    }
    headers = {
        "Accept": "application/json, text/event-stream",
        "Content-Type": "application/json",
        "MCP-Protocol-Version": MODERN,
        "Mcp-Method": "tools/call",
        "Mcp-Name": "list_tickets",
    }

    def pages() -> int:
        return sum(
            n
            for route, n in fresh_sandbox.counters().get("routes", {}).items()
            if route.lower().rstrip("/") == "get /api/tickets"
        )

    try:
        fresh_sandbox.reset_counters()
        with anyio.fail_after(30):
            async with httpx2.AsyncClient(timeout=30) as http, anyio.create_task_group() as tg:

                async def call() -> None:
                    await http.post(f"{server.url}/mcp", json=body, headers=headers)

                tg.start_soon(call)
                while pages() < 2:
                    await anyio.sleep(0.05)
                tg.cancel_scope.cancel()
            await anyio.sleep(1.0)  # a page already in flight finishes
            sent = pages()
            await anyio.sleep(1.5)
        assert pages() == sent
        assert 2 <= sent < 10
    finally:
        server.stop()


async def test_without_a_tracer_provider_no_span_is_made_per_message(surface: Surface) -> None:
    """OpenTelemetry records nothing until a tracer provider is installed, yet the SDK's span per message costs CPU
    on every call: the surface leaves it out then, and keeps its own middleware (request-state sealing)."""
    assert not tracing()
    kinds = [type(m) for m in surface.server.middleware]
    assert OpenTelemetryMiddleware not in kinds and StateBoundary in kinds

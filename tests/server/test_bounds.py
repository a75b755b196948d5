"""Every HTTP resource has a bound: legacy sessions (count and idle time), request bodies, and the time a connection
may take to send its request head. Refusals are JSON-RPC errors that say the limit and what to do."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Callable

import httpx2
import pytest
from mcp.shared.exceptions import MCPError

from tests.helpers import LEGACY_INITIALIZE, MCP_HEADERS, ThreadServer, http_client, ok

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(60)]


async def open_session(url: str) -> httpx2.Response:
    async with httpx2.AsyncClient(timeout=10) as http:
        return await http.post(f"{url}/mcp", json=LEGACY_INITIALIZE, headers=MCP_HEADERS)


async def test_sessions_over_the_cap_are_refused_with_a_readable_error(
    serve_http: Callable[..., ThreadServer],
) -> None:
    server = serve_http(max_sessions=2)
    opened = [await open_session(server.url) for _ in range(2)]
    assert all(r.status_code == 200 and r.headers.get("mcp-session-id") for r in opened)
    refused = await open_session(server.url)
    assert refused.status_code == 503
    message = refused.json()["error"]["message"]
    assert "already has 2 open MCP sessions (HALO_MCP_MAX_SESSIONS)" in message and "retry" in message
    with pytest.raises(BaseException) as by_client:  # the SDK client raises it inside a task group
        async with http_client(server.url, mode="legacy"):
            pass
    assert any("HALO_MCP_MAX_SESSIONS" in str(e) for e in leaves(by_client.value))


def leaves(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in leaves(inner)]
    return [exc]


async def test_idle_sessions_expire_after_the_configured_time(serve_http: Callable[..., ThreadServer]) -> None:
    server = serve_http(max_sessions=1, session_idle_timeout=0.5)
    first = await open_session(server.url)
    assert first.status_code == 200
    assert (await open_session(server.url)).status_code == 503
    await asyncio.sleep(1.5)
    assert (await open_session(server.url)).status_code == 200  # the idle one was closed and made room
    async with httpx2.AsyncClient(timeout=10) as http:
        gone = await http.post(
            f"{server.url}/mcp",
            json={"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
            headers={
                **MCP_HEADERS,
                "mcp-session-id": first.headers["mcp-session-id"],
                "mcp-protocol-version": "2025-11-25",
            },
        )
    assert gone.status_code == 404


async def test_a_body_over_the_limit_is_a_readable_json_rpc_error(serve_http: Callable[..., ThreadServer]) -> None:
    server = serve_http(max_request_bytes=20_000)
    async with http_client(server.url) as client:
        ok(await client.call_tool("lookup", {"kind": "team"}))
        with pytest.raises(MCPError) as refused:
            await client.call_tool("search_kb", {"query": "x" * 50_000})
    message = str(refused.value)
    assert "over this server's 20,000-byte limit (HALO_MCP_MAX_REQUEST_BYTES)" in message
    assert "Server returned an error response" not in message


# -- request-head deadline (raw sockets on loopback, bounded in count and time) -------------------------------

HALF_OPEN = 50


def read_until_closed(sock: socket.socket, seconds: float) -> bytes | None:
    """What the server sent before closing, or None if it kept the connection open for `seconds`."""
    sock.settimeout(seconds)
    received = b""
    try:
        while chunk := sock.recv(4096):
            received += chunk
    except TimeoutError:
        return None
    except ConnectionResetError:
        pass
    return received


def test_connections_that_never_finish_their_request_head_are_closed(
    serve_http: Callable[..., ThreadServer],
) -> None:
    server = serve_http(header_timeout=0.5)
    started = time.monotonic()
    sockets = [socket.create_connection(("127.0.0.1", server.port), timeout=5) for _ in range(HALF_OPEN)]
    try:
        for i, sock in enumerate(sockets):
            if i % 2:  # half trickle an incomplete head, half send nothing at all
                sock.sendall(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        time.sleep(1.5)  # three times the deadline: every one of them should be closed by now
        answers = [read_until_closed(sock, 0.3) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()
    assert all(a is not None and (a == b"" or a.startswith(b"HTTP/1.1 408")) for a in answers), answers[:3]
    assert time.monotonic() - started < 4.0
    # A client that sends its request promptly is served, on a fresh connection and on a kept-alive one.
    with httpx2.Client(base_url=server.url, timeout=5) as http:
        assert http.get("/healthz").status_code == 200
        time.sleep(0.8)  # longer than the head deadline, shorter than uvicorn's keep-alive
        assert http.get("/healthz").status_code == 200


def test_a_slow_request_body_is_not_cut_by_the_head_deadline(serve_http: Callable[..., ThreadServer]) -> None:
    server = serve_http(header_timeout=0.5)
    body = json.dumps(LEGACY_INITIALIZE).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        head = (
            f"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nContent-Type: application/json\r\n"
            f"Accept: application/json, text/event-stream\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        sock.sendall(head.encode())
        time.sleep(0.8)  # the head is complete: only the body is slow
        sock.sendall(body)
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]

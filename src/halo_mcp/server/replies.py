"""How each streamable-HTTP POST is answered: one plain JSON body when nothing can travel beside its result, an SSE
stream when something can.

The SDK makes this one switch per session manager (`json_response`), yet a stream only carries more than the
result when
- the request names a progress token (progress notifications), or
- 2025-11-25: the session's client declared elicitation at initialize (a question on the call's own stream).
Every other request is answered as `json_response` would answer it: on a plain call the stream path cost 0.45-1.55
million instructions (callgrind; about 0.2-0.6 ms of server CPU) for nothing: a task group and a watcher task
(2026-07-28), an SSE writer, its task group and chunked framing (2025-11-25). HALO_MCP_JSON_RESPONSE=1 still answers
everything with JSON. A plain 2026-07-28 call is still cancelled when its client closes the connection (the
connection's own close cancels it, server/protocol.py, instead of a watcher task per request); a 2025-11-25 call
is cancelled by `notifications/cancelled`, as before.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

import anyio
import orjson
from mcp.server._streamable_http_modern import handle_modern_request
from mcp.server.streamable_http import StreamableHTTPServerTransport, check_accept_headers
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.shared.inbound import MCP_PROTOCOL_VERSION_HEADER
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from halo_mcp.server.asgi import replaying
from halo_mcp.server.protocol import DISCONNECT_HOOKS

PROGRESS_TOKEN = b'"progressToken"'  # a false match (the words inside an argument) only costs a stream
VERSION_HEADER = MCP_PROTOCOL_VERSION_HEADER.lower().encode("ascii")
# Set while one 2025-11-25 request of a streaming session is answered as JSON (read by the SDK's transport).
_PLAIN: ContextVar[bool] = ContextVar("halo_mcp_plain_reply", default=False)


def declares_elicitation(body: bytes) -> bool | None:
    """Whether an initialize request's client capabilities name elicitation; None when `body` is no initialize."""
    try:
        message = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(message, dict) or message.get("method") != "initialize":
        return None
    params = message.get("params")
    capabilities = params.get("capabilities") if isinstance(params, dict) else None
    return isinstance(capabilities, dict) and capabilities.get("elicitation") is not None


class ChoosingTransport(StreamableHTTPServerTransport):
    """A 2025-11-25 session's transport: SSE for what can stream, JSON for the rest.

    Nothing else can reach a plain request's JSON body: progress needs the token it lacks, and a plain request's
    metadata says it has no back channel (`can_send_request`), so the server cannot ask on it."""

    _json = False  # every reply JSON (HALO_MCP_JSON_RESPONSE)
    _asks = False  # the client declared elicitation: every request streams

    @property
    def is_json_response_enabled(self) -> bool:
        return self._json or _PLAIN.get()

    @is_json_response_enabled.setter
    def is_json_response_enabled(self, value: bool) -> None:
        self._json = value

    async def _handle_post_request(self, scope: Scope, request: Request, receive: Receive, send: Send) -> None:
        if self._json:
            await super()._handle_post_request(scope, request, receive, send)
            return
        body = await request.body()  # Starlette keeps it for the SDK's own read
        if b'"initialize"' in body and (asks := declares_elicitation(body)) is not None:
            self._asks = asks
        if self._asks or PROGRESS_TOKEN in body or not check_accept_headers(request)[1]:
            await super()._handle_post_request(scope, request, receive, send)  # (no SSE accepted: the SDK's 406)
            return
        plain = _PLAIN.set(True)
        try:
            await super()._handle_post_request(scope, request, receive, send)
        finally:
            _PLAIN.reset(plain)


class ChoosingSessionManager(StreamableHTTPSessionManager):
    """The SDK's session manager, choosing per request between a JSON body and a stream (see the module)."""

    def _admit_session(self, requestor: Any) -> StreamableHTTPServerTransport | None:
        transport = super()._admit_session(requestor)
        if transport is not None and not self.json_response:
            transport.__class__ = ChoosingTransport  # the SDK builds it; same state, our per-request choice
        return transport

    async def _handle_request(self, scope: Scope, receive: Receive, send: Send) -> None:
        version = None
        if not self.json_response and scope["method"] == "POST":
            version = next((v for k, v in scope["headers"] if k == VERSION_HEADER), None)
        if version is None or version.decode("latin-1") in HANDSHAKE_PROTOCOL_VERSIONS or self._task_group is None:
            await super()._handle_request(scope, receive, send)
            return
        # 2026-07-28. The body limit in front has read the whole body already: its first message holds it.
        first = await receive()
        replay = replaying(first, receive)
        body = first.get("body", b"")
        hooks = scope.get(DISCONNECT_HOOKS)  # None under a server other than ours: the SDK's own stream watch
        if hooks is None or PROGRESS_TOKEN in body or not check_accept_headers(Request(scope))[1]:
            await handle_modern_request(
                self.app, self.security_settings, False, self._lifespan_state, scope, replay, send
            )
            return
        with anyio.CancelScope() as cancel:  # the client closing the connection cancels the call
            hooks.append(cancel.cancel)
            try:
                await handle_modern_request(
                    self.app, self.security_settings, True, self._lifespan_state, scope, replay, send
                )
            finally:
                hooks.remove(cancel.cancel)

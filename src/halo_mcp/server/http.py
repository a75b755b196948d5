"""One Starlette app for every HTTP transport: streamable HTTP at `/mcp` (both protocol eras), the deprecated
HTTP+SSE pair (`GET /sse`, `POST /messages/`) for older clients, `GET /healthz` and `GET /metrics` (Prometheus).
With halo-mcp.toml, the collections app instead: each collection at `/mcp/<name>` and `/sse/<name>` (see
server/collections/host.py).

Security, in order: Host/Origin validation (DNS-rebinding defence; loopback-only by default, explicit allow lists
otherwise), then an optional static bearer token. The token is kept only as its SHA-256 digest. It authenticates the
MCP client to this server and is never forwarded to Halo: the Halo client has its own credentials.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import ipaddress
import json
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

import anyio
from mcp.server.sse import SseServerTransport
from mcp.server.streamable_http_manager import StreamableHTTPASGIApp
from mcp.server.transport_security import TransportSecurityMiddleware, TransportSecuritySettings
from mcp_types import INVALID_REQUEST
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from halo_mcp import __version__
from halo_mcp.audit import keep_pruning
from halo_mcp.config import ConfigError, HaloSettings, ServerSettings
from halo_mcp.server.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from halo_mcp.server.metrics import METRICS
from halo_mcp.server.replies import ChoosingSessionManager
from halo_mcp.server.surface import Surface

if TYPE_CHECKING:
    from halo_mcp.server.collections.service import CollectionService
    from halo_mcp.state.base import AuditStore

log = logging.getLogger("halo_mcp.http")

MCP_PATH = "/mcp"
SSE_PATH = "/sse"
MESSAGES_PATH = "/messages/"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def transport_security(settings: ServerSettings) -> TransportSecuritySettings:
    """Allowed Host and Origin values: loopback by default; a non-loopback bind must name its public hosts."""
    extra_hosts = ServerSettings.split(settings.allowed_hosts)
    extra_origins = ServerSettings.split(settings.allowed_origins)
    hosts: list[str] = []
    origins: list[str] = []
    if is_loopback(settings.host):
        hosts += ["127.0.0.1", "127.0.0.1:*", "localhost", "localhost:*", "[::1]", "[::1]:*"]
        origins += ["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"]
        origins += ["http://127.0.0.1", "http://localhost", "http://[::1]"]
    elif not extra_hosts:
        raise ConfigError(
            f"HALO_MCP_ALLOWED_HOSTS is not set: binding {settings.host} exposes the server beyond this machine, so "
            "list the host names clients use to reach it, e.g. HALO_MCP_ALLOWED_HOSTS=mcp.example.com"
        )
    for entry in extra_hosts:
        hosts.append(entry)
        bare = not entry.endswith("]") and ":" not in entry.rsplit("]", 1)[-1]
        if bare:
            hosts.append(f"{entry}:*")  # the same host on any port
        for scheme in ("https", "http"):
            origins.append(f"{scheme}://{entry}")
            if bare:
                origins.append(f"{scheme}://{entry}:*")
    origins += extra_origins
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=list(dict.fromkeys(hosts)),
        allowed_origins=list(dict.fromkeys(origins)),
    )


class Guard:
    """Host/Origin check, then the bearer token, in front of an MCP endpoint. /healthz is not guarded."""

    def __init__(self, app: ASGIApp, security: TransportSecuritySettings, token_digest: bytes | None) -> None:
        self.app = app
        self.security = TransportSecurityMiddleware(security)
        self.token_digest = token_digest

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        rejected = await self.security.validate_request(request, is_post=False)
        if rejected is None and self.token_digest is not None and not self._authorized(request):
            rejected = unauthorized("missing or invalid bearer token" if request.headers.get("authorization") else "")
        if rejected is not None:
            await rejected(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _authorized(self, request: Request) -> bool:
        scheme, _, presented = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not presented.strip():
            return False
        assert self.token_digest is not None
        return hmac.compare_digest(digest(presented.strip()), self.token_digest)


class ReadableRefusals:
    """The SDK refuses an oversized body (413, plain text) and a session over the cap (503) in words a client shows
    as "Server returned an error response" or "Too many open sessions"; answer with JSON-RPC errors that say the
    limit and what to do instead (the SDK client surfaces a JSON-RPC error body at any status)."""

    def __init__(self, app: ASGIApp, messages: dict[int, str]) -> None:
        self.app = app
        self.bodies = {
            status: json.dumps(
                {"jsonrpc": "2.0", "id": None, "error": {"code": INVALID_REQUEST, "message": m}}
            ).encode()
            for status, m in messages.items()
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        replaced = False

        async def send_readable(message: Message) -> None:
            nonlocal replaced
            if message["type"] == "http.response.start" and message["status"] in self.bodies:
                replaced = True
                body = self.bodies[message["status"]]
                headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
                await send({"type": "http.response.start", "status": message["status"], "headers": headers})
                await send({"type": "http.response.body", "body": body})
            elif not replaced:  # the refused response's own body is dropped
                await send(message)

        await self.app(scope, receive, send_readable)


def refusals(settings: ServerSettings) -> dict[int, str]:
    return {
        413: f"the request body is over this server's {settings.max_request_bytes:,}-byte limit "
        "(HALO_MCP_MAX_REQUEST_BYTES): send less in one call, e.g. attach a large file with add_attachment(path=...) "
        "instead of base64",
        503: f"this server already has {settings.max_sessions:,} open MCP sessions (HALO_MCP_MAX_SESSIONS); idle ones "
        f"close after {settings.session_idle_timeout:g} s: close clients you no longer use, or retry in a minute",
    }


def digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def store_unavailable() -> Response:
    """The shared state store is away (PostgreSQL): retry shortly; nothing was done."""
    body = {"error": "temporarily_unavailable", "error_description": "the state store cannot be reached; retry shortly"}
    return Response(json.dumps(body), status_code=503, media_type="application/json", headers={"Retry-After": "1"})


def unauthorized(description: str) -> Response:
    challenge = 'Bearer realm="halo-mcp"'
    if description:
        challenge += f', error="invalid_token", error_description="{description}"'
    body = {
        "error": "invalid_token" if description else "unauthorized",
        "error_description": description or "a bearer token is required",
    }
    return Response(
        json.dumps(body), status_code=401, media_type="application/json", headers={"WWW-Authenticate": challenge}
    )


def build_app(
    surface: Surface,
    settings: ServerSettings | None = None,
    *,
    json_response: bool | None = None,
    stateless: bool = False,
) -> Starlette:
    """The ASGI app for `surface`. Its lifespan runs the streamable-HTTP session manager (and so the server's).

    `json_response` (default: HALO_MCP_JSON_RESPONSE, off): answer every POST with one JSON body, never a stream.
    Off, each request is answered as a stream only when something can travel beside its result: a progress token,
    or (2025-11-25) a session whose client declared elicitation, for the call's questions to the person; every
    other reply is one JSON body, and closing the connection still cancels a 2026-07-28 call (server/replies.py).
    On, progress, questions and cancellation by closing (2026-07-28) are off: for proxies that cannot pass SSE.
    The conformance suite passes either way.

    `stateless`: no MCP sessions, for several worker processes behind one port (any worker can answer any request;
    legacy clients work without a session id). Legacy SSE needs its GET and POSTs in one process, so it is not served.
    """
    settings = settings or surface.settings
    security = transport_security(settings)
    token_digest = digest(settings.token.get_secret_value()) if settings.token else None
    server = surface.server

    # Stateful sessions serve 2025-11-25 clients (the SDK routes 2026-07-28 requests statelessly on the same path):
    # bounded in number and idle time, since each holds a server task and its streams.
    manager = ChoosingSessionManager(
        app=server,
        json_response=settings.json_response if json_response is None else json_response,
        stateless=stateless,
        security_settings=security,
        session_idle_timeout=settings.session_idle_timeout,
        max_request_body_size=settings.max_request_bytes,
        max_sessions=settings.max_sessions,
    )
    sse = SseServerTransport(MESSAGES_PATH, security_settings=security)

    async def sse_endpoint(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            async with sse.connect_sse(scope, receive, send) as (read_stream, write_stream):
                await server.run(read_stream, write_stream, server.create_initialization_options())
        except ValueError as exc:
            if "validation failed" not in str(exc):
                raise
            log.debug("SSE connection refused: %s", exc)  # connect_sse has answered (403/421) already

    async def healthz(request: Request) -> Response:
        body: dict[str, Any] = {"status": "ok", "version": __version__, "tools": len(surface.tools)}
        if degraded := surface.degraded():  # still serving (200): a probe must not restart a working replica
            body.update(status="degraded", degraded=degraded)
        return JSONResponse(body)

    async def metrics(request: Request) -> Response:
        return Response(METRICS.render(), media_type=METRICS_CONTENT_TYPE)

    def guard(app: ASGIApp) -> ASGIApp:
        return Guard(app, security, token_digest)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with manager.run(), anyio.create_task_group() as tg:
            log.info(
                "serving %d tools at %s (streamable HTTP), %s (SSE); auth %s",
                len(surface.tools),
                MCP_PATH,
                SSE_PATH,
                "bearer token" if token_digest else "none",
            )
            if settings.audit_retention_days:
                tg.start_soon(keep_pruning, surface.audit, settings.audit_retention_days)
            yield
            tg.cancel_scope.cancel()

    routes: list[Any] = [
        # First: the router tries routes in order, and nearly every request is an MCP one.
        Route(MCP_PATH, guard(ReadableRefusals(StreamableHTTPASGIApp(manager), refusals(settings)))),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),  # no secrets: tool names, tenant hosts, counts
    ]
    if not stateless:
        routes += [
            Route(SSE_PATH, guard(sse_endpoint), methods=["GET"]),
            Mount(MESSAGES_PATH, app=guard(sse.handle_post_message)),
        ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.session_manager = manager
    return app


def build_collections_app(
    service: CollectionService,
    tenants: Mapping[str, HaloSettings],
    settings: ServerSettings,
    *,
    audit: AuditStore | None = None,
    reload: Callable[[], Awaitable[None]] | None = None,
    json_response: bool | None = None,
) -> Starlette:
    """The ASGI app for halo-mcp.toml: every collection at /mcp/<name>, /sse/<name> and /mcp/t/<token>, the admin
    API at /admin/api and the console at /admin when HALO_MCP_ADMIN_TOKEN is set, and /healthz. `reload` re-reads
    the file (SIGHUP and /admin/api/reload); without it a reload re-reads only the store."""
    from halo_mcp.server.collections.admin import Admin, LoopbackOnly, admin_app
    from halo_mcp.server.collections.auth import StaticTokenVerifier
    from halo_mcp.server.collections.host import CollectionHost

    security = transport_security(settings)
    replies = settings.json_response if json_response is None else json_response  # see build_app
    host = CollectionHost(service, tenants, settings, security, audit=audit, json_response=replies)

    async def refresh() -> None:
        await host.refresh()

    if settings.signin_keys is not None or any("oauth" in c.auth for c in service.file.collections):
        public_url = service.file.server.public_url
        if not public_url:
            raise ConfigError(
                'server.public_url: required for per-user sign-in (auth = ["oauth"]): it is the issuer and the base '
                "of every collection's URL, e.g. https://mcp.example.com"
            )
        host.enable_signin(public_url)

    admin: Admin | None = None
    if settings.admin_token is not None:  # the admin API and the console at /admin (server/console/)
        from halo_mcp.server.console.app import console_routes

        verifier = StaticTokenVerifier(settings.admin_token.get_secret_value(), "admin")
        admin = Admin(service, host, audit, reload or refresh)
        host.admin = LoopbackOnly(admin_app(admin, verifier, console_routes(admin, verifier)))

    async def healthz(request: Request) -> Response:
        tools = {name: len(ctx.surface.tools) for name, ctx in host.contexts.items()}
        body: dict[str, Any] = {"status": "ok", "version": __version__, "collections": tools}
        windows = [client.limiter for client in host.halo.values() if client.limiter is not None]
        if degraded := [reason for window in windows if (reason := window.degraded())]:
            body.update(status="degraded", degraded=degraded)
        return JSONResponse(body)

    async def metrics(request: Request) -> Response:
        return Response(METRICS.render(), media_type=METRICS_CONTENT_TYPE)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with anyio.create_task_group() as tg:
            await host.run(tg)
            if audit is not None and settings.audit_retention_days:
                tg.start_soon(keep_pruning, audit, settings.audit_retention_days)
            if admin is not None:
                tg.start_soon(admin.health.run)
            log.info("serving %d collections; admin API %s", len(host.contexts), "on" if host.admin else "off")
            again = reload or refresh

            async def reread() -> None:
                await again()

            def hup() -> None:
                tg.start_soon(reread)

            hangup = _on_sighup(hup)
            try:
                yield
            finally:
                hangup()
                await host.aclose()
                tg.cancel_scope.cancel()

    routes = [Route("/healthz", healthz, methods=["GET"]), Route("/metrics", metrics, methods=["GET"])]
    app = Starlette(routes=[*routes, Mount("/", app=host)], lifespan=lifespan)
    app.state.host = host
    return app


def _on_sighup(callback: Callable[[], None]) -> Callable[[], None]:
    """Run `callback` on SIGHUP (`halo-mcp reload --pid`); returns the undo. Only the main thread can do this."""
    loop = asyncio.get_running_loop()
    try:
        loop.add_signal_handler(signal.SIGHUP, callback)
    except (RuntimeError, ValueError, NotImplementedError, AttributeError):
        return lambda: None

    def undo() -> None:
        loop.remove_signal_handler(signal.SIGHUP)

    return undo

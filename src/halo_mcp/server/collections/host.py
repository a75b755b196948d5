"""Many governed endpoints in one process: each collection is one `Surface` at `/mcp/<name>` (streamable HTTP,
both protocol eras), `/sse/<name>` + `/messages/<name>/` (legacy SSE), or `/mcp/t/<token>` (URL token).

Order on every request: Host/Origin, then credentials (`CollectionAuth`), then the collection's MCP app (for a
signed-in person without `halo:write`, the tool being called is checked first: a write tool is a 403
`insufficient_scope` challenge, read from `Mcp-Name` in the 2026 era and from the body in the legacy one). The
sign-in routes (server/auth/) check the Host only: browsers and web clients reach them cross-origin. A
collection that is unknown, expired, or reachable only by URL token answers 404 alike. Collections on one Halo
tenant share one `HaloClient`, so one rate budget (never split); every response from a collection carries that
budget as IETF RateLimit-Policy / RateLimit fields plus Truto's legacy ratelimit-* headers.

With a shared store (PostgreSQL), collections created, changed or deleted through another replica are picked up by
polling the store's change counter every `CHANGES_POLL_SECONDS`; tokens are never cached, so a revocation is
refused at the next request. A store that cannot be reached to check a credential answers 503, not 401.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

import anyio
from anyio.abc import TaskGroup, TaskStatus
from mcp.server.sse import SseServerTransport
from mcp.server.streamable_http_manager import StreamableHTTPASGIApp
from mcp.server.transport_security import TransportSecurityMiddleware, TransportSecuritySettings
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from halo_mcp.config import ConfigError, HaloSettings, ServerSettings
from halo_mcp.halo.auth import HaloTokenManager
from halo_mcp.halo.client import HaloClient
from halo_mcp.halo.errors import HaloError
from halo_mcp.halo.ratelimit import cache_for, window_for
from halo_mcp.server.asgi import read_body, replaying
from halo_mcp.server.auth.resource import METADATA_PREFIX
from halo_mcp.server.auth.scopes import WRITE, needs_write
from halo_mcp.server.auth.signin import SignIn
from halo_mcp.server.collections.auth import ApiTokenVerifier, CollectionAuth, SignedInUser
from halo_mcp.server.collections.marking import ensure_virtual_agent
from halo_mcp.server.collections.service import CollectionService
from halo_mcp.server.collections.spec import CollectionSpec
from halo_mcp.server.http import ReadableRefusals, refusals, store_unavailable, unauthorized
from halo_mcp.server.replies import ChoosingSessionManager
from halo_mcp.server.surface import Surface
from halo_mcp.state.base import AuditStore, CollectionChanges, StateUnavailable

log = logging.getLogger("halo_mcp.collections")

POLICY = "halo"  # the IETF policy name in RateLimit-Policy / RateLimit
CHANGES_POLL_SECONDS = 1.0  # how soon a collection changed through another replica is served here


@dataclass
class CollectionContext:
    """Built once per collection (rebuilt only when its tenant or rate-limit mode changes)."""

    spec: CollectionSpec
    surface: Surface
    manager: ChoosingSessionManager
    mcp: ASGIApp  # the manager's app, its 413/503 refusals made readable
    sse: SseServerTransport
    stop: anyio.Event = field(default_factory=anyio.Event)

    @property
    def name(self) -> str:
        return self.spec.name


def budget_headers(halo: HaloClient) -> list[tuple[bytes, bytes]]:
    """The tenant's current budget (draft-ietf-httpapi-ratelimit-headers, plus Truto's legacy names)."""
    state = halo.rate_limit_state()
    if state is None:
        return []
    reset = str(max(0, round(state.reset_seconds)))
    values = {
        "ratelimit-policy": f'"{POLICY}";q={state.limit};w={state.window_seconds:g}',
        "ratelimit": f'"{POLICY}";r={state.remaining};t={reset}',
        "ratelimit-limit": str(state.limit),
        "ratelimit-remaining": str(state.remaining),
        "ratelimit-reset": reset,
    }
    return [(k.encode(), v.encode()) for k, v in values.items()]


def not_found() -> Response:
    body = {"error": "not_found", "error_description": "no such MCP endpoint; check the collection URL"}
    return Response(json.dumps(body), status_code=404, media_type="application/json")


class CollectionHost:
    """The collections of one process, their tenants' clients, and the ASGI dispatch between them."""

    def __init__(
        self,
        service: CollectionService,
        tenants: Mapping[str, HaloSettings],
        settings: ServerSettings,
        security: TransportSecuritySettings,
        *,
        audit: AuditStore | None = None,
        json_response: bool = True,
        admin: ASGIApp | None = None,
    ) -> None:
        self.service = service
        self.tenant_settings = dict(tenants)
        self.settings = settings
        self.security = security
        self.guard = TransportSecurityMiddleware(security)
        self.audit = audit
        self.json_response = json_response
        self.admin = admin
        self.verifier = ApiTokenVerifier(service.state.tokens)
        self.auth = CollectionAuth(self.verifier)
        self.halo: dict[str, HaloClient] = {}
        self.contexts: dict[str, CollectionContext] = {}
        self._tg: TaskGroup | None = None
        self._applying = anyio.Lock()  # an admin change and a SIGHUP must not interleave their rebuilds
        self.signin: SignIn | None = None

    def enable_signin(self, public_url: str) -> None:
        """Serve per-user sign-in (collections with auth = ["oauth"]) as `public_url`."""
        self.signin = SignIn(
            self.service.state.signin,
            self.settings,
            public_url,
            self.tenant_settings,
            lambda: {name: ctx.spec for name, ctx in self.contexts.items()},
            lambda tenant: self.halo[tenant],
        )
        self.auth.oauth = self.signin.resource
        self.auth.people = self.signin.people

    # -- lifecycle -----------------------------------------------------------------------------------------

    async def run(self, tg: TaskGroup) -> None:
        """Start every collection (called from the app's lifespan, inside `tg`); with a shared store, follow the
        changes other replicas make to it."""
        self._tg = tg
        store = self.service.state.collections
        changes = store if isinstance(store, CollectionChanges) else None
        # read before the collections: a change made in between is seen at the first poll
        version = await changes.version() if changes is not None else 0
        await self.apply(await self.service.specs())
        if changes is not None:
            tg.start_soon(self._follow, changes, version)

    async def _follow(self, changes: CollectionChanges, seen: int) -> None:
        """Poll the shared store's change counter; re-read and apply the collections when it moved."""
        failing = False
        while True:
            await anyio.sleep(CHANGES_POLL_SECONDS)
            try:
                version = await changes.version()
                if version != seen:
                    await self.refresh()
                    seen = version
            except Exception as exc:  # the store away or a stored collection now invalid: keep serving, say it once
                if not failing:
                    known = isinstance(exc, ConfigError | StateUnavailable)
                    why = str(exc) if known else type(exc).__name__  # never a URL
                    log.error("stored collections not re-read (%s): still serving the previous ones", why)
                failing = True
            else:
                failing = False

    async def aclose(self) -> None:
        for ctx in self.contexts.values():
            ctx.stop.set()
        self.contexts = {}
        for client in self.halo.values():
            await client.aclose()
        self.halo = {}
        if self.signin is not None:
            await self.signin.aclose()

    async def refresh(self) -> None:
        """Re-read the store (and the file model the service holds) and apply the differences."""
        await self.apply(await self.service.specs())

    async def apply(self, specs: list[CollectionSpec]) -> None:
        """Serve exactly `specs` (expired ones excepted): start new ones, re-select changed ones (their clients
        hear tools/list_changed), rebuild those whose tenant or rate-limit mode changed, stop the rest."""
        async with self._applying:
            await self._apply(specs)

    async def _apply(self, specs: list[CollectionSpec]) -> None:
        live = {s.name: s for s in specs if not s.expired()}
        for s in specs:
            if s.expired():
                log.warning("collection %s expired at %s: not served", s.name, s.config.expires_at)
        for name in [n for n in self.contexts if n not in live]:
            self.contexts.pop(name).stop.set()
            log.info("collection %s removed", name)
        stale = self._clients(list(live.values()))
        for name, spec in live.items():
            current = self.contexts.get(name)
            if current is not None and (
                current.spec.tenant == spec.tenant
                and current.spec.config.rate_limit_mode == spec.config.rate_limit_mode
                and current.surface.halo is self.halo[spec.tenant]
            ):
                current.spec = spec
                selection = await current.surface.customise(spec.selection, spec.config.custom_tools)
                if await current.surface.reselect(selection):
                    log.info("collection %s now serves %d tools", name, len(current.surface.tools))
                continue
            if current is not None:
                current.stop.set()
            self.contexts[name] = await self._start(spec)
        for client in stale:  # replaced or unused tenants, once no collection serves through them
            await client.aclose()

    def _clients(self, specs: list[CollectionSpec]) -> list[HaloClient]:
        """One HaloClient per tenant in use, scoped for the union of its collections' needs; returns the clients
        no longer used (to close once the collections are rebuilt)."""
        scopes: dict[str, set[str]] = {}
        for spec in specs:
            scopes.setdefault(spec.tenant, set()).update(spec.scope().split())
        stale = [self.halo.pop(tenant) for tenant in list(self.halo) if tenant not in scopes]
        for tenant, needed in scopes.items():
            scope = "all" if "all" in needed else " ".join(sorted(needed))
            current = self.halo.get(tenant)
            settings = self.tenant_settings[tenant]
            if current is None or current.settings != settings:
                if current is not None:
                    stale.append(current)
                # One budget per tenant, shared by every replica when HALO_MCP_REDIS_URL is set.
                self.halo[tenant] = HaloClient(
                    settings,
                    scope=scope,
                    window=window_for(settings, self.settings),
                    cache=cache_for(settings, self.settings),
                )
            elif current.tokens.scope != (settings.scope or scope):
                # Same Halo, other tools: a token for the new scope, keeping the client, its budget and sessions.
                current.tokens = HaloTokenManager(settings, current, settings.scope or scope)
        return stale

    async def _start(self, spec: CollectionSpec) -> CollectionContext:
        surface = Surface(
            self.tenant_settings[spec.tenant],
            self.settings,
            selection=spec.selection,
            collection=spec.name,
            halo=self.halo[spec.tenant],
            audit=self.audit,
            rate_limit_mode=spec.config.rate_limit_mode,
            list_changed=True,
            created_tag=spec.config.created_tag_text(),
        )
        await surface.reselect(await surface.customise(spec.selection, spec.config.custom_tools))
        if spec.config.virtual_agent:
            await self._virtual_agent(surface.halo, spec.name)
        # Bounded like the single endpoint's (HALO_MCP_MAX_SESSIONS and the idle timeout apply per collection).
        manager = ChoosingSessionManager(
            app=surface.server,
            json_response=self.json_response,
            security_settings=self.security,
            session_idle_timeout=self.settings.session_idle_timeout,
            max_request_body_size=self.settings.max_request_bytes,
            max_sessions=self.settings.max_sessions,
        )
        mcp = ReadableRefusals(StreamableHTTPASGIApp(manager), refusals(self.settings))
        sse = SseServerTransport(
            f"/messages/{spec.name}/", self.security, max_request_body_size=self.settings.max_request_bytes
        )
        ctx = CollectionContext(spec, surface, manager, mcp, sse)
        assert self._tg is not None, "CollectionHost.run() starts the collections"
        await self._tg.start(self._serve, ctx)
        auth = " + ".join(spec.config.auth) or "none (loopback)"
        log.info("serving collection %s: %d tools at /mcp/%s; auth %s", spec.name, len(surface.tools), spec.name, auth)
        return ctx

    @staticmethod
    async def _virtual_agent(halo: HaloClient, name: str) -> None:
        """The opt-in VirtualAgent record; Halo refusing it is logged, not fatal (the tag still marks the work)."""
        try:
            log.info("collection %s: VirtualAgent record %d", name, await ensure_virtual_agent(halo, name))
        except HaloError as exc:
            log.error("collection %s: VirtualAgent record not kept: %s", name, exc)

    @staticmethod
    async def _serve(ctx: CollectionContext, *, task_status: TaskStatus[None]) -> None:
        async with ctx.manager.run():
            task_status.started()
            await ctx.stop.wait()

    # -- dispatch ------------------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        if (scope["path"] == "/admin" or scope["path"].startswith("/admin/")) and self.admin is not None:
            rejected = await self.guard.validate_request(Request(scope), is_post=False)
            await (rejected or self.admin)(scope, receive, send)
            return
        if self.signin is not None and (SignIn.serves(scope["path"]) or scope["path"].startswith(METADATA_PREFIX)):
            await self._serve_signin(self.signin, scope, receive, send)
            return
        admitted = await self.admit(scope)
        if isinstance(admitted, Response):
            await admitted(scope, receive, send)
            return
        ctx, route = admitted
        user = scope.get("user")
        if isinstance(user, SignedInUser) and WRITE not in user.scopes and scope["method"] == "POST":
            refused, receive = await self._write_refused(ctx, user, scope, receive)
            if refused is not None:
                await refused(scope, receive, send)
                return
        budgeted = _with_budget(send, ctx)
        if route == "mcp":
            await ctx.mcp(scope, receive, budgeted)
        elif route == "sse" and scope["method"] == "GET":
            await self._serve_sse(ctx, scope, receive, budgeted)
        elif route == "messages" and scope["method"] == "POST":
            await ctx.sse.handle_post_message(scope, receive, budgeted)
        else:
            await Response(status_code=405)(scope, receive, send)

    async def admit(self, scope: Scope) -> tuple[CollectionContext, str] | Response:
        """Host/Origin, then the route, then credentials: all a request costs before the MCP app sees it. On
        success the principal is in `scope["user"]` (where the SDK binds sessions to it). A shared store that
        cannot be reached to check a credential is a 503, never a 401 (the credential may well be good)."""
        try:
            return await self._admit(scope)
        except StateUnavailable as exc:
            log.warning("credential not checked: the state store is unreachable (%s)", exc)
            return store_unavailable()

    async def _admit(self, scope: Scope) -> tuple[CollectionContext, str] | Response:
        request = Request(scope)
        rejected = await self.guard.validate_request(request, is_post=False)
        if rejected is not None:
            return rejected
        parts = scope["path"].strip("/").split("/")
        url_token = None
        if len(parts) == 3 and parts[:2] == ["mcp", "t"]:
            url_token = await self.verifier.verify_token(parts[2])
            ctx = self.contexts.get(url_token.resource or "") if url_token else None
            if ctx is None or "url_token" not in ctx.spec.config.auth:
                return unauthorized("the token in this URL is unknown, revoked or expired")
            route = "mcp"
        else:
            if len(parts) != 2 or parts[0] not in ("mcp", "sse", "messages"):
                return not_found()
            found = self.contexts.get(parts[1])
            if found is None or "url_token" in found.spec.config.auth:
                return not_found()
            ctx, route = found, parts[0]
        if ctx.spec.expired():  # expired since the last reload: refuse at once
            return not_found()
        user = await self.auth.authenticate(request, ctx.spec, url_token)
        if isinstance(user, Response):
            return user
        scope["user"] = user
        return ctx, route

    async def _serve_signin(self, signin: SignIn, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope)
        if not self.guard._validate_host(request.headers.get("host")):
            await Response("Invalid Host header", status_code=421)(scope, receive, send)
            return
        path = scope["path"]
        if path.startswith(METADATA_PREFIX):
            ctx = self.contexts.get(path[len(METADATA_PREFIX) :])
            found = ctx is not None and "oauth" in ctx.spec.config.auth
            await (signin.resource.metadata(ctx.spec) if ctx and found else not_found())(scope, receive, send)
            return
        await signin.app(scope, receive, send)

    async def _write_refused(
        self, ctx: CollectionContext, user: SignedInUser, scope: Scope, receive: Receive
    ) -> tuple[Response | None, Receive]:
        """A 403 challenge when the call is a write tool (the body is read at most once, and replayed)."""
        headers = dict(Request(scope).headers)
        name = headers.get("mcp-name") if headers.get("mcp-method") == "tools/call" else None
        if name is None and "mcp-method" not in headers:  # the legacy era names the tool in the body only
            body, receive = await _buffered(receive, self.settings.max_request_bytes)
            try:
                message = json.loads(body)
            except ValueError:
                message = None
            if isinstance(message, dict) and message.get("method") == "tools/call":
                params = message.get("params")
                name = params.get("name") if isinstance(params, dict) else None
        t = ctx.surface.tool(name) if isinstance(name, str) else None
        if t is None or not needs_write(t):
            return None, receive
        assert self.signin is not None
        return self.signin.resource.insufficient(ctx.spec, t.name, list(user.scopes)), receive

    @staticmethod
    async def _serve_sse(ctx: CollectionContext, scope: Scope, receive: Receive, send: Send) -> None:
        server = ctx.surface.server
        try:
            async with ctx.sse.connect_sse(scope, receive, send) as (read_stream, write_stream):
                await server.run(read_stream, write_stream, server.create_initialization_options())
        except ValueError as exc:
            if "validation failed" not in str(exc):
                raise
            log.debug("SSE connection refused: %s", exc)


async def _buffered(receive: Receive, limit: int) -> tuple[bytes, Receive]:
    """The request body (up to `limit`, beyond which the MCP app refuses it anyway) and a receive that replays it."""
    body, more = await read_body(receive, limit)
    return body, replaying({"type": "http.request", "body": body, "more_body": more}, receive)


def _with_budget(send: Send, ctx: CollectionContext) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *budget_headers(ctx.surface.halo)]}
        await send(message)

    return wrapped

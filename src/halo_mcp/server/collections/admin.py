"""The admin HTTP API under `/admin/api`, like Truto's provisioning API, and `Admin`, the one code path behind it,
the console at `/admin` (server/console/) and its audit of every admin action.

Served only when `HALO_MCP_ADMIN_TOKEN` is set (kept as its digest), only to loopback peers, and only with that
bearer token; wrong tokens are throttled with the console's sign-in (throttle.py: 429 with Retry-After). It calls
the same `CollectionService` as the CLI, so validation and errors are the same; each change is applied to the
running server at once and recorded in the audit as tool `admin.<action>`.

    GET    /admin/api/collections                 list
    POST   /admin/api/collections                 create (JSON: the halo-mcp.toml keys of one collection)
    GET    /admin/api/collections/{name}          show
    PATCH  /admin/api/collections/{name}          update
    DELETE /admin/api/collections/{name}          delete (revokes its tokens)
    GET    /admin/api/collections/{name}/tools    the tools it serves and their tools/list cost in tokens
    POST   /admin/api/collections/{name}/tools/{tool}/call   run a tool as a model would (JSON: its arguments)
    GET    /admin/api/collections/{name}/tokens   list tokens
    POST   /admin/api/collections/{name}/tokens   issue one ({"label", "expires"}); its secret is in this answer only
    DELETE /admin/api/tokens/{id}                 revoke
    GET    /admin/api/audit                       audit entries, newest first (?collection=&tool=&person=&ticket=
                                                  &since=&until=&limit=; the next page: &before=<last id>;
                                                  ?format=csv: every matching entry as CSV)
    GET    /admin/api/health                      rate-limit budget, 429s and calls per tenant and collection
    POST   /admin/api/reload                      re-read halo-mcp.toml and the store
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
import mcp_types as types
from mcp import Client
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from halo_mcp.audit import AuditEntry, parse_when
from halo_mcp.config import ConfigError
from halo_mcp.costs import compact_json, count, result_tokens, tool_tokens
from halo_mcp.server.collections.auth import StaticTokenVerifier, bearer
from halo_mcp.server.collections.health import HealthRecorder
from halo_mcp.server.collections.service import CollectionService, NotFound, token_json
from halo_mcp.server.collections.spec import CollectionSpec
from halo_mcp.server.collections.throttle import FailureThrottle
from halo_mcp.server.http import is_loopback, store_unavailable, unauthorized
from halo_mcp.state.base import ApiToken, AuditFilters, AuditStore, StateUnavailable

if TYPE_CHECKING:
    from halo_mcp.server.collections.host import CollectionHost

Refresh = Callable[[], Awaitable[None]]
T = TypeVar("T")

AUDIT_PAGE_ROWS = 200
AUDIT_MAX_PAGE_ROWS = 5000
AUDIT_EXPORT_PAGE_ROWS = 2000  # the CSV export reads the audit this many rows at a time
CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run such a cell (CSV injection)


@dataclass(frozen=True)
class AuditQuery:
    """Filters of the audit page, the API and the CSV export, applied by the audit store over the whole audit;
    times are epoch seconds, `before` an entry id (the page after the one that ended there)."""

    collection: str | None = None
    tool: str | None = None
    person: str | None = None  # a part of the principal (a token's id or label, a signed-in person)
    ticket: int | None = None
    since: float | None = None
    until: float | None = None
    before: int | None = None
    limit: int = AUDIT_PAGE_ROWS

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> AuditQuery:
        """From query parameters; times are ISO 8601 (a date, or a date-time; UTC unless it names a zone)."""

        def text(key: str) -> str | None:
            return params.get(key, "").strip() or None

        def number(key: str, what: str) -> int | None:
            value = text(key)
            if value is not None and not (value.isascii() and value.isdigit()):
                raise ConfigError(f"{key}: {value!r} is not {what}")
            return int(value) if value is not None else None

        since, until, limit = text("since"), text("until"), number("limit", "a number")
        return cls(
            collection=text("collection"),
            tool=text("tool"),
            person=text("person"),
            ticket=number("ticket", "a ticket number"),
            since=parse_when(since, "since") if since else None,
            until=parse_when(until, "until") if until else None,
            before=number("before", "an audit entry id"),
            limit=max(1, min(limit, AUDIT_MAX_PAGE_ROWS)) if limit is not None else AUDIT_PAGE_ROWS,
        )

    def filters(self) -> AuditFilters:
        """The store's `entries` filters (all but the page size)."""
        return AuditFilters(
            tool=self.tool, collection=self.collection, person=self.person, ticket=self.ticket, since=self.since,
            until=self.until, before=self.before,
        )  # fmt: skip

    def older(self, page: list[AuditEntry]) -> dict[str, str] | None:
        """The query parameters of the next (older) page, or None when this page is the last."""
        if len(page) < self.limit:
            return None
        return {"before": str(page[-1].id), **({"limit": str(self.limit)} if self.limit != AUDIT_PAGE_ROWS else {})}


def record_links(e: AuditEntry, web: str | None) -> list[tuple[str, str | None]]:
    """Each affected record with the address of its page in Halo's agent app (`/ticket?id=N`, the app's ticket
    page; actions and attachments open on their ticket), or None where there is none to link."""
    out: list[tuple[str, str | None]] = []
    for record in e.affected:
        kind, _, ident = record.partition(":")
        number = ident.split("/", 1)[0]
        linked = web and kind in ("ticket", "action") and number.isdigit()
        out.append((record, f"{web}/ticket?id={number}" if linked else None))
    return out


CSV_HEADER = ["id", "time", "collection", "person", "tool", "outcome", "affected", "message", "arguments"]


def audit_csv(entries: list[AuditEntry], *, header: bool = True) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    if header:
        writer.writerow(CSV_HEADER)
    for e in entries:
        row = [e.id, _iso(e.at), e.collection, e.principal, e.tool, e.outcome, " ".join(e.affected), e.message,
               json.dumps(e.arguments, ensure_ascii=False)]  # fmt: skip
        writer.writerow([f"'{v}" if isinstance(v, str) and v.startswith(CSV_FORMULA_START) else v for v in row])
    return out.getvalue()


def csv_stream(pages: Iterable[list[AuditEntry]], done: Callable[[int], None] | None = None) -> Iterator[str]:
    """The CSV of every page, header first, as it is read; `done` is told how many rows went out (also when the
    reader stopped early)."""
    rows = 0
    try:
        yield audit_csv([])
        for page in pages:
            yield audit_csv(page, header=False)
            rows += len(page)
    finally:
        if done is not None:
            done(rows)


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class ToolCost:
    name: str
    title: str
    kind: str
    tokens: int
    input_schema: dict[str, Any]
    description: str


@dataclass(frozen=True)
class Trial:
    """A tool run from the console: the exact result a model receives, and what it costs in context."""

    collection: str
    tool: str
    arguments: dict[str, Any]
    result: types.CallToolResult
    tokens: int
    wire: str  # the result as the client receives it (JSON)


class Admin:
    """The admin actions: validated by `CollectionService`, applied to the running host, audited."""

    def __init__(
        self, service: CollectionService, host: CollectionHost, audit: AuditStore | None, reload: Refresh
    ) -> None:
        self.service = service
        self.host = host
        self.audit_store = audit
        self._reload = reload
        self.health = HealthRecorder(
            lambda: host.halo, lambda: {name: ctx.spec.tenant for name, ctx in host.contexts.items()}
        )
        self.throttle = FailureThrottle()

    def wrong_token(self, peer: str, principal: str) -> int:
        """Count a wrong admin token from `peer`; returns the seconds it must now wait. The failure that closes the
        door is audited, and the attempts it then refuses are not (a guesser cannot flood the audit)."""
        wait = self.throttle.failed(peer)
        if wait:
            self.record(principal, "sign_in", "", {"peer": peer}, [],
                        f"throttled: too many wrong admin tokens; {peer} refused for {wait} s")  # fmt: skip
        return wait

    def record(
        self, principal: str, action: str, collection: str, arguments: dict[str, Any], affected: list[str], ok: str
    ) -> None:
        if self.audit_store is not None:
            self.audit_store.record(
                collection=collection,
                tool=f"admin.{action}",
                arguments=arguments,
                affected=affected,
                outcome="ok",
                message=ok,
                principal=principal,
            )

    async def _refused(
        self, principal: str, action: str, collection: str, arguments: dict[str, Any], work: Awaitable[T]
    ) -> T:
        """Await `work`; a refusal is audited too (an admin probing what they may not do is worth a record)."""
        try:
            return await work
        except ConfigError as exc:
            if self.audit_store is not None:
                self.audit_store.record(
                    collection=collection,
                    tool=f"admin.{action}",
                    arguments=arguments,
                    affected=[],
                    outcome="error",
                    message=str(exc),
                    principal=principal,
                )
            raise

    # -- collections and tokens ----------------------------------------------------------------------------

    async def create(self, definition: dict[str, Any], principal: str) -> CollectionSpec:
        name = str(definition.get("name", ""))
        spec = await self._refused(principal, "create_collection", name, definition, self.service.create(definition))
        await self.host.refresh()
        self.record(principal, "create_collection", spec.name, definition, [f"collection:{spec.name}"], "created")
        return spec

    async def update(self, name: str, changes: dict[str, Any], principal: str) -> CollectionSpec:
        spec = await self._refused(principal, "update_collection", name, changes, self.service.update(name, changes))
        await self.host.refresh()
        self.record(principal, "update_collection", name, changes, [f"collection:{name}"], "updated")
        return spec

    async def delete(self, name: str, principal: str) -> int:
        revoked = await self._refused(principal, "delete_collection", name, {}, self.service.delete(name))
        await self.host.refresh()
        self.record(principal, "delete_collection", name, {}, [f"collection:{name}"], f"{revoked} tokens revoked")
        return revoked

    async def issue(self, name: str, label: str, expires: str | None, principal: str) -> tuple[str, ApiToken]:
        arguments = {"label": label, "expires": expires}
        issuing = self.service.issue_token(name, label=label, expires=expires)
        secret, token = await self._refused(principal, "issue_token", name, arguments, issuing)
        self.record(principal, "issue_token", name, arguments, [f"token:{token.id}"], f"issued {token.id}")
        return secret, token

    async def revoke(self, token_id: str, principal: str) -> ApiToken:
        token = await self._refused(principal, "revoke_token", "", {"id": token_id}, self.service.revoke(token_id))
        self.record(principal, "revoke_token", token.collection, {"id": token_id}, [f"token:{token_id}"], "revoked")
        return token

    async def reload(self, principal: str) -> list[str]:
        await self._reload()
        names = [s.name for s in await self.service.specs()]
        self.record(principal, "reload", "", {}, [], f"{len(names)} collections")
        return names

    async def tokens(self, name: str | None = None) -> list[ApiToken]:
        """A collection's tokens, or every token (newest first)."""
        if name is not None:
            return await self.service.tokens(name)
        return sorted(await self.service.state.tokens.list(), key=lambda t: -t.created)

    # -- what a collection costs, and trying it ------------------------------------------------------------

    def tools(self, spec: CollectionSpec) -> tuple[list[ToolCost], int]:
        """The tools as served (custom tools included once the collection runs) and the whole tools/list cost."""
        ctx = self.host.contexts.get(spec.name)
        selection = ctx.surface.selection if ctx else spec.selection
        tools = ctx.surface.tools if ctx else spec.selection.tools()
        listing = [(t, t.to_mcp(selection)) for t in tools]
        costs = [ToolCost(t.name, t.title, t.kind, tool_tokens(m), m.input_schema, m.description or "")
                 for t, m in listing]  # fmt: skip
        dumped = [m.model_dump(by_alias=True, exclude_none=True, mode="json") for _, m in listing]
        return costs, count(compact_json({"tools": dumped}))

    async def try_tool(self, name: str, tool: str, arguments: dict[str, Any], principal: str) -> Trial:
        """Run `tool` through the collection's MCP server (in memory: the same tools/call path, validation, audit
        and metrics a client gets), as the collection's own identity."""
        ctx = self.host.contexts.get(name)
        if ctx is None:
            raise NotFound(f"no running collection named {name!r} (expired, or not created yet)")
        if ctx.surface.tool(tool) is None:
            raise NotFound(f"collection {name!r} serves no tool named {tool!r}; pick one of its tools")
        self.record(principal, "try_tool", name, {"tool": tool, "arguments": arguments}, [], f"ran {tool}")
        async with Client(ctx.surface.server) as client:
            result = await client.call_tool(tool, arguments)
        wire = result.model_dump_json(by_alias=True, exclude_none=True, indent=2)
        return Trial(name, tool, arguments, result, result_tokens(result), wire)

    # -- audit and health ----------------------------------------------------------------------------------

    async def audit(self, query: AuditQuery) -> list[AuditEntry]:
        """One page, newest first (the store is synchronous: it is read in a worker thread)."""
        if self.audit_store is None:
            return []
        store = self.audit_store
        return await anyio.to_thread.run_sync(lambda: store.entries(query.limit, **query.filters()))

    async def export(self, query: AuditQuery) -> Iterator[list[AuditEntry]]:
        """Every entry the filters match (from `before`, when given), a page at a time, newest first. The first
        page is read here (so a store that is away is answered before a response starts); the rest block, so a
        response iterates them in a worker thread."""
        first = await self.audit(replace(query, limit=AUDIT_EXPORT_PAGE_ROWS))
        return self._pages(query.filters(), first)

    def _pages(self, filters: AuditFilters, page: list[AuditEntry]) -> Iterator[list[AuditEntry]]:
        while page:
            yield page
            if len(page) < AUDIT_EXPORT_PAGE_ROWS or self.audit_store is None:
                return
            filters["before"] = page[-1].id
            page = self.audit_store.entries(AUDIT_EXPORT_PAGE_ROWS, **filters)

    def web(self, collection: str) -> str | None:
        """The Halo web address behind a collection's tenant (its API address without /api)."""
        ctx = self.host.contexts.get(collection)
        tenant = self.host.tenant_settings.get(ctx.spec.tenant) if ctx else None
        return tenant.endpoints()[0].removesuffix("/api") if tenant else None


def admin_app(admin: Admin, verifier: StaticTokenVerifier, console: list[BaseRoute] | None = None) -> Starlette:
    """The admin routes (and the console's, when given): loopback peers only."""
    api = "admin (api)"

    def endpoint(fn: Callable[[Request], Awaitable[Any]]) -> Callable[[Request], Awaitable[Response]]:
        async def handle(request: Request) -> Response:
            peer = request.client.host if request.client else ""
            if wait := admin.throttle.retry_after(peer):
                return too_many_failures(wait)
            presented = bearer(request)
            if presented is None:
                return unauthorized("")
            if await verifier.verify_token(presented) is None:
                if wait := admin.wrong_token(peer, api):
                    return too_many_failures(wait)
                return unauthorized("the admin token is missing or wrong")
            admin.throttle.succeeded(peer)
            try:
                result = await fn(request)
            except NotFound as exc:
                return JSONResponse({"error": "not_found", "error_description": str(exc)}, 404)
            except ConfigError as exc:
                return JSONResponse({"error": "invalid", "error_description": str(exc)}, 400)
            except StateUnavailable:
                return store_unavailable()
            if isinstance(result, Response):
                return result
            return JSONResponse(result)

        return handle

    async def body(request: Request) -> dict[str, Any]:
        try:
            data = json.loads(await request.body() or b"{}")
        except ValueError:
            raise ConfigError("the request body is not JSON") from None
        if not isinstance(data, dict):
            raise ConfigError("the request body must be a JSON object")
        return data

    service = admin.service

    async def list_collections(request: Request) -> Any:
        return [service.describe(s) for s in await service.specs()]

    async def create(request: Request) -> Any:
        return JSONResponse(service.describe(await admin.create(await body(request), api)), 201)

    async def show(request: Request) -> Any:
        return service.describe(await service.get(request.path_params["name"]))

    async def update(request: Request) -> Any:
        return service.describe(await admin.update(request.path_params["name"], await body(request), api))

    async def delete(request: Request) -> Any:
        revoked = await admin.delete(request.path_params["name"], api)
        return {"deleted": request.path_params["name"], "tokens_revoked": revoked}

    async def tools(request: Request) -> Any:
        costs, total = admin.tools(await service.get(request.path_params["name"]))
        listed = [{"name": c.name, "kind": c.kind, "tokens": c.tokens} for c in costs]
        return {"tools": listed, "tools_list_tokens": total}

    async def call(request: Request) -> Any:
        p = request.path_params
        trial = await admin.try_tool(p["name"], p["tool"], await body(request), api)
        return {"result": json.loads(trial.wire), "tokens": trial.tokens}

    async def tokens(request: Request) -> Any:
        return [token_json(t) for t in await service.tokens(request.path_params["name"])]

    async def issue(request: Request) -> Any:
        data = await body(request)
        name = request.path_params["name"]
        secret, token = await admin.issue(name, str(data.get("label", "")), data.get("expires"), api)
        url = service.url(await service.get(name), secret)
        return JSONResponse({**token_json(token), "token": secret, **({"url": url} if url else {})}, 201)

    async def revoke(request: Request) -> Any:
        return {"revoked": token_json(await admin.revoke(request.path_params["token_id"], api))}

    async def audit(request: Request) -> Any:
        query = AuditQuery.parse(request.query_params)
        if request.query_params.get("format") == "csv":
            return StreamingResponse(csv_stream(await admin.export(query)), media_type="text/csv; charset=utf-8")
        return [{**e.__dict__, "at": _iso(e.at)} for e in await admin.audit(query)]

    async def health(request: Request) -> Any:
        return admin.health.report()

    async def do_reload(request: Request) -> Any:
        return {"collections": await admin.reload(api)}

    routes: list[BaseRoute] = [
        Route("/admin/api/collections", endpoint(list_collections), methods=["GET"]),
        Route("/admin/api/collections", endpoint(create), methods=["POST"]),
        Route("/admin/api/collections/{name}", endpoint(show), methods=["GET"]),
        Route("/admin/api/collections/{name}", endpoint(update), methods=["PATCH"]),
        Route("/admin/api/collections/{name}", endpoint(delete), methods=["DELETE"]),
        Route("/admin/api/collections/{name}/tools", endpoint(tools), methods=["GET"]),
        Route("/admin/api/collections/{name}/tools/{tool}/call", endpoint(call), methods=["POST"]),
        Route("/admin/api/collections/{name}/tokens", endpoint(tokens), methods=["GET"]),
        Route("/admin/api/collections/{name}/tokens", endpoint(issue), methods=["POST"]),
        Route("/admin/api/tokens/{token_id}", endpoint(revoke), methods=["DELETE"]),
        Route("/admin/api/audit", endpoint(audit), methods=["GET"]),
        Route("/admin/api/health", endpoint(health), methods=["GET"]),
        Route("/admin/api/reload", endpoint(do_reload), methods=["POST"]),
        *(console or []),
    ]

    async def store_away(request: Request, exc: Exception) -> Response:
        return store_unavailable()  # a console page, or a stream's first page, while PostgreSQL is away

    return Starlette(routes=routes, exception_handlers={StateUnavailable: store_away})


def too_many_failures(retry_after: int) -> Response:
    """The admin token was guessed wrong too often (throttle.py): nothing was checked; retry after the wait."""
    body = {"error": "too_many_failures", "error_description": f"too many wrong admin tokens; retry in {retry_after} s"}
    return JSONResponse(body, 429, headers={"Retry-After": str(retry_after)})


class LoopbackOnly:
    """The admin API and console answer loopback peers only."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        client = scope.get("client")
        if scope["type"] == "http" and not is_loopback(client[0] if client else ""):
            body = {"error": "forbidden", "error_description": "the admin API and console are loopback only"}
            await JSONResponse(body, 403)(scope, receive, send)
            return
        await self.app(scope, receive, send)

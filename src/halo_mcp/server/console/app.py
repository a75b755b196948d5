"""The console's pages. Each handler reads a form or a query, calls `Admin` (the admin API's code path) and renders
a template; checks happen first, in `page()`: the admin session (else the sign-in page), then for a POST the
origin and the CSRF token. Secrets appear only in the answer that issues them."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from importlib import resources
from typing import Any
from urllib.parse import quote, urlencode

from jinja2 import Environment, PackageLoader, select_autoescape
from mcp.server.auth.provider import AuthorizeError, TokenError
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from halo_mcp.config import ConfigError
from halo_mcp.halo.login import pkce_pair
from halo_mcp.server.collections.admin import Admin, AuditQuery, ToolCost, audit_csv, record_links
from halo_mcp.server.collections.auth import StaticTokenVerifier
from halo_mcp.server.collections.service import NotFound
from halo_mcp.server.console.forms import arguments_from, collection_from, fields_of, more_keys
from halo_mcp.server.console.session import (
    CONSOLE_SESSION_SECONDS,
    PENDING_SECONDS,
    SESSION_COOKIE,
    SIGNIN_COOKIE,
    AdminSession,
    Sessions,
    same_origin,
    same_token,
    secured,
    set_cookie,
)
from halo_mcp.tools.toolsets import TOOLSET_NAMES

PRINCIPAL = "admin (console)"
HALO_CALLBACK = "/admin/signin/halo/callback"  # register {console}/admin/signin/halo/callback in Halo's API application
# Halo answers /Agent/me under any scope; the sign-in's token is used for that one question and never kept.
HALO_SCOPE = "read:tickets"
PENDING_KIND = "console_pending"
STATIC = {"console.css": "text/css; charset=utf-8", "console.js": "text/javascript; charset=utf-8"}
CHART_WIDTH, CHART_HEIGHT = 240, 60

Handler = Callable[[Request, AdminSession], Awaitable[Response]]


def _when(at: float | None) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if at else ""


def chart_points(series: list[tuple[int, int]], limit: int, seconds: float) -> str:
    """An SVG polyline of the budget left: x is time over the last `seconds`, y the share of `limit` left."""
    points = []
    for t, remaining in series:
        x = CHART_WIDTH * (1 + t / seconds)
        y = CHART_HEIGHT * (1 - remaining / limit) if limit else CHART_HEIGHT
        points.append(f"{max(0.0, x):.1f},{y:.1f}")
    return " ".join(points)


def client_configs(name: str, url: str, secret: str, url_token: bool) -> dict[str, str]:
    """Ready configurations for Claude Desktop (through the mcp-remote bridge, as it starts local commands only),
    VS Code and Cursor."""
    key = f"halo-{name}"
    auth = {} if url_token else {"Authorization": f"Bearer {secret}"}
    desktop_args = ["-y", "mcp-remote", url] + ([] if url_token else ["--header", "Authorization:${AUTH_HEADER}"])
    desktop: dict[str, Any] = {"command": "npx", "args": desktop_args}
    if not url_token:
        desktop["env"] = {"AUTH_HEADER": f"Bearer {secret}"}
    vscode: dict[str, Any] = {"type": "http", "url": url, **({"headers": auth} if auth else {})}
    cursor: dict[str, Any] = {"url": url, **({"headers": auth} if auth else {})}
    return {
        "Claude Desktop (claude_desktop_config.json)": json.dumps({"mcpServers": {key: desktop}}, indent=2),
        "VS Code (.vscode/mcp.json)": json.dumps({"servers": {key: vscode}}, indent=2),
        "Cursor (~/.cursor/mcp.json)": json.dumps({"mcpServers": {key: cursor}}, indent=2),
    }


def console_routes(admin: Admin, verifier: StaticTokenVerifier) -> list[BaseRoute]:
    env = Environment(loader=PackageLoader("halo_mcp.server.console", "templates"), autoescape=select_autoescape())
    env.filters["when"] = _when
    sessions = Sessions(admin.service.state.signin)
    service = admin.service

    def render(
        request: Request, template: str, session: AdminSession | None, status: int = 200, **values: Any
    ) -> Response:
        html = env.get_template(template).render(
            csrf=session.csrf if session else "", signed_in=session is not None, path=request.url.path, **values
        )
        return secured(HTMLResponse(html, status))

    def refused(request: Request, status: int, message: str, session: AdminSession | None = None) -> Response:
        return render(request, "refused.html", session, status, message=message)

    def page(handler: Handler, *, post: bool = False) -> Callable[[Request], Awaitable[Response]]:
        async def handle(request: Request) -> Response:
            if post and not same_origin(request):
                return refused(request, 403, "This form was sent from another site (Origin check failed).")
            session = await sessions.find(request)
            if session is None:
                if post:
                    return refused(request, 403, "Sign in first: your admin session is missing or has expired.")
                target = "/admin/signin?" + urlencode({"next": request.url.path})
                return secured(RedirectResponse(target, 303))
            if post:
                form = await request.form()
                if not same_token(session.csrf, form.get("csrf")):
                    return refused(request, 403, "The form's security token is wrong or stale (CSRF check "
                                   "failed): reload the page and send it again.", session)  # fmt: skip
            try:
                return await handler(request, session)
            except NotFound as exc:
                return refused(request, 404, str(exc), session)

        return handle

    # -- sign-in ---------------------------------------------------------------------------------------------

    async def signin_form(request: Request) -> Response:
        nonce = request.cookies.get(SIGNIN_COOKIE) or secrets.token_urlsafe(32)
        response = render(request, "signin.html", None, next=_next(request.query_params.get("next")), nonce=nonce,
                          halo_tenants=halo_tenants())  # fmt: skip
        set_cookie(response, request, SIGNIN_COOKIE, nonce, 600)
        return response

    async def signin(request: Request) -> Response:
        form = await request.form()
        if not same_origin(request):
            return refused(request, 403, "This form was sent from another site (Origin check failed).")
        nonce = request.cookies.get(SIGNIN_COOKIE)
        if not nonce or not same_token(nonce, form.get("nonce")):
            return refused(request, 403, "The sign-in form is stale (CSRF check failed): open it again.")
        presented = form.get("token")
        if not isinstance(presented, str) or await verifier.verify_token(presented.strip()) is None:
            admin.record(PRINCIPAL, "sign_in", "", {}, [], "refused: wrong admin token")
            wrong = "That is not the admin token (HALO_MCP_ADMIN_TOKEN)."
            return render(request, "signin.html", None, 401, next=_next(form.get("next")), nonce=nonce,
                          halo_tenants=halo_tenants(), error=wrong)  # fmt: skip
        admin.record(PRINCIPAL, "sign_in", "", {}, [], "signed in")
        response = secured(RedirectResponse(_next(form.get("next")), 303))
        set_cookie(response, request, SESSION_COOKIE, await sessions.start(PRINCIPAL), CONSOLE_SESSION_SECONDS)
        response.delete_cookie(SIGNIN_COOKIE, path="/admin")
        return response

    async def signout(request: Request, session: AdminSession) -> Response:
        await sessions.end(session)
        admin.record(session.principal, "sign_out", "", {}, [], "signed out")
        response = secured(RedirectResponse("/admin/signin", 303))
        response.delete_cookie(SESSION_COOKIE, path="/admin")
        return response

    # -- sign-in as a Halo administrator (where per-user sign-in is configured) ---------------------------

    def halo_tenants() -> list[str]:
        """Tenants whose people sign in (a collection with auth = ["oauth"]): their admins may use the console."""
        if admin.host.signin is None:
            return []
        return sorted({c.spec.tenant for c in admin.host.contexts.values() if "oauth" in c.spec.config.auth})

    def callback_url(request: Request) -> str:
        return str(request.base_url).rstrip("/") + HALO_CALLBACK

    async def halo_start(request: Request) -> Response:
        tenant = request.query_params.get("tenant", "")
        if admin.host.signin is None or tenant not in halo_tenants():
            return refused(request, 404, f"Signing in with Halo is not set up for tenant {tenant!r}: use the "
                           "admin token, or serve a collection with auth = [\"oauth\"] on that tenant.")  # fmt: skip
        verifier, challenge = pkce_pair()
        state = secrets.token_urlsafe(32)
        pending = {"verifier": verifier, "tenant": tenant, "next": _next(request.query_params.get("next"))}
        await sessions.store.put(PENDING_KIND, state, json.dumps(pending).encode(), time.time() + PENDING_SECONDS)
        halo = admin.host.signin.halo(tenant)
        target = halo.authorize_url(redirect_uri=callback_url(request), state=state, challenge=challenge,
                                    scope=HALO_SCOPE)  # fmt: skip
        return secured(RedirectResponse(target, 303))

    async def halo_back(request: Request) -> Response:
        q = request.query_params
        raw = await sessions.store.take(PENDING_KIND, q.get("state", ""), time.time())
        if raw is None or admin.host.signin is None:
            return refused(request, 400, "This sign-in is unknown or expired: start again from the sign-in page.")
        pending = json.loads(raw)
        if "code" not in q:
            return refused(request, 403, f"Halo did not sign you in ({q.get('error', 'no code')}).")
        halo = admin.host.signin.halo(pending["tenant"])
        try:
            grant = await halo.exchange(q["code"], redirect_uri=callback_url(request), verifier=pending["verifier"])
            person = await halo.who(grant.access_token)
            allowed = person.kind == "agent" and await halo.is_admin(grant.access_token)
        except (AuthorizeError, TokenError) as exc:
            return refused(request, 403, f"Halo sign-in failed: {exc.error_description}")
        principal = f"{person.name or person.id} (Halo {person.kind} {pending['tenant']}/{person.id})"
        if not allowed:
            admin.record(principal, "sign_in", "", {"tenant": pending["tenant"]}, [], "refused: not a Halo admin")
            return refused(request, 403, f"{person.name or person.id} is not an administrator in Halo: ask one to "
                           "sign in, or use the admin token.")  # fmt: skip
        admin.record(principal, "sign_in", "", {"tenant": pending["tenant"]}, [], "signed in with Halo")
        # A page, not a redirect: the cookie is SameSite=Strict, so a redirect chain that began at Halo would not
        # carry it; the page's own navigation does.
        response = render(request, "signed_in.html", None, next=pending["next"], who=person.name)
        set_cookie(response, request, SESSION_COOKIE, await sessions.start(principal), CONSOLE_SESSION_SECONDS)
        return response

    # -- collections -----------------------------------------------------------------------------------------

    async def collections(request: Request, session: AdminSession) -> Response:
        rows = []
        for spec in await service.specs():
            costs, total = admin.tools(spec)
            rows.append(
                {"spec": spec, "tools": len(costs), "tokens": total, "running": spec.name in admin.host.contexts}
            )
        return render(request, "collections.html", session, rows=rows, notice=request.query_params.get("notice"))

    def form_values(**values: Any) -> dict[str, Any]:
        return {"toolset_names": list(TOOLSET_NAMES), "tenants": list(service.file.tenants), **values}

    async def new_collection(request: Request, session: AdminSession) -> Response:
        return render(request, "collection_form.html", session, **form_values(config=None, more=""))

    async def create(request: Request, session: AdminSession) -> Response:
        form = await request.form()
        try:
            spec = await admin.create(collection_from(form, creating=True), session.principal)
        except ConfigError as exc:
            return render(request, "collection_form.html", session, 400,
                          **form_values(config=None, more=form.get("more", ""), error=str(exc), form=form))  # fmt: skip
        return secured(RedirectResponse(f"/admin/collections/{quote(spec.name)}?notice=created", 303))

    async def collection(
        request: Request, session: AdminSession, error: str | None = None, form: Any = None
    ) -> Response:
        spec = await service.get(request.path_params["name"])
        costs, total = admin.tools(spec)
        tokens = await admin.tokens(spec.name)
        values = form_values(config=spec.config, more=more_keys(spec.config), error=error, form=form)
        return render(request, "collection.html", session, 400 if error else 200, spec=spec, costs=costs,
                      total=total, token_list=tokens, notice=request.query_params.get("notice"), **values)  # fmt: skip

    async def show(request: Request, session: AdminSession) -> Response:
        return await collection(request, session)

    async def update(request: Request, session: AdminSession) -> Response:
        name = request.path_params["name"]
        form = await request.form()
        try:
            await admin.update(name, collection_from(form, creating=False), session.principal)
        except NotFound:
            raise
        except ConfigError as exc:
            return await collection(request, session, error=str(exc), form=form)
        return secured(RedirectResponse(f"/admin/collections/{quote(name)}?notice=saved", 303))

    async def delete(request: Request, session: AdminSession) -> Response:
        name = request.path_params["name"]
        try:
            revoked = await admin.delete(name, session.principal)
        except NotFound:
            raise
        except ConfigError as exc:
            return await collection(request, session, error=str(exc))
        notice = f"deleted {name}; {revoked} tokens revoked"
        return secured(RedirectResponse("/admin/collections?" + urlencode({"notice": notice}), 303))

    # -- tokens ------------------------------------------------------------------------------------------------

    async def tokens(request: Request, session: AdminSession, error: str | None = None) -> Response:
        names = [s.name for s in await service.specs()]
        chosen = request.query_params.get("collection", "")
        return render(request, "tokens.html", session, 400 if error else 200, token_list=await admin.tokens(),
                      names=names, chosen=chosen, error=error, now=datetime.now(UTC).timestamp(),
                      notice=request.query_params.get("notice"))  # fmt: skip

    async def issue(request: Request, session: AdminSession) -> Response:
        form = await request.form()
        name, label = str(form.get("collection", "")), str(form.get("label", "")).strip()
        expires = str(form.get("expires", "")).strip() or None
        try:
            secret, token = await admin.issue(name, label, expires, session.principal)
        except ConfigError as exc:
            return await tokens(request, session, error=str(exc))
        spec = await service.get(name)
        url_token = "url_token" in spec.config.auth
        url = service.url(spec, secret) or (
            f"{str(request.base_url).rstrip('/')}/mcp/{'t/' + secret if url_token else name}"
        )
        configs = client_configs(name, url, secret, url_token)
        return render(request, "issued.html", session, token=token, secret=secret, url=url, configs=configs)

    async def revoke(request: Request, session: AdminSession) -> Response:
        token = await admin.revoke(request.path_params["token_id"], session.principal)
        notice = f"revoked {token.id} ({token.label})"
        return secured(RedirectResponse("/admin/tokens?" + urlencode({"notice": notice}), 303))

    # -- audit -------------------------------------------------------------------------------------------------

    async def audit(request: Request, session: AdminSession) -> Response:
        error, entries = None, []
        try:
            entries = admin.audit(AuditQuery.parse(request.query_params))
        except ConfigError as exc:
            error = str(exc)
        rows = [{"e": e, "links": record_links(e, admin.web(e.collection))} for e in entries]
        query = {k: v for k, v in request.query_params.items() if k != "format"}
        return render(request, "audit.html", session, 400 if error else 200, rows=rows, error=error,
                      q=request.query_params, csv_url="/admin/audit.csv?" + urlencode(query))  # fmt: skip

    async def audit_export(request: Request, session: AdminSession) -> Response:
        try:
            entries = admin.audit(AuditQuery.parse(request.query_params))
        except ConfigError as exc:
            return refused(request, 400, str(exc), session)
        admin.record(session.principal, "export_audit", "", dict(request.query_params), [], f"{len(entries)} rows")
        headers = {"content-disposition": 'attachment; filename="halo-mcp-audit.csv"'}
        return secured(Response(audit_csv(entries), media_type="text/csv; charset=utf-8", headers=headers))

    # -- health ------------------------------------------------------------------------------------------------

    async def health(request: Request, session: AdminSession) -> Response:
        report = admin.health.report()
        for t in report["tenants"]:
            t["chart"] = chart_points(t["series"], t["limit"] or 0, t["window_seconds"] or 1.0)
        return render(request, "health.html", session, report=report, width=CHART_WIDTH, height=CHART_HEIGHT)

    # -- try a tool --------------------------------------------------------------------------------------------

    async def try_page(request: Request, session: AdminSession, trial: Any = None, error: str | None = None,
                       form: Any = None) -> Response:  # fmt: skip
        source = form if form is not None else request.query_params
        running = sorted(admin.host.contexts)
        chosen = str(source.get("collection") or (running[0] if running else ""))
        costs: list[ToolCost] = []
        if chosen in admin.host.contexts:
            costs, _ = admin.tools(admin.host.contexts[chosen].spec)
        tool = next((c for c in costs if c.name == source.get("tool")), None)
        return render(request, "try.html", session, 400 if error else 200, collections=running, chosen=chosen,
                      costs=costs, tool=tool, fields=fields_of(tool.input_schema) if tool else [], trial=trial,
                      error=error, form=form)  # fmt: skip

    async def try_show(request: Request, session: AdminSession) -> Response:
        return await try_page(request, session)

    async def try_run(request: Request, session: AdminSession) -> Response:
        form = await request.form()
        name, tool = str(form.get("collection", "")), str(form.get("tool", ""))
        ctx = admin.host.contexts.get(name)
        t = ctx.surface.tool(tool) if ctx else None
        if ctx is None or t is None:
            raise NotFound(f"no tool {tool!r} in a running collection {name!r}; pick one from the lists")
        try:
            arguments = arguments_from(form, t.to_mcp(ctx.surface.selection).input_schema)
        except ConfigError as exc:
            return await try_page(request, session, error=str(exc), form=form)
        trial = await admin.try_tool(name, tool, arguments, session.principal)
        return await try_page(request, session, trial=trial, form=form)

    # -- static ----------------------------------------------------------------------------------------------

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC:
            return secured(Response("not found", 404))
        body = resources.files("halo_mcp.server.console").joinpath("static", name).read_bytes()
        response = Response(body, media_type=STATIC[name])
        secured(response).headers["cache-control"] = "max-age=3600"
        return response

    async def home(request: Request) -> Response:
        return secured(RedirectResponse("/admin/collections", 303))

    return [
        Route("/admin", home, methods=["GET"]),
        Route("/admin/static/{name}", static, methods=["GET"]),
        Route("/admin/signin", signin_form, methods=["GET"]),
        Route("/admin/signin", signin, methods=["POST"]),
        Route("/admin/signin/halo", halo_start, methods=["GET"]),
        Route(HALO_CALLBACK, halo_back, methods=["GET"]),
        Route("/admin/signout", page(signout, post=True), methods=["POST"]),
        Route("/admin/collections", page(collections), methods=["GET"]),
        Route("/admin/collections/new", page(new_collection), methods=["GET"]),
        Route("/admin/collections/new", page(create, post=True), methods=["POST"]),
        Route("/admin/collections/{name}", page(show), methods=["GET"]),
        Route("/admin/collections/{name}", page(update, post=True), methods=["POST"]),
        Route("/admin/collections/{name}/delete", page(delete, post=True), methods=["POST"]),
        Route("/admin/tokens", page(tokens), methods=["GET"]),
        Route("/admin/tokens", page(issue, post=True), methods=["POST"]),
        Route("/admin/tokens/{token_id}/revoke", page(revoke, post=True), methods=["POST"]),
        Route("/admin/audit", page(audit), methods=["GET"]),
        Route("/admin/audit.csv", page(audit_export), methods=["GET"]),
        Route("/admin/health", page(health), methods=["GET"]),
        Route("/admin/try", page(try_show), methods=["GET"]),
        Route("/admin/try", page(try_run, post=True), methods=["POST"]),
    ]


def _next(value: object) -> str:
    """Where to go after signing in: a console page only (never another site)."""
    if isinstance(value, str) and value.startswith("/admin/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/admin/collections"

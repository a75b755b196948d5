"""`halo-mcp collections ...`, and serving or checking halo-mcp.toml (`serve --config`, `--collection`, `doctor
--config`).

The subcommands call the same `CollectionService` as the admin API. Collections declared in the file are shown but
not changed here; tokens are printed once at issue and stored only as digests.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import TYPE_CHECKING, Any

from halo_mcp.cli import PROG
from halo_mcp.cli.common import key_values
from halo_mcp.config import ConfigError, load_server_settings

if TYPE_CHECKING:
    from halo_mcp.config import HaloMcpFile, HaloSettings, ServerSettings
    from halo_mcp.server.collections.service import CollectionService
    from halo_mcp.state.base import State


def add_parser(sub: Any) -> None:
    p = sub.add_parser("collections", help="list, show and manage tool collections and their API tokens")
    p.add_argument("--config", help="halo-mcp.toml (default: HALO_MCP_CONFIG)")
    p.add_argument("--json", action="store_true", help="print JSON")
    verbs = p.add_subparsers(dest="verb", metavar="VERB", required=True)
    verbs.add_parser("list", help="collections with their tool counts")
    v = verbs.add_parser("show", help="a collection's tools and their token cost")
    v.add_argument("name")
    for verb, text in (("create", "add a store-managed collection"), ("update", "change a store-managed one")):
        v = verbs.add_parser(verb, help=text)
        v.add_argument("name")
        v.add_argument(
            "--set", action="append", default=[], metavar="KEY=VALUE", help="a halo-mcp.toml key; VALUE is JSON or text"
        )
    v = verbs.add_parser("delete", help="delete a store-managed collection and revoke its tokens")
    v.add_argument("name")
    v = verbs.add_parser("token", help="issue an API token (printed once)")
    v.add_argument("name")
    v.add_argument("--label", default="")
    v.add_argument("--expires", help="30d, 12h, 2w, an ISO date-time, or never (default)")
    v = verbs.add_parser("tokens", help="a collection's tokens (never their secrets)")
    v.add_argument("name")
    v = verbs.add_parser("revoke", help="revoke a token by id")
    v.add_argument("token_id")
    verbs.add_parser("prune", help="delete expired and revoked tokens")
    p.set_defaults(handler=run)


# -- opening the file and the store ----------------------------------------------------------------------------


def read_file(settings: ServerSettings, explicit: str | None) -> HaloMcpFile:
    from halo_mcp.config import config_path, load_file

    path = config_path(settings, explicit)
    if path is None:
        raise ConfigError("collections need halo-mcp.toml: pass --config PATH or set HALO_MCP_CONFIG")
    return load_file(path)


def open_state(settings: ServerSettings) -> State:
    """PostgreSQL when HALO_MCP_DATABASE_URL (or `[server] database_url`) is set, else the embedded SQLite file."""
    if settings.database_url:
        from halo_mcp.state.postgres import PostgresState

        return PostgresState(settings.database_url.get_secret_value())
    from halo_mcp.config import state_dir
    from halo_mcp.state.embedded import EmbeddedState

    return EmbeddedState(settings.state_db or str(state_dir() / "state.db"))


def open_service(settings: ServerSettings, explicit: str | None) -> CollectionService:
    """The file, and the store it or the environment names (`[server]` engine URLs fill unset variables)."""
    from halo_mcp.config import with_file_engines
    from halo_mcp.server.collections.service import CollectionService
    from halo_mcp.server.http import is_loopback

    file = read_file(settings, explicit)
    state = open_state(with_file_engines(settings, file))
    return CollectionService(file, state, loopback=is_loopback(settings.host))


def tenant_settings(file: HaloMcpFile, base: HaloSettings | None = None) -> dict[str, HaloSettings]:
    from halo_mcp.config import tenant_halo_settings

    return {name: tenant_halo_settings(name, tenant, base) for name, tenant in file.tenants.items()}


# -- collections -----------------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> int:
    import asyncio

    from halo_mcp.server.collections.service import token_json

    service = open_service(load_server_settings(), args.config)
    result = asyncio.run(_verb(service, args))
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False, default=lambda o: token_json(o)))
        return 0
    _print(args.verb, result)
    return 0


async def _verb(service: CollectionService, args: argparse.Namespace) -> Any:
    try:
        return await _run_verb(service, args)
    finally:
        await service.state.release()
        service.state.close()


async def _run_verb(service: CollectionService, args: argparse.Namespace) -> Any:
    from halo_mcp.server.collections.service import token_json

    verb = args.verb
    if verb == "list":
        return [
            {
                **_summary(service.describe(s)),
                "tools": len(s.selection.tools()) + len(s.config.custom_tools),
                "source": s.source,
            }
            for s in await service.specs()
        ]
    if verb == "show":
        from halo_mcp.costs import tool_tokens

        spec = await service.get(args.name)
        costs = {t.name: tool_tokens(t.to_mcp()) for t in spec.selection.tools()}
        tools = [{"name": t.name, "kind": t.kind, "tokens": costs[t.name]} for t in spec.selection.tools()]
        custom = [{"name": c.name, "kind": c.kind} for c in spec.config.custom_tools]
        total = sum(costs.values())
        return {**_summary(service.describe(spec)), "tools": tools, "custom_tools": custom, "total_tokens": total}
    if verb in ("create", "update"):
        fields = key_values(args.set, "--set", example=", e.g. --set 'toolsets=[\"tickets\"]'")
        if verb == "create":
            return service.describe(await service.create({"name": args.name, **fields}))
        return service.describe(await service.update(args.name, fields))
    if verb == "delete":
        return {"deleted": args.name, "tokens_revoked": await service.delete(args.name)}
    if verb == "token":
        secret, token = await service.issue_token(args.name, label=args.label, expires=args.expires)
        url = service.url(await service.get(args.name), secret)
        return {**token_json(token), "token": secret, **({"url": url} if url else {})}
    if verb == "tokens":
        return [token_json(t) for t in await service.tokens(args.name)]
    if verb == "revoke":
        return {"revoked": token_json(await service.revoke(args.token_id))}
    return {"pruned": await service.prune()}


def _summary(described: dict[str, Any]) -> dict[str, Any]:
    keys = ("name", "tenant", "audience", "description", "auth", "expires_at", "rate_limit_mode", "expired")
    return {k: described[k] for k in keys if k in described}


def _print(verb: str, result: Any) -> None:
    if verb == "list":
        width = max((len(c["name"]) for c in result), default=4)
        for c in result:
            state = " (expired: not served)" if c.get("expired") else ""
            auth = "+".join(c.get("auth", [])) or "none"
            where = f"{c['source']:<5}  tenant {c['tenant']}  auth {auth}{state}"
            print(f"{c['name']:<{width}}  {c['tools']:>3} tools  {where}")
        return
    if verb == "show":
        for t in result["tools"]:
            print(f"{t['name']:<28} {t['kind']:<6} {t['tokens']:>5}")
        for c in result["custom_tools"]:  # their schemas come from Halo when the collection starts
            print(f"{c['name']:<28} custom {c['kind']}")
        print(f"{len(result['tools'])} tools, {result['total_tokens']} tokens (o200k_base)"
              + (f", plus {len(result['custom_tools'])} custom" if result["custom_tools"] else ""))  # fmt: skip
        return
    if verb == "token":
        print(result["token"])
        if "url" in result:
            print(f"{PROG}: endpoint {result['url']}", file=sys.stderr)
        expiry = result.get("expires") or "never"
        print(f"{PROG}: token {result['id']} ({result['label']}) for {result['collection']}, expires {expiry}; "
              "shown once, stored only as a hash", file=sys.stderr)  # fmt: skip
        return
    if verb == "tokens":
        for t in result:
            status = "revoked" if t["revoked"] else "active"
            print(f"{t['id']}  {status:<7}  {t['label']}  created {t['created']}  last used {t['last_used'] or '-'}  "
                  f"expires {t['expires'] or 'never'}")  # fmt: skip
        if not result:
            print("no tokens", file=sys.stderr)
        return
    print(json.dumps(result, ensure_ascii=False))


# -- serving ---------------------------------------------------------------------------------------------------


def serve(settings: ServerSettings, explicit: str | None, collection: str | None, sock_factory: Any) -> int:
    """`halo-mcp serve` with halo-mcp.toml: every collection over HTTP, or one (`--collection`) over stdio."""
    from halo_mcp.cli.serve import until_interrupted
    from halo_mcp.server.run import configure_logging

    if settings.workers > 1:
        raise ConfigError("HALO_MCP_WORKERS: halo-mcp.toml is served by one process for now; use 1 worker")
    if settings.token is not None:
        raise ConfigError(
            'HALO_MCP_TOKEN: with halo-mcp.toml each collection has its own tokens (auth = ["bearer"] and '
            "`halo-mcp collections token NAME`); unset HALO_MCP_TOKEN"
        )
    import asyncio

    from halo_mcp.config import with_file_engines

    service = open_service(settings, explicit)
    settings = with_file_engines(settings, service.file)
    specs = asyncio.run(_specs(service))
    tenants = tenant_settings(service.file)
    secrets = [s.get_secret_value() for h in tenants.values() for s in (h.client_secret, h.password) if s]
    if settings.admin_token is not None:
        secrets.append(settings.admin_token.get_secret_value())
    configure_logging(settings.log_level, secrets)
    if settings.transport == "stdio":
        if not collection:
            names = ", ".join(s.name for s in specs)
            raise ConfigError(f"--collection: stdio serves one collection; name one of {names}")
        return until_interrupted(_serve_stdio(service, tenants, settings, collection))
    for spec in specs:
        if spec.expired():
            print(f"{PROG}: collection {spec.name} expired at {spec.config.expires_at}: not served", file=sys.stderr)
    sock = sock_factory()
    port = sock.getsockname()[1]
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
    base = service.file.server.public_url or f"http://{host}:{port}"
    for spec in specs:
        if not spec.expired():
            where = f"{base}/mcp/t/<token>" if "url_token" in spec.config.auth else f"{base}/mcp/{spec.name}"
            print(f"{PROG}: collection {spec.name}: {where}", file=sys.stderr)
    print(f"{PROG}: serving on http://{host}:{port}/mcp/<collection> (health: /healthz)", file=sys.stderr)
    return until_interrupted(_serve_http(service, tenants, settings, explicit, sock))


async def _specs(service: CollectionService) -> list[Any]:
    """The collections, read in an event loop of their own (serving runs another, and a pool stays with its loop)."""
    try:
        return await service.specs()
    finally:
        await service.state.release()


async def _serve_stdio(
    service: CollectionService, tenants: dict[str, HaloSettings], settings: ServerSettings, name: str
) -> None:
    from halo_mcp.halo.client import HaloClient
    from halo_mcp.halo.ratelimit import window_for
    from halo_mcp.server.stdio import serve_stdio
    from halo_mcp.server.surface import Surface
    from halo_mcp.tools.api import request_policy

    spec = await service.get(name)
    if spec.expired():
        raise ConfigError(f"--collection: {name} expired at {spec.config.expires_at}; it is not served")
    # The collection's scope covers its custom tools too (spec.scope()), which the surface cannot see before they
    # are built against this client.
    halo = HaloClient(
        tenants[spec.tenant],
        scope=spec.scope(),
        policy=request_policy(spec.selection),
        window=window_for(tenants[spec.tenant], settings),
    )
    surface = Surface(
        tenants[spec.tenant],
        settings,
        selection=spec.selection,
        collection=spec.name,
        halo=halo,
        rate_limit_mode=spec.config.rate_limit_mode,
        created_tag=spec.config.created_tag_text(),
    )
    try:
        await surface.reselect(await surface.customise(spec.selection, spec.config.custom_tools))
        await serve_stdio(surface)
    finally:
        await surface.aclose()
        await halo.aclose()
        await service.state.release()


async def _serve_http(
    service: CollectionService,
    tenants: dict[str, HaloSettings],
    settings: ServerSettings,
    explicit: str | None,
    sock: Any,
) -> None:
    import logging

    from halo_mcp.audit import open_audit
    from halo_mcp.server.http import build_collections_app
    from halo_mcp.server.run import serve_asgi

    log = logging.getLogger("halo_mcp.collections")
    audit = open_audit(settings)  # one for every collection: PostgreSQL with HALO_MCP_DATABASE_URL

    async def reload() -> None:
        """Re-read the file; a broken file is logged and the running collections stay as they are."""
        from halo_mcp.server.collections.service import CollectionService

        try:
            file = read_file(settings, explicit)
            fresh = tenant_settings(file)
            await CollectionService(file, service.state, loopback=service.loopback).specs()
        except ConfigError as exc:
            log.error("reload refused, still serving the previous configuration: %s", exc)
            return
        service.file = file
        host = app.state.host
        host.tenant_settings = fresh
        await host.refresh()
        log.info("reloaded: serving %s", ", ".join(sorted(host.contexts)))

    app = build_collections_app(service, tenants, settings, audit=audit, reload=reload)
    try:
        await serve_asgi(app, sock, settings.log_level, settings.header_timeout)
    finally:
        audit.close()
        await service.state.release()
        service.state.close()


# -- doctor ----------------------------------------------------------------------------------------------------


async def doctor(report: Any, settings: ServerSettings, explicit: str | None) -> None:
    """Every tenant reached and authenticated, every collection valid, served or expired, with its tokens."""
    from halo_mcp.halo.client import HaloClient
    from halo_mcp.halo.errors import HaloError
    from halo_mcp.tools.toolsets import scope_checks

    granted: dict[str, set[str]] = {}  # per tenant reached: the scopes Halo granted
    try:
        service = open_service(settings, explicit)
    except ConfigError as exc:
        report.fail("config", str(exc))
        return
    try:
        try:
            specs = await service.specs()
        except ConfigError as exc:
            report.fail("collections", str(exc))
            return
        report.ok("config", f"{len(service.file.tenants)} tenant(s), {len(specs)} collection(s)")
        for name, tenant in service.file.tenants.items():
            try:
                halo = _tenant(name, tenant)
            except ConfigError as exc:
                report.fail(f"tenant {name}", str(exc))
                continue
            users = [s for s in specs if s.tenant == name]
            scopes = {scope for s in users for scope in s.scope().split()}
            client = HaloClient(halo, scope="all" if "all" in scopes or not scopes else " ".join(sorted(scopes)))
            started = time.monotonic()
            if halo.grant() == "authorization_code":  # per-user sign-in: no shared identity to check
                await _check_signin_tenant(report, name, client, settings, service.file.server.public_url)
                await client.aclose()
                continue
            try:
                await client.tokens.current()
                await client.get("InstanceInfo")
            except HaloError as exc:
                report.fail(f"tenant {name}", str(exc))
            else:
                elapsed = (time.monotonic() - started) * 1000
                window = halo.rate_limit_window()
                budget = f"{window[0]}/{window[1]:g}s" if window else "no client-side limit"
                report.ok(f"tenant {name}", f"{client.api_url} answered in {elapsed:.0f} ms; rate budget {budget}")
                granted[name] = set((client.tokens.granted_scope or "").split())
            finally:
                await client.aclose()
        for spec in specs:
            tools = spec.selection.tools()
            active = [t for t in await service.state.tokens.list(spec.name) if t.usable(time.time())]
            auth = "+".join(spec.config.auth) or "none (loopback)"
            detail = f"{len(tools)} tools, tenant {spec.tenant}, auth {auth}, {len(active)} active token(s)"
            if spec.config.custom_tools:
                detail += f", {len(spec.config.custom_tools)} custom tool(s)"
            tag = spec.config.created_tag_text()
            detail += f"; tickets it creates are tagged {tag!r}" if tag else "; AI-created marking off (created_tag)"
            if spec.config.virtual_agent:
                detail += " and it keeps a VirtualAgent record in Halo"
            if spec.expired():
                report.fail(f"collection {spec.name}", f"expired at {spec.config.expires_at}: not served")
            elif spec.config.auth == ["oauth"]:
                report.ok(f"collection {spec.name}", f"{len(tools)} tools, tenant {spec.tenant}, per-user sign-in")
            elif spec.config.auth and not active:
                report.fail(f"collection {spec.name}", f"{detail}: issue one with `halo-mcp collections token`")
            else:
                report.ok(f"collection {spec.name}", detail)
            if spec.tenant in granted and not spec.expired():
                for outcome, check, text in scope_checks(spec.selection, granted[spec.tenant]):
                    if outcome == "fail":
                        report.fail(f"collection {spec.name}", f"{check}: {text}")
    finally:
        await service.state.release()
        service.state.close()


async def _check_signin_tenant(
    report: Any, name: str, client: Any, settings: ServerSettings, public_url: str | None
) -> None:
    """An authorisation-code tenant: Halo reachable (`/api/authinfo` needs no token) and sign-in configured."""
    import httpx2

    try:
        async with httpx2.AsyncClient(timeout=10.0) as http:
            response = await http.get(f"{client.api_url}/authinfo")
    except httpx2.HTTPError as exc:
        report.fail(f"tenant {name}", f"cannot reach {client.api_url} ({type(exc).__name__}); check the tenant's url")
        return
    if response.status_code >= 400:
        report.fail(f"tenant {name}", f"{client.api_url}/authinfo answered HTTP {response.status_code}")
        return
    missing = [
        what
        for what, present in (("server.public_url", public_url), ("HALO_MCP_SIGNIN_KEYS", settings.signin_keys))
        if not present
    ]
    if missing:
        report.fail(f"tenant {name}", f"authorisation-code application: per-user sign-in needs {', '.join(missing)}")
        return
    report.ok(
        f"tenant {name}",
        f"{client.api_url} reached; authorisation-code application: people sign in at {public_url}, "
        f"Halo redirects to {public_url}/oauth/callback (register it on the application)",
    )


def _tenant(name: str, tenant: Any) -> HaloSettings:
    from halo_mcp.config import tenant_halo_settings

    return tenant_halo_settings(name, tenant)

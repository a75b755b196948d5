"""`halo-mcp doctor`: check configuration, reach, sign-in, latency and scopes against Halo, one line per check."""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING, Any

from halo_mcp.cli.common import selection_flags, server_settings
from halo_mcp.config import ConfigError

if TYPE_CHECKING:
    from halo_mcp.config import ServerSettings

ENGINE_TIMEOUT_SECONDS = 3.0


def add_parser(sub: Any) -> None:
    p = sub.add_parser("doctor", help="check configuration and connectivity to Halo")
    p.add_argument("--config", help="halo-mcp.toml: check every tenant and collection (default: HALO_MCP_CONFIG)")
    selection_flags(p)
    p.set_defaults(handler=run)


class Report:
    """PASS/FAIL lines, printed as they happen (a slow Halo should show where it is stuck)."""

    def __init__(self) -> None:
        self.failed = 0

    def ok(self, check: str, detail: str) -> None:
        print(f"PASS  {check:<12} {detail}", flush=True)

    def fail(self, check: str, detail: str) -> None:
        self.failed += 1
        print(f"FAIL  {check:<12} {detail}", flush=True)

    def info(self, check: str, detail: str) -> None:
        print(f"INFO  {check:<12} {detail}", flush=True)


def run(args: argparse.Namespace) -> int:
    import asyncio

    report = Report()
    settings = server_settings(args)
    if args.config or settings.config:
        from halo_mcp.cli import collections

        asyncio.run(collections.doctor(report, settings, args.config))
    else:
        asyncio.run(_doctor(args, report))
    asyncio.run(check_engines(report, _with_file_engines(settings, args.config)))
    print(f"{report.failed} check(s) failed" if report.failed else "all checks passed")
    return 1 if report.failed else 0


async def _doctor(args: argparse.Namespace, report: Report) -> None:
    from halo_mcp.config import load_halo_settings
    from halo_mcp.halo.client import HaloClient
    from halo_mcp.halo.errors import HaloAuthError, HaloError, HaloUnavailable
    from halo_mcp.tools import load_all
    from halo_mcp.tools.toolsets import required_scope, selection_from_settings

    try:
        settings = server_settings(args)
        load_all()
        selection = selection_from_settings(settings)
        tools = selection.tools()
    except ConfigError as exc:
        for problem in exc.problems:
            report.fail("selection", problem)
        return
    toolsets = sorted({t.toolset for t in tools})
    mode = "read-only" if selection.read_only else "reads and writes"
    report.ok("selection", f"{len(tools)} tools from {', '.join(toolsets) or 'no toolset'} ({mode})")
    tag = settings.created_tag.replace("{collection}", "default")
    report.ok("AI-created marking", f"tickets created here are tagged {tag!r}" if tag else "off (HALO_MCP_CREATED_TAG)")
    if settings.transport != "stdio":
        from halo_mcp.server.http import transport_security

        try:
            transport_security(settings)
            auth = "bearer token required" if settings.token else "no token (loopback only is safest)"
            report.ok("transport", f"{settings.transport} on {settings.host}:{settings.port}; {auth}")
        except ConfigError as exc:
            report.fail("transport", str(exc))

    try:
        halo = load_halo_settings()
    except ConfigError as exc:
        problems = exc.problems
    else:
        problems = halo.problems()
    for problem in problems:  # every one, so a fresh setup is fixed in one round
        report.fail("config", problem)
    if problems:
        return
    api_url = halo.endpoints()[0]
    who = f"client {_mask(halo.client_id or '')}" + (f" as user {halo.username}" if halo.username else "")
    report.ok("config", f"Halo API {api_url}, {halo.grant()} grant, {who}")

    scope = required_scope(selection)
    client = HaloClient(halo, scope=scope)
    try:
        started = time.monotonic()
        try:
            await client.tokens.current()
        except HaloUnavailable as exc:
            report.fail("reach", str(exc))
            return
        except HaloAuthError as exc:
            report.ok("reach", f"token endpoint {client.tokens.token_url} answered")
            report.fail("token", str(exc))
            return
        except HaloError as exc:
            report.fail("token", str(exc))
            return
        elapsed = (time.monotonic() - started) * 1000
        report.ok("reach", f"token endpoint {client.tokens.token_url} answered")
        granted = client.tokens.granted_scope or ""
        report.ok("token", f"obtained in {elapsed:.0f} ms; requested scope: {scope}; granted: {granted or '(none)'}")

        timings: list[float] = []
        info: Any = None
        try:
            for _ in range(3):
                started = time.monotonic()
                info = await client.get("InstanceInfo")
                timings.append((time.monotonic() - started) * 1000)
        except HaloError as exc:
            report.fail("instance", f"GET /api/InstanceInfo failed: {exc}")
        else:
            report.ok("instance", f"Halo version {_instance_version(info)}")
            timings.sort()
            report.ok("latency", f"GET /api/InstanceInfo: median {timings[1]:.0f} ms, best {timings[0]:.0f} ms")
        await _check_me(report, client)
        _check_toolset_scopes(report, selection, set(granted.split()))
    finally:
        await client.aclose()


def _with_file_engines(settings: ServerSettings, explicit: str | None) -> ServerSettings:
    """`[server]` redis_url / database_url from halo-mcp.toml; a broken file was already reported above."""
    from halo_mcp.config import config_path, load_file, with_file_engines

    path = config_path(settings, explicit)
    if path is None:
        return settings
    try:
        return with_file_engines(settings, load_file(path))
    except ConfigError:
        return settings


async def check_engines(report: Report, settings: ServerSettings) -> None:
    """Redis and PostgreSQL, when configured: reached, and the schema's version (never the URL's password)."""
    from halo_mcp.config import display_url

    if settings.redis_url is not None:
        from redis.asyncio import Redis
        from redis.exceptions import RedisError

        url = settings.redis_url.get_secret_value()
        timeout = ENGINE_TIMEOUT_SECONDS
        redis = Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
        try:
            started = time.monotonic()
            await redis.ping()
            elapsed = (time.monotonic() - started) * 1000
            report.ok("redis", f"{display_url(url)} answered in {elapsed:.0f} ms: the rate-limit window is shared")
        except (RedisError, OSError) as exc:
            report.fail(
                "redis",
                f"{display_url(url)} cannot be reached ({type(exc).__name__}): check HALO_MCP_REDIS_URL and that Redis "
                "runs; replicas would each keep to their share of the rate limit meanwhile",
            )
        finally:
            await redis.aclose()
    if settings.database_url is not None:
        import psycopg

        from halo_mcp.state.postgres import MIGRATIONS

        url = settings.database_url.get_secret_value()
        try:
            started = time.monotonic()
            async with await psycopg.AsyncConnection.connect(url, connect_timeout=int(ENGINE_TIMEOUT_SECONDS)) as conn:
                exists = await (await conn.execute("SELECT to_regclass('halo_mcp_schema')")).fetchone()
                row = None
                if exists and exists[0]:
                    row = await (await conn.execute("SELECT version FROM halo_mcp_schema")).fetchone()
            elapsed = (time.monotonic() - started) * 1000
        except psycopg.Error as exc:
            report.fail(
                "postgresql",
                f"{display_url(url)} cannot be used ({type(exc).__name__}): check HALO_MCP_DATABASE_URL (host, port, "
                "user, database) and that PostgreSQL runs; the server will not start without it",
            )
            return
        version = int(row[0]) if row else 0
        schema = (
            f"schema version {version} (current)"
            if version == len(MIGRATIONS)
            else f"schema version {version}; the server migrates it to {len(MIGRATIONS)} at start"
        )
        report.ok("postgresql", f"{display_url(url)} answered in {elapsed:.0f} ms; {schema}")


async def _check_me(report: Report, client: Any) -> None:
    """Who "me" is in the tools; under client credentials, the API application's agent (issue: assign to me)."""
    from halo_mcp.halo.errors import HaloError

    try:
        me = await client.get("Agent/me")
    except HaloError as exc:
        report.info("me", f"GET /api/Agent/me failed ({exc}); 'me' will not resolve in the tools")
        return
    name = me.get("name") if isinstance(me, dict) else None
    if isinstance(me, dict) and me.get("isapiagent"):
        report.info(
            "me",
            f"'me' is {name}, the agent of this API application; Halo may not let tickets be assigned to it. "
            "To act as yourself: `halo-mcp login` with HALO_AUTH_FLOW=authorization_code, or HALO_USERNAME/PASSWORD",
        )
    else:
        report.ok("me", f"'me' in the tools is {name}")


def _check_toolset_scopes(report: Report, selection: Any, granted: set[str]) -> None:
    """Which selected toolsets will work with the granted scopes, and what read-only mode hides (toolsets.py)."""
    from halo_mcp.tools.toolsets import scope_checks

    for outcome, check, detail in scope_checks(selection, granted):
        (report.ok if outcome == "ok" else report.fail)(check, detail)


def _instance_version(info: Any) -> str:
    if isinstance(info, dict):
        for key in ("version", "Version", "halo_version", "app_version", "build"):
            if info.get(key):
                return str(info[key])
    return "unknown (InstanceInfo had no version field)"


def _mask(value: str) -> str:
    return value[:4] + "…" if len(value) > 8 else "***"

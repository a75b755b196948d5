"""The `halo-mcp` command: serve, try (sandbox, demo), inspect (tools, call, doctor, audit).

Imports are deferred to the subcommand that needs them: a desktop client spawns `halo-mcp serve` for every
session, and `halo-mcp tools` must work offline without the SDK's server stack.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from halo_mcp import __version__
from halo_mcp.config import ConfigError
from halo_mcp.halo.errors import HaloError

if TYPE_CHECKING:
    from halo_mcp.config import HaloSettings, ServerSettings
    from halo_mcp.sandbox import Sandbox

PROG = "halo-mcp"
DEMO_PORT = 8000


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] == "sandbox":  # the sandbox owns its flags; its parser is built only when used
            return _sandbox(argv[1:])
        args = build_parser().parse_args(argv)
        handler: Callable[[argparse.Namespace], int] = args.handler
        return handler(args)
    except ConfigError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    except HaloError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="MCP server for Halo (HaloITSM / HaloPSA / HaloCRM).")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("serve", help="run the MCP server (stdio, streamable HTTP or SSE)")
    p.add_argument("--transport", choices=["stdio", "http", "sse"], help="default: HALO_MCP_TRANSPORT or stdio")
    p.add_argument("--host", help="HTTP bind address (default: HALO_MCP_HOST or 127.0.0.1)")
    p.add_argument("--port", type=int, help="HTTP port (default: HALO_MCP_PORT or 8000)")
    p.add_argument("--workers", type=int, help="HTTP worker processes (default: HALO_MCP_WORKERS or 1)")
    p.add_argument("--config", help="halo-mcp.toml: serve its collections (default: HALO_MCP_CONFIG)")
    p.add_argument("--collection", help="with --config over stdio: the one collection to serve")
    _selection_flags(p)
    _sandbox_flag(p)
    p.set_defaults(handler=cmd_serve)

    sub.add_parser("sandbox", help="run the offline Halo sandbox (see `halo-mcp sandbox --help`)", add_help=False)

    p = sub.add_parser("demo", help="start the sandbox and the server over HTTP, and print client configurations")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=DEMO_PORT)
    _selection_flags(p)
    p.set_defaults(handler=cmd_demo)

    p = sub.add_parser("tools", help="list the selected tools (works offline)")
    p.add_argument("--json", action="store_true", help="print the tool definitions as sent in tools/list")
    p.add_argument("--tokens", action="store_true", help="print each tool's o200k_base token cost and totals")
    _selection_flags(p)
    p.set_defaults(handler=cmd_tools)

    p = sub.add_parser("call", help="invoke one tool and print its result")
    p.add_argument("tool")
    p.add_argument("--arg", action="append", default=[], metavar="K=V", help="an argument; V is JSON or a string")
    p.add_argument("--json-args", metavar="JSON", help="all arguments as one JSON object")
    p.add_argument("--json", action="store_true", help="print structured content (JSON) instead of the text")
    _selection_flags(p)
    _sandbox_flag(p)
    p.set_defaults(handler=cmd_call)

    p = sub.add_parser("doctor", help="check configuration and connectivity to Halo")
    p.add_argument("--config", help="halo-mcp.toml: check every tenant and collection (default: HALO_MCP_CONFIG)")
    _selection_flags(p)
    p.set_defaults(handler=cmd_doctor)

    p = sub.add_parser("login", help="sign in to Halo as yourself (authorisation code + PKCE) for HALO_AUTH_FLOW")
    p.add_argument("--no-browser", action="store_true", help="only print the sign-in URL")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for the sign-in")
    p.set_defaults(handler=cmd_login)

    p = sub.add_parser("audit", help="print recent audited writes from HALO_MCP_AUDIT_DB")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--tool", help="only this tool")
    p.add_argument("--collection", help="only this collection")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_audit)

    from halo_mcp import collections_cli

    collections_cli.add_parsers(sub)
    return parser


def _selection_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("tool selection (overrides HALO_MCP_* variables)")
    g.add_argument("--toolsets", help="comma-separated toolsets, or default / all")
    g.add_argument("--tools", help="comma-separated tools to add (alone: expose exactly these)")
    g.add_argument("--exclude-tools", help="comma-separated tools to hide (always wins)")
    g.add_argument("--read-only", action="store_true", default=None, help="hide every tool that writes")


def _sandbox_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--sandbox", action="store_true", help="start an in-process Halo sandbox and use it instead of HALO_*"
    )


def server_settings(args: argparse.Namespace, **extra: Any) -> ServerSettings:
    from halo_mcp.config import load_server_settings

    names = ("toolsets", "tools", "exclude_tools", "read_only", "transport", "host", "port", "workers")
    overrides = {n: getattr(args, n) for n in names if getattr(args, n, None) is not None}
    if (getattr(args, "sandbox", False) or args.handler is cmd_demo) and "HALO_MCP_AUDIT_DB" not in os.environ:
        overrides["audit_db"] = ":memory:"  # writes to a throwaway sandbox do not belong in the real audit
    return load_server_settings(**overrides, **extra)


def halo_settings(sb: Sandbox | None) -> HaloSettings:
    """HALO_* from the environment, or the sandbox's (every other HALO_* explicitly cleared, so a `.env`
    written for a real instance cannot leak into the sandbox run)."""
    from halo_mcp.config import load_halo_settings

    if sb is None:
        return load_halo_settings()
    return load_halo_settings(
        url=sb.url,
        api_url=None,
        auth_url=None,
        tenant=None,
        client_id=sb.client_id,
        client_secret=sb.client_secret,
        username=None,
        password=None,
        scope=None,
        auth_flow="auto",
        rate_limit="off",
    )


@contextlib.contextmanager
def maybe_sandbox(enabled: bool) -> Iterator[Sandbox | None]:
    if not enabled:
        yield None
        return
    from halo_mcp.sandbox import Sandbox

    with Sandbox(seed=1) as sb:
        yield sb


def secret_values(halo: HaloSettings, settings: ServerSettings) -> list[str]:
    values = [settings.token, halo.client_secret, halo.password]
    return [v.get_secret_value() for v in values if v is not None]


# -- serve / demo ----------------------------------------------------------------------------------------------


def cmd_serve(args: argparse.Namespace) -> int:
    settings = server_settings(args)
    if args.config or settings.config:
        from halo_mcp import collections_cli
        from halo_mcp.server.run import bind

        if args.sandbox:
            raise ConfigError("--sandbox: with halo-mcp.toml, point a tenant at a running `halo-mcp sandbox` instead")
        if settings.transport != "stdio":
            from halo_mcp.server.http import transport_security

            transport_security(settings)
        return collections_cli.serve(settings, args.config, args.collection, lambda: bind(settings.host, settings.port))
    if args.collection:
        raise ConfigError("--collection needs halo-mcp.toml (--config or HALO_MCP_CONFIG)")
    if settings.transport != "stdio":
        from halo_mcp.server.http import transport_security

        transport_security(settings)  # a ConfigError before anything starts
    if not args.sandbox:
        halo_settings(None).validate_all()  # fail fast, before the SDK's import cost
    with maybe_sandbox(args.sandbox) as sb:
        halo = halo_settings(sb)
        from halo_mcp.server.run import configure_logging

        configure_logging(settings.log_level, secret_values(halo, settings))
        if settings.transport == "stdio":
            return _run(_serve_stdio(halo, settings))
        from halo_mcp.server.run import bind

        sock = bind(settings.host, settings.port)
        port = sock.getsockname()[1]
        base = _base_url(settings.host, port)
        # Both transports are always mounted; --transport sse only changes which URL is announced first.
        if settings.transport == "sse":
            print(f"{PROG}: serving legacy SSE on {base}/sse (streamable HTTP: {base}/mcp)", file=sys.stderr)
        if settings.workers > 1:
            if sb is not None:
                raise ConfigError("--workers needs a Halo outside this process: drop --sandbox or use one worker")
            print(f"{PROG}: serving on {base}/mcp with {settings.workers} workers (stateless)", file=sys.stderr)
            from halo_mcp.server.run import prefork

            return prefork(
                settings.workers, lambda: _run(_serve_http(halo.per_worker(settings.workers), settings, sock))
            )
        print(f"{PROG}: serving on {base}/mcp (SSE: {base}/sse, health: {base}/healthz)", file=sys.stderr)
        return _run(_serve_http(halo, settings, sock))


def cmd_demo(args: argparse.Namespace) -> int:
    settings = server_settings(args, transport="http")
    from halo_mcp.server.http import transport_security
    from halo_mcp.server.run import bind, configure_logging

    transport_security(settings)
    sock = bind(settings.host, settings.port)
    with maybe_sandbox(True) as sb:
        halo = halo_settings(sb)
        configure_logging("WARNING", secret_values(halo, settings))
        url = f"{_base_url(settings.host, sock.getsockname()[1])}/mcp"
        print(demo_banner(url, sb), flush=True)
        return _run(_serve_http(halo, settings, sock))


def demo_banner(url: str, sb: Sandbox | None) -> str:
    exe = _executable()
    claude = {"mcpServers": {"halo": {"command": exe, "args": ["serve", "--sandbox"]}}}
    cursor = {"mcpServers": {"halo": {"url": url}}}
    vscode = {"servers": {"halo": {"type": "http", "url": url}}}
    inspector = "npx -y @modelcontextprotocol/inspector@2.12.0"
    lines = [
        f"halo-mcp {__version__} demo: the server is running against the offline Halo sandbox"
        + (f" at {sb.url}" if sb else ""),
        "",
        f"  MCP endpoint (streamable HTTP): {url}",
        f"  legacy SSE endpoint:            {url.removesuffix('/mcp')}/sse",
        "",
        "Claude Desktop (claude_desktop_config.json; stdio, starts its own sandbox):",
        json.dumps(claude, indent=2),
        "",
        "Cursor (~/.cursor/mcp.json):",
        json.dumps(cursor, indent=2),
        "",
        "VS Code (.vscode/mcp.json):",
        json.dumps(vscode, indent=2),
        "",
        "MCP Inspector:",
        f"  {inspector} --cli {url} --method tools/list",
        f"  {inspector} --cli {url} --method tools/call --tool-name lookup --tool-arg kind=team",
        "",
        "Press Ctrl-C to stop.",
    ]
    return "\n".join(lines)


def _executable() -> str:
    import shutil
    from pathlib import Path

    script = Path(sys.executable).with_name(PROG)
    return str(script) if script.exists() else (shutil.which(PROG) or PROG)


def _base_url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    if host in ("0.0.0.0", "::"):
        shown = "127.0.0.1"
    return f"http://{shown}:{port}"


def _run(coro: Any) -> int:
    import asyncio

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(coro)
    return 0


async def _serve_stdio(halo: HaloSettings, settings: ServerSettings) -> None:
    from halo_mcp.server.stdio import serve_stdio
    from halo_mcp.server.surface import Surface

    surface = Surface(halo, settings)
    try:
        await serve_stdio(surface)
    finally:
        await surface.aclose()


async def _serve_http(halo: HaloSettings, settings: ServerSettings, sock: Any) -> None:
    from halo_mcp.server.http import build_app
    from halo_mcp.server.run import serve_asgi
    from halo_mcp.server.surface import Surface

    surface = Surface(halo, settings)
    try:
        app = build_app(surface, settings, stateless=settings.workers > 1)
        await serve_asgi(app, sock, settings.log_level)
    finally:
        await surface.aclose()


# -- sandbox ---------------------------------------------------------------------------------------------------


def _sandbox(argv: list[str]) -> int:
    from halo_mcp.sandbox import cli as sandbox_cli

    parser = argparse.ArgumentParser(prog=f"{PROG} sandbox", description="Run the offline Halo sandbox.")
    sandbox_cli.add_arguments(parser)
    result: int = sandbox_cli.run(parser.parse_args(argv))
    return result


# -- tools -----------------------------------------------------------------------------------------------------


def cmd_tools(args: argparse.Namespace) -> int:
    from halo_mcp.tools import load_all
    from halo_mcp.tools.toolsets import selection_from_settings

    load_all()
    settings = server_settings(args)
    tools = selection_from_settings(settings).tools()
    definitions = [t.to_mcp().model_dump(by_alias=True, exclude_none=True, mode="json") for t in tools]
    if not args.tokens:
        if args.json:
            print(json.dumps(definitions, indent=2, ensure_ascii=False))
        else:
            width = max((len(t.name) for t in tools), default=4)
            for t in tools:
                print(f"{t.name:<{width}}  {t.toolset:<11} {t.kind:<6} {t.title}")
            print(f"{len(tools)} tools", file=sys.stderr)
        return 0

    from halo_mcp.costs import compact_json, count, tool_tokens

    costs = sorted(((tool_tokens(t.to_mcp()), t) for t in tools), key=lambda c: (-c[0], c[1].name))
    catalogue = count(compact_json({"tools": definitions}))
    per_toolset: dict[str, list[int]] = {}
    for cost, t in costs:
        per_toolset.setdefault(t.toolset, []).append(cost)
    if args.json:
        report = {
            "encoding": "o200k_base",
            "tools": [{"name": t.name, "toolset": t.toolset, "tokens": cost} for cost, t in costs],
            "toolsets": {name: sum(v) for name, v in sorted(per_toolset.items(), key=lambda kv: -sum(kv[1]))},
            "total": sum(c for c, _ in costs),
            "catalogue": catalogue,
        }
        print(json.dumps(report, indent=2))
        return 0
    width = max((len(t.name) for _, t in costs), default=4)
    print(f"{'tool':<{width}}  {'toolset':<11} {'tokens':>6}")
    for cost, t in costs:
        print(f"{t.name:<{width}}  {t.toolset:<11} {cost:>6}")
    print()
    print(f"{'toolset':<{width + 13}} {'tokens':>6}")
    for name, values in sorted(per_toolset.items(), key=lambda kv: (-sum(kv[1]), kv[0])):
        label = f"{name} ({len(values)} tools)"
        print(f"{label:<{width + 13}} {sum(values):>6}")
    print()
    print(f"total: {len(costs)} tools, {sum(c for c, _ in costs)} tokens (o200k_base)")
    print(f"catalogue (tools/list result as sent): {catalogue} tokens")
    return 0


# -- call ------------------------------------------------------------------------------------------------------


def parse_call_arguments(pairs: list[str], json_args: str | None) -> dict[str, Any]:
    """`--json-args` first, then each `--arg k=v` on top; v is parsed as JSON when it is valid JSON."""
    arguments: dict[str, Any] = {}
    if json_args:
        try:
            loaded = json.loads(json_args)
        except ValueError as exc:
            raise ConfigError(f"--json-args is not valid JSON: {exc}") from None
        if not isinstance(loaded, dict):
            raise ConfigError("--json-args must be a JSON object")
        arguments.update(loaded)
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"--arg {pair!r}: use KEY=VALUE")
        try:
            arguments[key] = json.loads(raw)
        except ValueError:
            arguments[key] = raw
    return arguments


def cmd_call(args: argparse.Namespace) -> int:
    arguments = parse_call_arguments(args.arg, args.json_args)
    settings = server_settings(args)
    with maybe_sandbox(args.sandbox) as sb:
        halo = halo_settings(sb)
        from halo_mcp.server.run import configure_logging

        configure_logging("WARNING", secret_values(halo, settings))
        import asyncio

        return asyncio.run(_call(halo, settings, args.tool, arguments, as_json=args.json))


async def _call(
    halo: HaloSettings, settings: ServerSettings, name: str, arguments: dict[str, Any], as_json: bool
) -> int:
    import mcp_types as types
    from mcp import Client
    from mcp.shared.exceptions import MCPError

    from halo_mcp.server.surface import Surface
    from halo_mcp.tools.framework import registry

    surface = Surface(halo, settings)
    try:
        if name not in {t.name for t in surface.tools}:
            known = registry.get(name) is not None
            reason = (
                "is not exposed by the current selection (see --toolsets, --tools, --read-only, HALO_MCP_*)"
                if known
                else "does not exist; see `halo-mcp tools`"
            )
            print(f"{PROG}: tool {name!r} {reason}", file=sys.stderr)
            return 1
        async with Client(surface.server) as client:
            try:
                result = await client.call_tool(name, arguments)
            except MCPError as exc:
                print(f"{PROG}: {exc}", file=sys.stderr)
                return 1
    finally:
        await surface.aclose()
    if as_json and result.structured_content is not None and not result.is_error:
        print(json.dumps(result.structured_content, indent=2, ensure_ascii=False))
    else:
        text = "\n".join(b.text for b in result.content if isinstance(b, types.TextContent))
        print(text, file=sys.stderr if result.is_error else sys.stdout)
    return 1 if result.is_error else 0


# -- doctor ----------------------------------------------------------------------------------------------------


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


def cmd_doctor(args: argparse.Namespace) -> int:
    import asyncio

    report = Report()
    settings = server_settings(args)
    if args.config or settings.config:
        from halo_mcp import collections_cli

        asyncio.run(collections_cli.doctor(report, settings, args.config))
    else:
        asyncio.run(_doctor(args, report))
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
        report.fail("selection", str(exc))
        return
    toolsets = sorted({t.toolset for t in tools})
    mode = "read-only" if selection.read_only else "reads and writes"
    report.ok("selection", f"{len(tools)} tools from {', '.join(toolsets) or 'no toolset'} ({mode})")
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
        halo.validate_all()
        api_url = halo.endpoints()[0]
    except ConfigError as exc:
        report.fail("config", str(exc))
        return
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
        _check_toolset_scopes(report, selection, set(granted.split()))
    finally:
        await client.aclose()


def _check_toolset_scopes(report: Report, selection: Any, granted: set[str]) -> None:
    """Which selected toolsets will work with the granted scopes (`all` covers everything)."""
    from halo_mcp.tools.toolsets import READ_AREAS, TOOLSETS

    by_toolset: dict[str, bool] = {}
    for t in selection.tools():
        by_toolset[t.toolset] = by_toolset.get(t.toolset, False) or (t.kind != "read" and not selection.read_only)
    for ts in TOOLSETS:
        if ts.name not in by_toolset:
            continue
        needed = set(ts.read_scopes) | (set(ts.write_scopes) if by_toolset[ts.name] else set())
        if "all" in needed and selection.read_only:
            needed = (needed - {"all"}) | {f"read:{area}" for area in READ_AREAS}
        missing = sorted(s for s in needed if "all" not in granted and s not in granted)
        if missing:
            report.fail(
                f"toolset {ts.name}",
                f"missing scope {', '.join(missing)}: its tools will fail; grant it in Halo or drop the toolset",
            )
        else:
            report.ok(f"toolset {ts.name}", f"scopes granted ({' '.join(sorted(needed))})")


def _instance_version(info: Any) -> str:
    if isinstance(info, dict):
        for key in ("version", "Version", "halo_version", "app_version", "build"):
            if info.get(key):
                return str(info[key])
    return "unknown (InstanceInfo had no version field)"


def _mask(value: str) -> str:
    return value[:4] + "…" if len(value) > 8 else "***"


# -- login -----------------------------------------------------------------------------------------------------


def cmd_login(args: argparse.Namespace) -> int:
    from halo_mcp.halo.login import login, token_file

    settings = halo_settings(None).model_copy(update={"auth_flow": "authorization_code"})
    settings.validate_all()

    async def show(url: str) -> None:
        print(f"{PROG}: sign in to Halo in your browser:\n  {url}", file=sys.stderr, flush=True)
        if not args.no_browser:
            import webbrowser

            webbrowser.open(url)

    async def run() -> str:
        return await login(settings, show, scope=settings.scope or "all", timeout=args.timeout)

    import asyncio

    scope = asyncio.run(run())
    print(f"{PROG}: signed in (scope: {scope}); sign-in stored in {token_file(settings)}")
    print(f"{PROG}: set HALO_AUTH_FLOW=authorization_code so the server acts as you")
    return 0


# -- audit -----------------------------------------------------------------------------------------------------


def cmd_audit(args: argparse.Namespace) -> int:
    from pathlib import Path

    from halo_mcp.audit import AuditLog, audit_path
    from halo_mcp.config import load_server_settings

    path = audit_path(load_server_settings().audit_db)
    if path == ":memory:":
        raise ConfigError("HALO_MCP_AUDIT_DB=:memory: keeps the audit inside the server process; name a file instead")
    if not Path(path).exists():
        raise ConfigError(f"no audit at {path} yet (set HALO_MCP_AUDIT_DB to read another file)")
    audit = AuditLog(path)
    try:
        entries = audit.entries(limit=args.limit, tool=args.tool, collection=args.collection)
    finally:
        audit.close()
    if args.json:
        print(json.dumps([e.__dict__ for e in entries], indent=2, ensure_ascii=False))
        return 0
    for e in entries:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(e.at))
        affected = ",".join(e.affected) or "-"
        who = f"  {e.principal}" if e.principal else ""
        print(f"{when}  {e.collection}{who}  {e.tool}  {e.outcome}  {affected}  {json.dumps(e.arguments)}  {e.message}")
    if not entries:
        print("no audit entries", file=sys.stderr)
    return 0

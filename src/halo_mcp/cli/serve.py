"""`halo-mcp serve`: the MCP server over stdio, streamable HTTP or legacy SSE, against Halo or an in-process
sandbox."""

from __future__ import annotations

import argparse
import contextlib
import secrets
import socket
import sys
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from halo_mcp.cli import PROG
from halo_mcp.cli.common import (
    halo_settings,
    listen,
    maybe_sandbox,
    sandbox_flag,
    secret_values,
    selection_flags,
    server_settings,
)
from halo_mcp.config import ConfigError

if TYPE_CHECKING:
    from halo_mcp.config import HaloSettings, ServerSettings


def add_parser(sub: Any) -> None:
    p = sub.add_parser("serve", help="run the MCP server (stdio, streamable HTTP or SSE)")
    p.add_argument("--transport", choices=["stdio", "http", "sse"], help="default: HALO_MCP_TRANSPORT or stdio")
    p.add_argument("--host", help="HTTP bind address (default: HALO_MCP_HOST or 127.0.0.1)")
    p.add_argument("--port", type=int, help="HTTP port (default: HALO_MCP_PORT or 8000)")
    p.add_argument("--workers", type=int, help="HTTP worker processes (default: HALO_MCP_WORKERS or 1)")
    p.add_argument("--config", help="halo-mcp.toml: serve its collections (default: HALO_MCP_CONFIG)")
    p.add_argument("--collection", help="with halo-mcp.toml over stdio: the one collection to serve")
    selection_flags(p)
    sandbox_flag(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = server_settings(args)
    if args.config or settings.config:
        from halo_mcp.cli import collections

        if args.sandbox:
            raise ConfigError("--sandbox: with halo-mcp.toml, point a tenant at a running `halo-mcp sandbox` instead")
        if settings.transport != "stdio":
            from halo_mcp.server.http import transport_security

            transport_security(settings)
        return collections.serve(settings, args.config, args.collection, lambda: listen(settings, args))
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
            return until_interrupted(serve_stdio(halo, settings))
        sock = listen(settings, args)
        port = sock.getsockname()[1]
        base = base_url(settings.host, port)
        # Both transports are always mounted; --transport sse only changes which URL is announced first.
        if settings.transport == "sse":
            print(f"{PROG}: serving legacy SSE on {base}/sse (streamable HTTP: {base}/mcp)", file=sys.stderr)
        if settings.workers > 1:
            if sb is not None:
                raise ConfigError("--workers needs a Halo outside this process: drop --sandbox or use one worker")
            print(f"{PROG}: serving on {base}/mcp with {settings.workers} workers (stateless)", file=sys.stderr)
            from halo_mcp.server.run import prefork

            # A question's answer may come back to another worker: all of them seal with one key (with a shared
            # store, the shared request-state ring is that key: state/keyring.py).
            if settings.request_state_key is None and settings.redis_url is None and settings.database_url is None:
                key = SecretStr(secrets.token_urlsafe(32))
                settings = settings.model_copy(update={"request_state_key": key})

            return prefork(
                settings.workers,
                # With Redis the workers reserve in one shared window; without it each keeps an equal share.
                lambda: until_interrupted(
                    serve_http(halo if settings.redis_url else halo.per_worker(settings.workers), settings, sock)
                ),
            )
        print(f"{PROG}: serving on {base}/mcp (SSE: {base}/sse, health: {base}/healthz)", file=sys.stderr)
        return until_interrupted(serve_http(halo, settings, sock))


def base_url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    if host in ("0.0.0.0", "::"):
        shown = "127.0.0.1"
    return f"http://{shown}:{port}"


def until_interrupted(server: Coroutine[Any, Any, None]) -> int:
    """Serve until Ctrl-C or SIGTERM: a stop, so exit 0 (a Ctrl-C before this point is an interrupted start)."""
    from halo_mcp.server.run import run_loop

    with contextlib.suppress(KeyboardInterrupt):
        run_loop(server)
    return 0


# Everything slow (imports, the surface, the app) is built before the event loop starts: a Ctrl-C during startup is
# then a plain KeyboardInterrupt, never a cancellation landing inside uvicorn's own startup.


def serve_stdio(halo: HaloSettings, settings: ServerSettings) -> Coroutine[Any, Any, None]:
    from halo_mcp.server.stdio import serve_stdio as serve
    from halo_mcp.server.surface import Surface

    surface = Surface(halo, settings)

    async def run() -> None:
        try:
            await serve(surface)
        finally:
            await surface.aclose()

    return run()


def serve_http(halo: HaloSettings, settings: ServerSettings, sock: socket.socket) -> Coroutine[Any, Any, None]:
    from halo_mcp.server.http import build_app
    from halo_mcp.server.run import serve_asgi
    from halo_mcp.server.surface import Surface

    surface = Surface(halo, settings)
    app = build_app(surface, settings, stateless=settings.workers > 1)

    async def run() -> None:
        try:
            await serve_asgi(app, sock, settings.log_level, settings.header_timeout)
        finally:
            await surface.aclose()

    return run()

"""`halo-mcp reload`: make a running server re-read halo-mcp.toml and the state store (SIGHUP or the admin API)."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from halo_mcp.cli import PROG
from halo_mcp.config import ConfigError, load_server_settings


def add_parser(sub: Any) -> None:
    p = sub.add_parser("reload", help="make a running server re-read halo-mcp.toml and the store")
    p.add_argument("--url", help="the server's base URL (default: http://HALO_MCP_HOST:HALO_MCP_PORT)")
    p.add_argument("--pid", type=int, help="send SIGHUP to this process instead of calling the admin API")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """SIGHUP to a pid, or POST /admin/api/reload with HALO_MCP_ADMIN_TOKEN."""
    if args.pid:
        import signal

        os.kill(args.pid, signal.SIGHUP)
        print(f"{PROG}: sent SIGHUP to {args.pid}", file=sys.stderr)
        return 0
    import httpx2

    settings = load_server_settings()
    if settings.admin_token is None:
        raise ConfigError("HALO_MCP_ADMIN_TOKEN is not set: reload calls the admin API (or pass --pid PID)")
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
    url = args.url or f"http://{host}:{settings.port}"
    token = settings.admin_token.get_secret_value()
    try:
        response = httpx2.post(f"{url}/admin/api/reload", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    except httpx2.TransportError as exc:
        raise ConfigError(f"cannot reach the server at {url} ({type(exc).__name__}); pass --url") from None
    if response.status_code != 200:
        raise ConfigError(f"reload refused: HTTP {response.status_code} {response.text[:300]}")
    print(f"{PROG}: reloaded; serving {', '.join(response.json()['collections'])}", file=sys.stderr)
    return 0

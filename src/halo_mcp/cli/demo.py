"""`halo-mcp demo`: the sandbox and the server over HTTP in one process, with ready client configurations."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from halo_mcp import __version__
from halo_mcp.cli import PROG
from halo_mcp.cli.common import (
    halo_settings,
    listen,
    maybe_sandbox,
    secret_values,
    selection_flags,
    server_settings,
)
from halo_mcp.cli.serve import base_url, serve_http, until_interrupted

if TYPE_CHECKING:
    from halo_mcp.sandbox import Sandbox


def add_parser(sub: Any) -> None:
    p = sub.add_parser("demo", help="start the sandbox and the server over HTTP, and print client configurations")
    p.add_argument("--host", default="127.0.0.1", help="bind address (default: 127.0.0.1, whatever HALO_MCP_HOST says)")
    p.add_argument("--port", type=int, help="HTTP port (default: HALO_MCP_PORT or 8000; make demo PORT=...)")
    selection_flags(p)
    p.set_defaults(handler=run, sandbox=True)


def run(args: argparse.Namespace) -> int:
    # Warnings only, uvicorn's included: the banner is the demo's output and start/stop INFO lines would bury it.
    settings = server_settings(args, transport="http").model_copy(update={"log_level": "WARNING"})
    from halo_mcp.server.http import transport_security
    from halo_mcp.server.run import configure_logging

    transport_security(settings)
    sock = listen(settings, args)
    with maybe_sandbox(True) as sb:
        halo = halo_settings(sb)
        configure_logging(settings.log_level, secret_values(halo, settings))
        server = serve_http(halo, settings, sock)
        url = f"{base_url(settings.host, sock.getsockname()[1])}/mcp"
        print(demo_banner(url, sb), flush=True)
        return until_interrupted(server)


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
        "Claude Desktop (claude_desktop_config.json in ~/Library/Application Support/Claude/ on macOS,"
        " %APPDATA%\\Claude\\ on Windows; stdio, starts its own sandbox):",
        json.dumps(claude, indent=2),
        "",
        "Claude Code:",
        f"  claude mcp add --transport http halo {url}",
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

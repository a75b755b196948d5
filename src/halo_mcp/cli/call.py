"""`halo-mcp call`: invoke one tool through the real MCP surface and print its result."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from halo_mcp.cli import PROG
from halo_mcp.cli.common import (
    halo_settings,
    key_values,
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
    p = sub.add_parser("call", help="invoke one tool and print its result")
    p.add_argument("tool")
    p.add_argument("--arg", action="append", default=[], metavar="K=V", help="an argument; V is JSON or a string")
    p.add_argument("--json-args", metavar="JSON", help="all arguments as one JSON object")
    p.add_argument("--json", action="store_true", help="print structured content (JSON) instead of the text")
    selection_flags(p)
    sandbox_flag(p)
    p.set_defaults(handler=run)


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
    arguments.update(key_values(pairs, "--arg"))
    return arguments


def run(args: argparse.Namespace) -> int:
    arguments = parse_call_arguments(args.arg, args.json_args)
    settings = server_settings(args)
    if unavailable := _unavailable(args.tool, settings):  # before Halo, the sandbox or the SDK is touched
        print(f"{PROG}: tool {args.tool!r} {unavailable}", file=sys.stderr)
        return 1
    with maybe_sandbox(args.sandbox) as sb:
        halo = halo_settings(sb)
        from halo_mcp.server.run import configure_logging

        configure_logging("WARNING", secret_values(halo, settings))
        import asyncio

        return asyncio.run(_call(halo, settings, args.tool, arguments, as_json=args.json))


def _unavailable(name: str, settings: ServerSettings) -> str | None:
    """Why `name` cannot be called with this selection, or None; the same registry and selection the server uses."""
    from halo_mcp.tools import load_all
    from halo_mcp.tools.framework import registry
    from halo_mcp.tools.toolsets import selection_from_settings

    load_all()
    if name in {t.name for t in selection_from_settings(settings).tools()}:
        return None
    if registry.get(name) is not None:
        return "is not exposed by the current selection (see --toolsets, --tools, --read-only, HALO_MCP_*)"
    return "does not exist; see `halo-mcp tools`"


async def _call(
    halo: HaloSettings, settings: ServerSettings, name: str, arguments: dict[str, Any], as_json: bool
) -> int:
    import mcp_types as types
    from mcp import Client
    from mcp.shared.exceptions import MCPError

    from halo_mcp.server.surface import Surface

    surface = Surface(halo, settings)
    try:
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

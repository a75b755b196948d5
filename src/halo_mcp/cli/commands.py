"""The command table: each module adds its subparser and handles it; configuration and Halo errors become one
line (exit 2 and 1)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from halo_mcp import __version__
from halo_mcp.cli import PROG, audit, call, collections, demo, doctor, login, reload, sandbox, serve, state, tools
from halo_mcp.config import ConfigError
from halo_mcp.halo.errors import HaloError

COMMANDS = (serve, sandbox, demo, tools, call, doctor, login, audit, collections, reload, state)


def run(argv: list[str]) -> int:
    try:
        if argv and argv[0] == "sandbox":  # the sandbox owns its flags; its parser is built only when used
            return sandbox.run_argv(argv[1:])
        args = build_parser().parse_args(argv)
        handler: Callable[[argparse.Namespace], int] = args.handler
        return handler(args)
    except ConfigError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    except HaloError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="MCP server for Halo (HaloITSM / HaloPSA / HaloCRM).")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        command.add_parser(sub)
    return parser

"""The command table: each module adds its subparser and handles it; configuration errors, Halo errors and a state
store that stops answering mid-command become one line (exit 2, 1 and 1)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable

from halo_mcp import __version__
from halo_mcp.cli import PROG, audit, call, collections, demo, doctor, keys, login, reload, sandbox, serve, state, tools
from halo_mcp.cli.common import state_away
from halo_mcp.config import ConfigError
from halo_mcp.halo.errors import HaloError
from halo_mcp.state.base import StateUnavailable

COMMANDS = (serve, sandbox, demo, tools, call, doctor, login, audit, collections, reload, state, keys)


def run(argv: list[str]) -> int:
    # psycopg's pool logs each connection it drops; a command says what went wrong in its one line instead (a
    # server's logging, configured when it starts, still receives them)
    logging.getLogger("psycopg").addHandler(logging.NullHandler())
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
    except StateUnavailable as exc:
        print(f"{PROG}: {state_away(exc)}", file=sys.stderr)
        return 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="MCP server for Halo (HaloITSM / HaloPSA / HaloCRM).")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        command.add_parser(sub)
    return parser

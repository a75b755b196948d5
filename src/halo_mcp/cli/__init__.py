"""The `halo-mcp` command: serve, try (sandbox, demo), inspect (tools, call, doctor, audit), sign in (login).

One module per command; each adds its subparser and runs it. Imports are deferred to the command that needs them:
a desktop client spawns `halo-mcp serve` for every session, and `halo-mcp tools` must work offline without the
SDK's server stack.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from halo_mcp import __version__
from halo_mcp.cli import audit, call, demo, doctor, login, sandbox, serve, tools
from halo_mcp.cli.common import PROG
from halo_mcp.config import ConfigError
from halo_mcp.halo.errors import HaloError

COMMANDS = (serve, sandbox, demo, tools, call, doctor, login, audit)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
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
    except KeyboardInterrupt:
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="MCP server for Halo (HaloITSM / HaloPSA / HaloCRM).")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        command.add_parser(sub)
    return parser

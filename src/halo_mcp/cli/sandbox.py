"""`halo-mcp sandbox`: the offline Halo emulator on its own; it owns its flags (see `halo_mcp.sandbox.cli`)."""

from __future__ import annotations

import argparse
from typing import Any

from halo_mcp.cli import PROG
from halo_mcp.config import ConfigError


def add_parser(sub: Any) -> None:
    """Listed in the help only: `main` hands `sandbox ...` to `run_argv` before parsing."""
    sub.add_parser("sandbox", help="run the offline Halo sandbox (see `halo-mcp sandbox --help`)", add_help=False)


def run_argv(argv: list[str]) -> int:
    from halo_mcp.sandbox import cli as sandbox_cli

    parser = argparse.ArgumentParser(prog=f"{PROG} sandbox", description="Run the offline Halo sandbox.")
    sandbox_cli.add_arguments(parser)
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:  # the socket layer would answer with an OverflowError traceback
        raise ConfigError(f"--port {args.port}: use 0 to 65535 (0 picks a free port)")
    result: int = sandbox_cli.run(args)
    return result

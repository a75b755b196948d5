"""`halo-mcp keys`: list and rotate the key rings replicas share (state/keyring.py): in HALO_MCP_DATABASE_URL,
else HALO_MCP_REDIS_URL (or the same keys in `[server]` of halo-mcp.toml, as `serve` reads them)."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from halo_mcp.cli import PROG
from halo_mcp.config import ConfigError, config_path, load_file, load_server_settings, with_file_engines


def add_parser(sub: Any) -> None:
    from halo_mcp.state.keyring import ACTIVATION_SECONDS, RINGS

    p = sub.add_parser("keys", help="list or rotate the shared key rings (access tokens, Halo tokens, request state)")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="each ring's key ids, newest first, and when each signs from")
    rotate = actions.add_parser("rotate", help="add a new signing key to rings; old keys still verify")
    rotate.add_argument("--ring", choices=RINGS, action="append", help="this ring only (repeatable; default: all)")
    rotate.add_argument(
        "--activate-in",
        type=float,
        default=ACTIVATION_SECONDS,
        metavar="SECONDS",
        help=f"when the new key starts signing (default {ACTIVATION_SECONDS:g}: every replica has loaded it by then)",
    )
    for action in (listing, rotate):
        action.add_argument("--config", help="halo-mcp.toml, for its [server] URLs (default: HALO_MCP_CONFIG)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from halo_mcp.state.keyring import RINGS, open_rings

    settings = load_server_settings()
    config = config_path(settings, args.config)
    if config is not None:  # the store the replicas use when halo-mcp.toml names it
        settings = with_file_engines(settings, load_file(config))
    if settings.redis_url is None and settings.database_url is None:
        raise ConfigError(
            "neither HALO_MCP_DATABASE_URL nor HALO_MCP_REDIS_URL is set: without a shared store the rings are the "
            "settings; rotate by putting a new key first in HALO_MCP_SIGNIN_KEYS (or HALO_MCP_REQUEST_STATE_KEY) and "
            "restarting"
        )
    rings = open_rings(settings)
    names = [n for n in RINGS if rings[n].store is not None]
    if any(not rings[n].describe() for n in names):  # a store that answers holds at least one key per ring
        rings.close()
        raise ConfigError("key rings: the shared store (HALO_MCP_DATABASE_URL, else HALO_MCP_REDIS_URL) cannot be "
                          "read; check that it runs")  # fmt: skip
    if args.action == "rotate":
        unknown = [n for n in args.ring or () if n not in names]
        if unknown:
            raise ConfigError(f"ring {unknown[0]}: not shared without HALO_MCP_SIGNIN_KEYS (sign-in is off)")
        for name in args.ring or names:
            kid, dropped = rings[name].rotate(max(0.0, args.activate_in))
            gone = f"; dropped retired {', '.join(dropped)}" if dropped else ""
            print(f"{PROG}: {name}: new key {kid} signs in {args.activate_in:g} s{gone}", file=sys.stderr)
    now = time.time()
    for name in names:
        signing = True
        for kid, active_from in rings[name].describe():
            if active_from > now:
                when = f"signs in {active_from - now:.0f} s"
            else:
                when, signing = ("signs" if signing else "verifies"), False
            print(f"{name}\t{kid}\t{when}")
    rings.close()
    return 0

"""`halo-mcp sandbox`: start the Halo sandbox and print its base URL and client credentials."""

from __future__ import annotations

import argparse
import sys
import threading
import time

from halo_mcp.sandbox.faults import FaultSpecError, parse_cli


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 = any free port)")
    parser.add_argument("--db", default=":memory:", help="SQLite file (data survives restarts) or :memory:")
    parser.add_argument("--seed", type=int, default=1, help="seed for the generated data (default 1)")
    parser.add_argument("--scale", default="small", help="small | large | number of tickets")
    parser.add_argument(
        "--faults",
        default=None,
        help="faults, e.g. 'rate_limit=300/300,latency=20~5,error_rate=0.1,drop_next=2,slow=3000@0.1' "
        "(see halo_mcp.sandbox.faults)",
    )
    parser.add_argument("--token-lifetime", type=int, default=3600, help="access token lifetime in seconds")
    parser.add_argument("--runbook-seconds", type=float, default=None, help="override every runbook's duration")
    parser.add_argument(
        "--no-shape-defaults",
        action="store_true",
        help="omit unset fields instead of Halo's recorded unset markers (-1, 1899-12-30, ...)",
    )


def run(args: argparse.Namespace) -> int:
    from halo_mcp.sandbox.server import Sandbox

    try:
        faults = parse_cli(args.faults)
    except (FaultSpecError, ValueError) as e:
        print(f"error: --faults: {e}", file=sys.stderr)
        return 2
    scale: int | str = int(args.scale) if str(args.scale).isdigit() else args.scale
    started = time.monotonic()
    sb = Sandbox(
        seed=args.seed,
        scale=scale,
        db=args.db,
        faults=faults or None,
        host=args.host,
        port=args.port,
        token_lifetime=args.token_lifetime,
        runbook_seconds=args.runbook_seconds,
        shape_defaults=not args.no_shape_defaults,
    )
    try:
        sb.start()
    except OSError as e:
        print(f"error: cannot listen on {args.host}:{args.port}: {e}", file=sys.stderr)
        return 1
    print(f"Halo sandbox ready in {time.monotonic() - started:.2f}s")
    print(f"  base URL       {sb.url}")
    print(f"  resource URL   {sb.api_url}")
    print(f"  token URL      {sb.url}/auth/token")
    print(f"  client_id      {sb.client_id}")
    print(f"  client_secret  {sb.client_secret}")
    print(f"  agent login    {sb.agent_username} / {sb.agent_password}")
    print(f"  admin          {sb.url}/_sandbox/health")
    sys.stdout.flush()
    stop = threading.Event()
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        sb.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="halo-mcp sandbox", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))

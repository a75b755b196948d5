"""Run a seeded Halo sandbox in its own process, so its CPU is never counted as the server's.

Prints one JSON line (url, credentials, pid) once listening, then serves until stdin closes: the parent owns the
lifetime, and a crashed parent cannot leave the sandbox running.
"""

from __future__ import annotations

import argparse
import json
import os
import sys


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scale", default="small")
    parser.add_argument("--no-shape-defaults", action="store_true", help="rows without Halo's unset markers")
    args = parser.parse_args()
    from halo_mcp.sandbox import Sandbox

    sb = Sandbox(seed=args.seed, scale=args.scale, host="127.0.0.1", port=0, shape_defaults=not args.no_shape_defaults)
    sb.start()
    try:
        info = {"url": sb.url, "client_id": sb.client_id, "client_secret": sb.client_secret, "pid": os.getpid()}
        print(json.dumps(info), flush=True)
        sys.stdin.read()  # blocks until the parent closes our stdin (or dies)
    finally:
        sb.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

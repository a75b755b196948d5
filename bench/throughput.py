"""4. Throughput over streamable HTTP (2026-07-28 era, stateless): 1, 10 and 50 concurrent clients, fixed duration;
then 50 legacy-era clients (2025-11-25, one session each), as desktop clients of today connect.

Each client loops `get_ticket` over the seeded ticket ids (one Halo GET each, so the sandbox works too). The three
processes (load generator, server, sandbox) share the machine's cores; the CPU seconds each used are reported so
the figure can be read for what it is. A second series at the top concurrency uses `lookup` (no Halo call) to
show the server's ceiling without the sandbox's share.
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

from common import (
    LEGACY,
    MODERN,
    DirectHalo,
    RawHttpClient,
    SandboxProc,
    cpu_seconds,
    http_server,
    new_http,
    summary_ms,
)


async def _ticket_ids(sb: SandboxProc) -> list[int]:
    async with new_http(2) as http:
        r = await DirectHalo(sb, http).get("Tickets", {"page_size": 100, "pageinate": "true", "page_no": 1})
        data = r.json()
        rows = data.get("tickets", data) if isinstance(data, dict) else data
        return [int(t["id"]) for t in rows if isinstance(t, dict) and t.get("id")] or [1]


async def _run(
    url: str, concurrency: int, seconds: float, tool: str, ids: list[int], pids: dict[str, int], era: str = MODERN
) -> dict[str, Any]:
    latencies: list[float] = []
    errors: list[str] = []
    stop_at = 0.0
    max_calls = int(seconds * 5000)  # a hard count cap on top of the time cap

    async with new_http(concurrency + 4) as http:
        clients = [RawHttpClient(url, http, era=era) for _ in range(concurrency)]
        for client in clients:
            await client.initialize()  # a session each in the legacy era; nothing in the modern one

        async def worker(k: int) -> None:
            client = clients[k]
            i = k
            clock = time.perf_counter
            while time.monotonic() < stop_at and len(latencies) + len(errors) < max_calls:
                args: dict[str, Any] = {"id": ids[i % len(ids)]} if tool == "get_ticket" else {"kind": "status"}
                i += concurrency
                t0 = clock()
                try:
                    await client.call_tool(tool, args)
                except Exception as exc:  # counted, never fatal: the run is the measurement
                    errors.append(f"{type(exc).__name__}: {exc}"[:200])
                    continue
                latencies.append(clock() - t0)

        for client in clients:
            await client.call_tool(tool, {"id": ids[0]} if tool == "get_ticket" else {"kind": "status"})
        cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        bench_before = time.process_time()
        started = time.monotonic()
        stop_at = started + seconds
        await asyncio.gather(*(worker(k) for k in range(concurrency)))
        elapsed = time.monotonic() - started
        cpu = {name: round(cpu_seconds(pid) - cpu_before[name], 2) for name, pid in pids.items()}
        cpu["load_generator"] = round(time.process_time() - bench_before, 2)
        for client in clients:
            await client.close()
    calls = len(latencies)
    return {
        "concurrency": concurrency,
        "tool": tool,
        "era": era,
        "seconds": round(elapsed, 2),
        "calls": calls,
        "calls_per_s": round(calls / elapsed, 1) if elapsed else 0.0,
        "errors": len(errors),
        "error_samples": sorted(set(errors))[:3],
        "latency_ms": summary_ms(latencies),
        "cpu_seconds": cpu,
        # Per-call CPU is what contention on a shared machine changes least: the figure to compare across runs.
        "server_cpu_ms_per_call": round(cpu["server"] * 1000 / calls, 3) if calls else None,
        "sandbox_cpu_ms_per_call": round(cpu["sandbox"] * 1000 / calls, 3) if calls else None,
        # The server is one process, one event loop: it cannot use more than one core whatever the machine has.
        "server_single_core_ceiling_calls_per_s": round(calls / cpu["server"], 1) if cpu["server"] else None,
        "cpu_share_of_machine": round(sum(cpu.values()) / (elapsed * (os.cpu_count() or 1)), 2) if elapsed else 0,
    }


async def measure(sb: SandboxProc, quick: bool = False) -> dict[str, Any]:
    seconds = 1.5 if quick else 10.0
    levels = (1, 10, 50)
    ids = await _ticket_ids(sb)
    out: dict[str, Any] = {
        "what": "tool calls/s over streamable HTTP (modern era) for a fixed duration, N concurrent clients",
        "seconds_per_level": seconds,
        "processes": "load generator, server and sandbox on the same machine, each its own process",
        "runs": [],
    }
    with http_server(sb) as server:
        pids = {"server": server.pid, "sandbox": sb.pid}
        for c in levels:
            out["runs"].append(await _run(server.url, c, seconds, "get_ticket", ids, pids))
        out["runs"].append(await _run(server.url, levels[-1], seconds, "lookup", ids, pids))
    # Two pre-forked workers (stateless sessions): the server can then use both cores.
    with http_server(sb, log_name="server-http-workers.log", HALO_MCP_WORKERS="2") as server:
        pids = {"server": server.pid, "sandbox": sb.pid}
        run = await _run(server.url, levels[-1], seconds, "get_ticket", ids, pids)
        out["runs"].append({**run, "workers": 2})
    # Legacy-era sessions (runs 5 and 6): the same two series, one 2025-11-25 session per client.
    with http_server(sb, log_name="server-http-legacy.log") as server:
        pids = {"server": server.pid, "sandbox": sb.pid}
        for tool in ("get_ticket", "lookup"):
            out["runs"].append(await _run(server.url, levels[-1], seconds, tool, ids, pids, era=LEGACY))
    return out

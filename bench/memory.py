"""6. Memory: resident set size (VmRSS) of the HTTP server process: idle, after 10,000 tool calls, and with 200
concurrent legacy (2025-11-25) streamable-HTTP sessions open, giving the per-session cost.

A legacy session is what a 2025-era client holds: initialize, initialized, tools/list, then the session stays open
(the server keeps its state until DELETE or the idle timeout). Sessions are opened after the 10,000 calls so the
allocator is warm and the delta is the sessions' own cost.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from common import LEGACY, McpError, RawHttpClient, SandboxProc, http_server, new_http, rss_kib
from throughput import _ticket_ids


async def _calls(url: str, total: int, concurrency: int, cap: float, ids: list[int]) -> tuple[int, int, float]:
    done = 0
    errors = 0
    deadline = time.monotonic() + cap
    started = time.monotonic()
    async with new_http(concurrency + 2) as http:

        async def worker(k: int) -> None:
            nonlocal done, errors
            client = RawHttpClient(url, http)
            i = k
            while done + errors < total and time.monotonic() < deadline:
                i += concurrency
                try:
                    if i % 4:
                        await client.call_tool("get_ticket", {"id": ids[i % len(ids)]})
                    else:
                        await client.call_tool("lookup", {"kind": "status"})
                    done += 1
                except (McpError, OSError):
                    errors += 1

        await asyncio.gather(*(worker(k) for k in range(concurrency)))
    return done, errors, time.monotonic() - started


async def _sessions(url: str, n: int, cap: float, pid: int) -> dict[str, Any]:
    async with new_http(64) as http:
        clients = [RawHttpClient(url, http, era=LEGACY) for _ in range(n)]
        gate = asyncio.Semaphore(32)
        failures = 0

        async def open_one(c: RawHttpClient) -> None:
            nonlocal failures
            async with gate:
                try:
                    await c.initialize()
                    await c.list_tools()
                except (McpError, OSError):
                    failures += 1

        await asyncio.sleep(0.5)
        before = rss_kib(pid)
        try:
            await asyncio.wait_for(asyncio.gather(*(open_one(c) for c in clients)), cap)
            await asyncio.sleep(1.0)
            during = rss_kib(pid)
            opened = sum(1 for c in clients if c.session_id)
        finally:
            for c in clients:
                await c.close()
        await asyncio.sleep(1.0)
        after = rss_kib(pid)
    return {
        "sessions": n,
        "opened": opened,
        "failures": failures,
        "rss_before_mib": round(before / 1024, 1),
        "rss_with_sessions_mib": round(during / 1024, 1),
        "rss_after_close_mib": round(after / 1024, 1),
        "per_session_kib": round((during - before) / max(opened, 1), 1),
    }


async def measure(sb: SandboxProc, quick: bool = False) -> dict[str, Any]:
    total = 500 if quick else 10_000
    n_sessions = 20 if quick else 200
    ids = await _ticket_ids(sb)
    with http_server(sb, log_name="server-memory.log") as server:
        await asyncio.sleep(0.5)
        started = rss_kib(server.pid)
        async with new_http(2) as http:
            client = RawHttpClient(server.url, http)
            await client.list_tools()
            await client.call_tool("get_ticket", {"id": ids[0]})
            await client.call_tool("lookup", {"kind": "status"})
        await asyncio.sleep(0.5)
        idle = rss_kib(server.pid)
        done, errors, seconds = await _calls(server.url, total, 10, 180.0, ids)
        await asyncio.sleep(0.5)
        after_calls = rss_kib(server.pid)
        sessions = await _sessions(server.url, n_sessions, 120.0, server.pid)
    return {
        "what": "VmRSS of the streamable-HTTP server process (MiB); per-session KiB = RSS delta / sessions opened",
        "rss_started_mib": round(started / 1024, 1),
        "rss_idle_mib": round(idle / 1024, 1),
        "calls": done,
        "call_errors": errors,
        "calls_seconds": round(seconds, 1),
        "rss_after_calls_mib": round(after_calls / 1024, 1),
        "legacy_sessions": sessions,
        "targets": {"rss_idle_mib": 75, "rss_after_calls_mib": 75, "per_session_kb": 100},
    }

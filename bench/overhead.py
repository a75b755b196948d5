"""3. Server overhead per tool call: tool-call latency minus the latency of the same Halo request(s) made directly.

Per transport (stdio; streamable HTTP in both protocol eras, by default and with every reply plain JSON, and a
2025-11-25 client that declared elicitation, whose replies all stream) and per operation, calls are interleaved
with direct requests (direct, then tool, N times) so both see the same machine state, and the overhead is taken per
pair:
`tool_i - halo_calls * direct_i`. `get_ticket` costs exactly one Halo GET (checked on the sandbox's counters each
run); `lookup(kind=status)` costs none once warm, so its latency is the server plus transport round trip alone.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from common import (
    BENCH,
    LEGACY,
    MODERN,
    PY,
    WORKDIR,
    DirectHalo,
    RawHttpClient,
    SandboxProc,
    cpu_seconds,
    halo_calls,
    http_server,
    new_http,
    stdio_client,
    summary_ms,
)

TICKET_ID = 5


class ToolCaller(Protocol):
    async def call_tool(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]: ...


OPERATIONS: dict[str, tuple[str, dict[str, Any], str | None, dict[str, Any] | None]] = {
    # name: (tool, arguments, direct path, direct params)
    "get_ticket": ("get_ticket", {"id": TICKET_ID}, f"Tickets/{TICKET_ID}", {"includedetails": "true"}),
    "lookup_status": ("lookup", {"kind": "status"}, None, None),
}


async def _series(
    caller: ToolCaller, direct: DirectHalo, sb: SandboxProc, op: str, n: int, cap: float, server_pid: int
) -> dict[str, Any]:
    tool, args, path, params = OPERATIONS[op]
    direct_call: Callable[[], Awaitable[Any]] | None = (lambda: direct.get(path, params)) if path else None
    for _ in range(20):  # warm: token, name tables, connections
        await caller.call_tool(tool, args)
        if direct_call:
            await direct_call()
    sb.reset_counters()
    for _ in range(10):
        await caller.call_tool(tool, args)
    per_call = halo_calls(sb.counters())["api"] / 10
    tool_s: list[float] = []
    direct_s: list[float] = []
    deadline = time.monotonic() + cap
    clock = time.perf_counter
    cpu_before = cpu_seconds(server_pid)
    for _ in range(n):
        if time.monotonic() > deadline:
            break
        if direct_call:
            t0 = clock()
            await direct_call()
            direct_s.append(clock() - t0)
        t0 = clock()
        await caller.call_tool(tool, args)
        tool_s.append(clock() - t0)
    server_cpu = cpu_seconds(server_pid) - cpu_before
    overhead = [t - per_call * d for t, d in zip(tool_s, direct_s, strict=True)] if direct_s else tool_s
    return {
        "tool": tool,
        "arguments": args,
        "halo_calls_per_call": per_call,
        "tool_ms": summary_ms(tool_s),
        "direct_ms": summary_ms(direct_s) if direct_s else None,
        "overhead_ms": summary_ms(overhead),
        # CPU the server process spent per call: unlike latency, barely moved by other load on the machine.
        "server_cpu_ms_per_call": round(server_cpu * 1000 / max(len(tool_s), 1), 3),
    }


def halo_get(sb: SandboxProc, n: int) -> dict[str, Any]:
    """CPU per Halo GET in the server's own client and event loop, measured in a child process."""
    r = subprocess.run(
        [PY, str(BENCH / "halo_get.py"), str(n), str(TICKET_ID)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=WORKDIR,
        env=sb.env(),
        check=True,
    )
    result: dict[str, Any] = json.loads(r.stdout.strip().splitlines()[-1])
    return result


async def measure(sb: SandboxProc, quick: bool = False) -> dict[str, Any]:
    n = 50 if quick else 1000
    cap = 10.0 if quick else 60.0
    out: dict[str, Any] = {
        "what": "tool-call latency minus the same Halo request(s) made directly, per call pair; ms",
        "calls_per_series": n,
        "transports": {},
    }
    async with new_http(8) as http:
        direct = DirectHalo(sb, http)
        async with stdio_client(sb.env()) as stdio:
            out["transports"]["stdio"] = {
                op: await _series(stdio, direct, sb, op, n, cap, stdio.pid) for op in OPERATIONS
            }
        # Replies may stream (the default, for progress, cancellation and questions) or be one JSON body
        # (HALO_MCP_JSON_RESPONSE=1): both are measured, since the SDK makes it one choice per server.
        # By default a reply streams only when it can carry more than the result (server/replies.py): a progress
        # token, or a 2025-11-25 client that declared elicitation ("http_legacy_asking": every reply streamed).
        asking = {"elicitation": {"form": {}}}
        for suffix, env in (("", {}), ("_json", {"HALO_MCP_JSON_RESPONSE": "1"})):
            with http_server(sb, **env) as server:
                series = [("http", MODERN, {}), ("http_legacy", LEGACY, {})]
                if not suffix:
                    series.append(("http_legacy_asking", LEGACY, asking))
                for label, era, capabilities in series:
                    async with new_http(4) as mcp_http:
                        client = RawHttpClient(server.url, mcp_http, era=era, capabilities=capabilities)
                        await client.initialize()
                        try:
                            out["transports"][label + suffix] = {
                                op: await _series(client, direct, sb, op, n, cap, server.pid) for op in OPERATIONS
                            }
                        finally:
                            await client.close()
    out["eras"] = {"stdio": LEGACY, "http": MODERN, "http_legacy": LEGACY, "http_json": MODERN}
    out["eras"]["http_legacy_json"] = LEGACY
    out["eras"]["http_legacy_asking"] = LEGACY
    out["halo_get"] = await asyncio.get_running_loop().run_in_executor(None, halo_get, sb, 200 if quick else 2000)
    per_get = out["halo_get"]["cpu_ms_per_get"]
    for series in out["transports"].values():
        calls = series["get_ticket"]["halo_calls_per_call"]
        series["get_ticket"]["server_own_cpu_ms_per_call"] = round(
            series["get_ticket"]["server_cpu_ms_per_call"] - calls * per_get, 3
        )
    return out

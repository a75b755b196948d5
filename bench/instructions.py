"""Instructions per tool call, counted by valgrind's callgrind: a figure other load on a shared machine cannot move
(CPU time per call can move by a third), for comparing two versions of the server before and after a change.

    .venv/bin/python bench/instructions.py                      # this checkout's halo-mcp
    .venv/bin/python bench/instructions.py /other/.venv/bin/halo-mcp
    PYTHONPATH=/tmp/old/src .venv/bin/python bench/instructions.py   # another commit's sources (git archive)

The server runs under callgrind with instrumentation off until warm (imports, token, name tables), then `calls`
calls are counted per row: `lookup` (cached, no Halo call) and `get_ticket` (one Halo GET), over streamable HTTP in
both eras (10 clients at once, as the throughput runs) and over stdio (one client in turn). User-space instructions
only: system calls (socket writes) are not counted, so the figure leaves out the kernel's share of the CPU time.
A row moves by up to a fifth between runs (a garbage collection falls inside one row or another): compare rows
across several runs, not one pair.
Needs valgrind (`apt-get install valgrind`); not part of `make bench`. Prints one JSON object.
"""

from __future__ import annotations

import asyncio
import glob
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import common
from common import LEGACY, MODERN, HttpServer, RawHttpClient, RawStdioClient, SandboxProc, new_http
from throughput import _ticket_ids

CALLS = 100
CLIENTS = 10
ROWS = (("lookup", {"kind": "status"}), ("get_ticket", {"id": 5}))


def _control(pid: int, *args: str) -> None:
    subprocess.run(["callgrind_control", *args, str(pid)], check=True, capture_output=True, timeout=120)


def _counted(pid: int, out: Path) -> int:
    """Dump the counts collected since the last zero and return their total."""
    before = set(glob.glob(f"{out}/callgrind.out.*"))
    _control(pid, "--instr=off")
    _control(pid, "--dump")
    deadline = time.monotonic() + 300
    while not (new := set(glob.glob(f"{out}/callgrind.out.*")) - before) and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(2)  # written in full
    _control(pid, "--zero")
    lines = Path(sorted(new)[-1]).read_text().splitlines() if new else []
    return next((int(line.split()[1]) for line in lines if line.startswith("totals:")), 0)


def _valgrind(out: Path) -> list[str]:
    return ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}/callgrind.out.%p"]


def _arguments(tool: str, default: dict[str, Any], ids: list[int], n: int) -> dict[str, Any]:
    return {"id": ids[n % len(ids)]} if tool == "get_ticket" else default


async def _http_row(url: str, pid: int, out: Path, era: str, tool: str, default: dict[str, Any], ids: list[int]) -> int:
    """Instructions per call for one row: CLIENTS clients calling at once, CALLS in all."""
    async with new_http(CLIENTS + 2) as http:
        clients = [RawHttpClient(url, http, era=era) for _ in range(CLIENTS)]
        for k, client in enumerate(clients):
            await client.initialize()
            await client.call_tool(tool, _arguments(tool, default, ids, k))  # warm: token, tables, connection

        async def calls(k: int, client: RawHttpClient) -> None:
            for i in range(CALLS // CLIENTS):
                await client.call_tool(tool, _arguments(tool, default, ids, i * CLIENTS + k))

        _control(pid, "--instr=on")
        await asyncio.gather(*(calls(k, c) for k, c in enumerate(clients)))
        counted = _counted(pid, out)
        for client in clients:
            await client.close()
    return round(counted / (CALLS // CLIENTS * CLIENTS))


async def _http(sb: SandboxProc, halo_mcp: str, out: Path) -> dict[str, int]:
    port = common.free_port()
    argv = [*_valgrind(out), halo_mcp, "serve", "--transport", "http", "--host", "127.0.0.1", "--port", str(port)]
    log = open(out / "server-http.log", "w")  # noqa: SIM115 - owned by the child
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log, env=sb.env())
    server = HttpServer(f"http://127.0.0.1:{port}", proc)
    ids = await _ticket_ids(sb)
    counts: dict[str, int] = {}
    try:
        server.wait_ready(timeout=900)  # imports run about 50 times slower under valgrind
        for era, label in ((MODERN, "http"), (LEGACY, "http_legacy")):
            for tool, default in ROWS:
                counts[f"{label}.{tool}"] = await _http_row(server.url, proc.pid, out, era, tool, default, ids)
    finally:
        common.stop_process(proc, timeout=30)
        log.close()
    return counts


async def _stdio(sb: SandboxProc, halo_mcp: str, out: Path) -> dict[str, int]:
    client = RawStdioClient(sb.env(), [*_valgrind(out), halo_mcp, "serve"])
    await client.start()
    counts: dict[str, int] = {}
    try:
        params = {"protocolVersion": LEGACY, "capabilities": {}, "clientInfo": common.CLIENT_INFO}
        await client.request("initialize", params, timeout=900)
        await client._send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        for tool, arguments in ROWS:
            for _ in range(3):
                await client.request("tools/call", {"name": tool, "arguments": arguments}, timeout=300)
            _control(client.pid, "--instr=on")
            for _ in range(CALLS):
                await client.request("tools/call", {"name": tool, "arguments": arguments}, timeout=300)
            counts[f"stdio.{tool}"] = round(_counted(client.pid, out) / CALLS)
    finally:
        await client.close()
    return counts


async def measure(halo_mcp: str) -> dict[str, Any]:
    out = common.WORKDIR / "callgrind"
    out.mkdir(exist_ok=True)
    with SandboxProc(seed=1) as sb:
        counts = {**await _http(sb, halo_mcp, out), **await _stdio(sb, halo_mcp, out)}
    return {"what": "instructions per call (callgrind, user space)", "server": halo_mcp, "calls": CALLS, **counts}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(measure(sys.argv[1] if len(sys.argv) > 1 else common.HALO_MCP)), indent=1))

"""5. Start-up: `halo-mcp serve` (stdio) spawned to its `tools/list` answer, as a desktop client experiences it
(spawn, initialize, initialized, tools/list), median of N cold starts; plus import times.

Import time is measured in fresh interpreters: the wall time of the imports a stdio server needs, the bare
interpreter for reference, and `-X importtime`'s heaviest top-level packages (cumulative). The SDK's share is what a
server loads of it (server/sdk.py defers the package initialisers that load its client and `MCPServer`); the SDK as
published (`import mcp`) and its protocol types alone (`mcp_types`: pydantic models for two protocol eras, the
largest part and the floor while we use the official SDK) are measured beside it.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import time
from typing import Any

from common import PY, WORKDIR, RawStdioClient, SandboxProc, child_env, median, rss_kib

SERVE_IMPORTS = "import halo_mcp.cli.commands, halo_mcp.server.stdio, halo_mcp.server.surface"  # all a serve imports
# The SDK modules a stdio server imports, loaded as the server loads them (halo_mcp.server defers the package
# initialisers), and the SDK as published.
SDK_IMPORTS = (
    "import halo_mcp.server, mcp.server.lowlevel, mcp.server.stdio, mcp.server.request_state, "
    "mcp.server.subscriptions, mcp_types"
)
SDK_PUBLISHED_IMPORTS = "import mcp.server.lowlevel, mcp_types"
TYPES_IMPORTS = "import mcp_types.methods"


async def _cold_start(env: dict[str, str]) -> tuple[float, int]:
    client = RawStdioClient(env)
    t0 = time.perf_counter()
    try:
        await client.start()
        await client.initialize()
        await client.list_tools()
        elapsed = time.perf_counter() - t0
        return elapsed, rss_kib(client.pid)
    finally:
        await client.close()


def _timed_import(code: str, runs: int) -> float:
    """Median seconds for `code` in a fresh interpreter, timed inside it (excludes interpreter start)."""
    script = f"import time; t=time.perf_counter(); {code}; print(time.perf_counter()-t)"
    values = []
    for _ in range(runs):
        r = subprocess.run(
            [PY, "-c", script], capture_output=True, text=True, timeout=60, cwd=WORKDIR, check=True, env=child_env()
        )
        values.append(float(r.stdout.strip().splitlines()[-1]))
    return median(values)


def _interpreter(runs: int) -> float:
    values = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([PY, "-c", "pass"], timeout=30, cwd=WORKDIR, check=True, env=child_env())
        values.append(time.perf_counter() - t0)
    return median(values)


def importtime_top(code: str, top: int = 12) -> list[dict[str, Any]]:
    """Where import time goes: `python -X importtime` self times summed per top-level package, ms."""
    r = subprocess.run(
        [PY, "-X", "importtime", "-c", code], capture_output=True, text=True, timeout=60, cwd=WORKDIR, env=child_env()
    )
    per_package: dict[str, int] = {}
    pattern = re.compile(r"import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)")
    for line in r.stderr.splitlines():
        m = pattern.match(line)
        if m:
            root = m.group(2).split(".")[0]
            per_package[root] = per_package.get(root, 0) + int(m.group(1))
    ranked = sorted(per_package.items(), key=lambda kv: -kv[1])[:top]
    return [{"package": name, "ms": round(us / 1000, 1)} for name, us in ranked]


async def measure(sb: SandboxProc, quick: bool = False) -> dict[str, Any]:
    runs = 2 if quick else 10
    env = sb.env()
    await _cold_start(env)  # page cache, .pyc files: "cold" means a new process, not a cold disk
    starts: list[float] = []
    rss: list[int] = []
    for _ in range(runs):
        seconds, kib = await _cold_start(env)
        starts.append(seconds)
        rss.append(kib)
    import_runs = 2 if quick else 5
    loop = asyncio.get_running_loop()
    serve_imports = await loop.run_in_executor(None, _timed_import, SERVE_IMPORTS, import_runs)
    sdk_imports = await loop.run_in_executor(None, _timed_import, SDK_IMPORTS, import_runs)
    sdk_published = await loop.run_in_executor(None, _timed_import, SDK_PUBLISHED_IMPORTS, import_runs)
    types_only = await loop.run_in_executor(None, _timed_import, TYPES_IMPORTS, import_runs)
    interpreter = await loop.run_in_executor(None, _interpreter, import_runs)
    top = await loop.run_in_executor(None, importtime_top, SERVE_IMPORTS)
    cold = median(starts) * 1000
    serve_ms, sdk_ms, interpreter_ms = serve_imports * 1000, sdk_imports * 1000, interpreter * 1000
    return {
        "what": "stdio spawn -> initialize -> tools/list answered, wall time; imports timed in fresh interpreters",
        "runs": runs,
        "cold_start_ms": {
            "median": round(median(starts) * 1000, 1),
            "min": round(min(starts) * 1000, 1),
            "max": round(max(starts) * 1000, 1),
        },
        "rss_after_tools_list_mib": round(median(rss) / 1024, 1),
        "import_ms": {
            "serve_path": round(serve_imports * 1000, 1),
            "serve_path_is": SERVE_IMPORTS,
            "sdk_only": round(sdk_imports * 1000, 1),
            "sdk_only_is": SDK_IMPORTS,
            "sdk_as_published": round(sdk_published * 1000, 1),
            "sdk_types_only": round(types_only * 1000, 1),
            "interpreter_start": round(interpreter * 1000, 1),
        },
        # Where a cold start goes, step by step (medians of separate runs, so the steps only roughly add up): the
        # interpreter, the SDK's own imports (mcp, mcp_types, pydantic, starlette...: the floor while we use the
        # official SDK), ours on top, and the rest (building the surface, the handshake and tools/list).
        "steps_ms": {
            "interpreter_start": round(interpreter_ms, 1),
            "sdk_imports": round(sdk_ms, 1),
            "our_imports": round(max(serve_ms - sdk_ms, 0.0), 1),
            "surface_handshake_and_list": round(max(cold - interpreter_ms - serve_ms, 0.0), 1),
        },
        "sdk_share_of_cold_start": round(sdk_ms / cold, 2) if cold else None,
        "importtime_top": top,
        "peers": {"best_python_ms": 926, "best_python_mib": 77, "node_ms": "182-283", "node_mib": "65-86"},
    }

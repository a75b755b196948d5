"""The sandbox's own capacity, from `bench/sandbox_bench.py` (owned by the sandbox): throughput figures over HTTP
are bounded by what the emulator behind them can serve on the same cores, so its ceiling is recorded beside them."""

from __future__ import annotations

import re
import subprocess
from typing import Any

from common import BENCH, PY, ROOT, child_env

LINE = re.compile(
    r"^(?P<name>.+?)\s+(?P<rps>[\d.]+) req/s\s+p50\s+(?P<p50>[\d.]+) ms\s+p95\s+(?P<p95>[\d.]+) ms\s+"
    r"n=(?P<n>\d+) errors=(?P<errors>\d+)"
)


def measure(quick: bool = False) -> dict[str, Any]:
    seconds = 1 if quick else 4
    script = BENCH / "sandbox_bench.py"
    if not script.exists():
        return {"skipped": "bench/sandbox_bench.py is not there"}
    r = subprocess.run(
        [PY, str(script), "--seconds", str(seconds), "--concurrency", "8"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env=child_env(),
    )
    phases = {}
    for line in r.stdout.splitlines():
        m = LINE.match(line.strip())
        if m:
            phases[m["name"].strip()] = {
                "requests_per_s": float(m["rps"]),
                "p50_ms": float(m["p50"]),
                "p95_ms": float(m["p95"]),
                "requests": int(m["n"]),
                "errors": int(m["errors"]),
            }
    if r.returncode != 0 or not phases:
        raise RuntimeError(f"sandbox_bench.py failed ({r.returncode}): {(r.stderr or r.stdout)[-400:]}")
    return {
        "what": "direct HTTP requests/s the sandbox serves (8 keep-alive connections, minimal client)",
        "seconds_per_phase": seconds,
        "phases": phases,
    }

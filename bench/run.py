"""`make bench`: measure context cost, response cost, server overhead, throughput, start-up, memory and Halo calls
per workflow against a local sandbox; write `bench/results/<date>.json` and `latest.md`, compare with the previous
run, and refresh the README's table.

    .venv/bin/python bench/run.py                 # everything (about 5 minutes on 2 cores)
    .venv/bin/python bench/run.py --quick         # tiny counts: a smoke run, not figures
    .venv/bin/python bench/run.py --only context,responses

Everything is loopback-only and bounded (a count and a time cap on every loop); every process started is stopped.
`bench/instructions.py` (not run here; needs valgrind) counts instructions per call, a figure other load on the
machine cannot move, for before/after comparisons of the per-call cost.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import shutil
import sys
import time
import traceback
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common
import report

FAMILIES = ("context", "responses", "overhead", "throughput", "startup", "memory", "workflows", "sandbox")
MODULES = {"sandbox": "sandbox_capacity"}  # family -> module, where the names differ
NEEDS_SANDBOX = {"responses", "overhead", "throughput", "startup", "memory"}


def _measurer(name: str) -> Callable[..., Any]:
    module = __import__(MODULES.get(name, name))
    fn: Callable[..., Any] = module.measure
    return fn


async def run(families: list[str], quick: bool) -> dict[str, Any]:
    results: dict[str, Any] = {
        "date": dt.date.today().isoformat(),
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "quick": quick,
        "machine": common.machine(),
        "families": {},
        "durations_s": {},
        # Other work on the machine skews every latency: recorded after each family (1/5/15 min load, CPU PSI).
        "load_average": {"before": common.load_average()},
        "cpu_pressure_avg60": {"before": common.cpu_pressure()},
        "errors": {},
    }
    shared: common.SandboxProc | None = None
    try:
        for name in families:
            t0 = time.monotonic()
            print(f"bench: {name} ...", file=sys.stderr, flush=True)
            try:
                measure = _measurer(name)
                if name in ("context", "sandbox"):  # offline, or starts its own sandbox
                    value = measure(quick=quick)
                elif name == "workflows":  # writes: its own sandbox
                    with common.SandboxProc(seed=1) as own:
                        value = await measure(own, quick=quick)
                else:
                    if shared is None:
                        shared = common.SandboxProc(seed=1).start()
                    value = measure(shared, quick=quick)
                    if isinstance(value, Awaitable):
                        value = await value
                results["families"][name] = value
            except Exception as exc:  # one broken family must not lose the others' figures
                results["errors"][name] = f"{type(exc).__name__}: {exc}"
                traceback.print_exc()
            results["durations_s"][name] = round(time.monotonic() - t0, 1)
            results["load_average"][name] = common.load_average()
            results["cpu_pressure_avg60"][name] = common.cpu_pressure()
            print(f"bench: {name} done in {results['durations_s'][name]} s", file=sys.stderr, flush=True)
    finally:
        if shared is not None:
            shared.stop()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny counts, for a smoke run (figures not meaningful)")
    parser.add_argument("--only", help=f"comma-separated families: {', '.join(FAMILIES)}")
    parser.add_argument("--out", type=Path, default=common.BENCH / "results", help="results directory")
    parser.add_argument("--readme", type=Path, default=common.ROOT / "README.md", help="README to update")
    parser.add_argument(
        "--no-readme", action="store_true", help="do not update the README (implied by --quick and --only)"
    )
    args = parser.parse_args(argv)
    families = [f.strip() for f in (args.only or ",".join(FAMILIES)).split(",") if f.strip()]
    unknown = [f for f in families if f not in FAMILIES]
    if unknown:
        parser.error(f"unknown families {unknown}; known: {', '.join(FAMILIES)}")
    t0 = time.monotonic()
    results = asyncio.run(run(families, args.quick))
    results["total_s"] = round(time.monotonic() - t0, 1)
    results["partial"] = bool(args.only) and set(families) != set(FAMILIES)
    readme = None if (args.quick or args.no_readme) else args.readme
    paths = report.write(results, args.out, readme)
    print(report.console(results), flush=True)
    for path in paths:
        print(f"bench: wrote {path}", file=sys.stderr)
    if results["errors"]:
        print(f"bench: child process logs kept in {common.WORKDIR}", file=sys.stderr)
        return 1
    shutil.rmtree(common.WORKDIR, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

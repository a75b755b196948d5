"""Suggestion accuracy and runbook timings on the sandbox.

Suggestions: the newest `--holdout` resolved tickets are held out; for each, `suggest_ticket_fields`' ranking
(tools/suggest.py) votes from the other resolved tickets only, and each suggested field is compared with the real
one. Accuracy = right / held-out tickets (a field nobody could suggest counts as wrong). Aim: >= 70% for team
and category.

Runbooks: the time a `fire_and_forget` runbook tool call takes, and an `await` one on a runbook the sandbox runs
for `--runbook-seconds` (it polls the sandbox-convention run status), through the MCP client in memory.

Run: `.venv/bin/python bench/suggest.py [--holdout 100] [--runbook-seconds 1]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

from mcp import Client

from halo_mcp.config import CustomToolConfig, HaloSettings, ServerSettings
from halo_mcp.halo.client import HaloClient
from halo_mcp.sandbox import Sandbox
from halo_mcp.server.surface import Surface
from halo_mcp.tools.similar import SimilarIndex
from halo_mcp.tools.suggest import FIELDS, query_of, suggest


def settings(sb: Sandbox) -> HaloSettings:
    return HaloSettings(url=sb.url, client_id=sb.client_id, client_secret=sb.client_secret, rate_limit="off")


async def accuracy(sb: Sandbox, holdout: int) -> dict[str, Any]:
    halo = HaloClient(settings(sb), scope="all")
    try:
        index = SimilarIndex(seed_tickets=100_000)
        await index.ensure(halo, "ticket")
        statuses = await halo.get("Status")
        closed = {s["id"] for s in statuses if s.get("type") == 2 and "cancel" not in str(s.get("name")).lower()}
    finally:
        await halo.aclose()
    resolved = [d for d in index.docs.values() if d.kind == "ticket" and d.status_id in closed]
    resolved.sort(key=lambda d: d.closed_on, reverse=True)
    held = resolved[:holdout]
    held_keys = {d.key for d in held}
    right = dict.fromkeys(FIELDS, 0)
    started = time.perf_counter()
    for doc in held:
        found = suggest(index, query_of(doc), lambda d: d.key not in held_keys and d.status_id in closed)
        for field, (key, _) in FIELDS.items():
            if field in found and found[field].value == doc.extra.get(key):
                right[field] += 1
    per_call = (time.perf_counter() - started) / max(len(held), 1) * 1000
    return {
        "held_out": len(held),
        "history": len(resolved) - len(held),
        "accuracy": {f: round(n / max(len(held), 1), 3) for f, n in right.items()},
        "ranking_ms_per_ticket": round(per_call, 2),
    }


async def runbook_timings(seconds: float) -> dict[str, float]:
    out: dict[str, float] = {}
    with Sandbox(seed=1, runbook_seconds=seconds) as sb:
        for mode in ("fire_and_forget", "await"):
            surface = Surface(settings(sb), ServerSettings(toolsets="tickets"))
            config = CustomToolConfig(name="reset_mfa", kind="runbook", description="Use when.",
                                      runbook="Reset MFA registration", mode=mode, timeout_s=30)  # fmt: skip
            await surface.reselect(await surface.customise(surface.selection, [config]))
            async with Client(surface.server) as client:
                started = time.perf_counter()
                result = await client.call_tool("reset_mfa", {})
                assert not result.is_error, result
                out[f"{mode}_s"] = round(time.perf_counter() - started, 3)
            await surface.aclose()
    out["runbook_s"] = seconds
    return out


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--holdout", type=int, default=100)
    parser.add_argument("--runbook-seconds", type=float, default=1.0)
    args = parser.parse_args()
    with Sandbox(seed=1) as sb:
        result: dict[str, Any] = {"suggestions": await accuracy(sb, args.holdout)}
    result["runbooks"] = await runbook_timings(args.runbook_seconds)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    asyncio.run(main())

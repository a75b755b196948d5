"""[custom] Run one Halo runbook: `POST /Automation/{runbookId}`, then return at once or wait a bounded time.

What is verified: the spec's `POST /Automation/{runbookId}` (a uuid in the path; no body, response or status route
declared) and Halo's guide (seed 002): "Fire and forget" is for long runbooks, "Execute and await completion" must
finish within a minute. So we send no body, `mode = "fire_and_forget"` reports the start, and `timeout_s` is
capped at 60; while awaiting, each status read is reported as progress (seconds waited of the bound). What is NOT
verified, a sandbox convention: that the POST answers the run record (`id`, `status`), that `GET /Automation/{id}`
lists a runbook with its recent `runs`, and the status words `running`, `completed` and `failed`. A third-party
API reference (kb.dtctoday.com) describes `GET /Automation/{id}` as an execution record with an integer `status`
instead; until a live answer is recorded, `await` on a real Halo may only be able to say the runbook was started.
"""

from __future__ import annotations

import re
import time
from typing import Any

import anyio
from pydantic import BaseModel

from halo_mcp.config import ConfigError, CustomToolConfig
from halo_mcp.tools.custom import args_model, make_tool
from halo_mcp.tools.errors import ToolError
from halo_mcp.tools.framework import Tool, ToolContext, ToolOutput
from halo_mcp.tools.spans import untrusted

UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
POLL_SECONDS = 0.25  # between status reads while awaiting (sandbox convention: the runbook's `runs`)
DONE, FAILED = frozenset({"completed", "complete", "succeeded", "success"}), frozenset({"failed", "error"})


async def _runbook(ctx: ToolContext, wanted: str) -> tuple[str, int | None, str]:
    """(guid, list id, name) of a runbook named by guid, id or name. A guid is used as given; a name or id is
    looked up in `GET /Automation` (sandbox convention: the runbooks)."""
    if UUID.match(wanted):
        return wanted, None, wanted
    data = await ctx.halo.get("Automation")
    rows = data if isinstance(data, list) else (data or {}).get("automations") or []
    for row in rows:
        if not isinstance(row, dict):
            continue
        if str(row.get("id")) == wanted or str(row.get("name", "")).lower() == wanted.lower():
            return str(row.get("guid") or row["id"]), int(row["id"]), str(row.get("name") or wanted)
    known = ", ".join(repr(str(r.get("name"))) for r in rows[:10] if isinstance(r, dict))
    raise ConfigError(f"runbook {wanted!r} not found in Halo; known: {known or 'none'}")


async def build(config: CustomToolConfig, ctx: ToolContext) -> Tool:
    guid, list_id, name = await _runbook(ctx, str(config.runbook))
    label = untrusted(name)

    async def handler(tool_ctx: ToolContext, args: BaseModel) -> ToolOutput:
        started = time.monotonic()
        answer = await tool_ctx.halo.request("POST", f"Automation/{guid}")
        run = answer if isinstance(answer, dict) else {}
        run_id = run.get("id")
        ran = f"runbook {label}" + (f" (run {run_id})" if run_id is not None else "")
        if config.mode == "fire_and_forget":
            return ToolOutput(text=f"started {ran}; it runs on in Halo (fire and forget)", structured=_view(run))
        if run_id is None or list_id is None:
            return ToolOutput(text=f"started {ran}; Halo's answer carries no run to wait for, so its result is "
                                   "unknown here (see Halo's runbook log)", structured=_view(run))  # fmt: skip
        while True:
            status = str(run.get("status") or "").lower()
            if status in DONE:
                took = time.monotonic() - started
                return ToolOutput(text=f"{ran} completed in {took:.1f} s", structured=_view(run))
            if status in FAILED:
                raise ToolError(f"{ran} failed: {untrusted(str(run.get('error') or 'no reason given'))}; "
                                "see the runbook's log in Halo before running it again")  # fmt: skip
            if time.monotonic() - started >= config.timeout_s:
                raise ToolError(f"{ran} is still running after {config.timeout_s:g} s; it was started once, so do "
                                "not run it again: its result will be in Halo's runbook log")  # fmt: skip
            await anyio.sleep(POLL_SECONDS)
            waited = time.monotonic() - started
            await tool_ctx.progress(
                waited, config.timeout_s, f"runbook running: {waited:.0f} s of at most {config.timeout_s:g} s"
            )
            run = await _run(tool_ctx, list_id, run_id) or run

    return make_tool(config, args_model(config, {}), handler)


async def _run(ctx: ToolContext, list_id: int, run_id: Any) -> dict[str, Any] | None:
    data = await ctx.halo.get(f"Automation/{list_id}")
    runs = data.get("runs") if isinstance(data, dict) else None
    return next((r for r in runs or [] if isinstance(r, dict) and r.get("id") == run_id), None)


def _view(run: dict[str, Any]) -> dict[str, Any]:
    return {k: run[k] for k in ("id", "status", "started", "duration_seconds") if k in run}

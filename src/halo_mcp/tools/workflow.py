"""Whether an action (outcome) may be used on a ticket at its current workflow step.

Halo's own "Use specific action" requires the action to be available at the ticket's current workflow step (seed
002). The spec's model: a workflow (`/Workflow`, FlowHeader) has `steps` (FlowDetail) whose `actions`
(FlowSubDetail: `start_step`, `end_step`, `action_id`, `action_name`) are the actions leading out of a step, plus
`always_allow_actions` usable anywhere; a ticket carries `workflow_id` and `workflow_step` (halo-api-facts §7). A
step without an `actions` list restricts nothing. The workflow list is cached with the lookup tables, and only when
some workflow restricts its steps is the ticket read to learn its step, so a Halo without such workflows pays no
request. That `GET /Workflow` lists each workflow with its steps is what the sandbox serves (unverified on Halo).
"""

from __future__ import annotations

from typing import Any

from halo_mcp.tools.errors import ToolError
from halo_mcp.tools.framework import ToolContext
from halo_mcp.tools.resolve import Entity
from halo_mcp.tools.spans import untrusted


async def _restricting(ctx: ToolContext) -> dict[int, dict[str, Any]]:
    """Workflows (by id) with at least one step that lists its actions; cached like the lookup tables."""

    async def load() -> dict[int, dict[str, Any]]:
        data = await ctx.halo.get("Workflow")
        flows = data if isinstance(data, list) else []
        return {
            int(f["id"]): f
            for f in flows
            if isinstance(f, dict) and f.get("id") and any(isinstance(s, dict) and isinstance(s.get("actions"), list)
                                                           for s in f.get("steps") or [])
        }  # fmt: skip

    result: dict[int, dict[str, Any]] = await ctx.resolver.derived("restricting_workflows", load)
    return result


async def check_outcome(ctx: ToolContext, ticket_id: int, outcome: Entity, note: str | None) -> None:
    """Refuse, before the action is sent, an outcome this ticket cannot take here, saying which it can (every
    action tool posts through here, one ticket at a time, also in bulk)."""
    if outcome.record.get("mustaddnote") and not (note or "").strip():
        raise ToolError(f"the '{outcome.name}' action needs a note in Halo; pass note=...")
    flows = await _restricting(ctx)
    if not flows:
        return
    ticket = await ctx.halo.get(f"Tickets/{ticket_id}")
    flow = flows.get(int(ticket.get("workflow_id") or 0)) if isinstance(ticket, dict) else None
    step_id = ticket.get("workflow_step") if isinstance(ticket, dict) else None
    if flow is None or not step_id:
        return
    step = next((s for s in flow.get("steps") or [] if step_id in (s.get("step_id"), s.get("fdid"), s.get("id"))), None)
    if step is None or not isinstance(step.get("actions"), list):
        return
    allowed = {int(a["action_id"]): str(a.get("action_name") or a["action_id"]) for a in step["actions"]
               if isinstance(a, dict) and a.get("start_step") in (None, step_id) and a.get("action_id")}  # fmt: skip
    always = {int(o["id"]): str(o.get("outcome") or o["id"]) for o in flow.get("always_allow_actions") or []
              if isinstance(o, dict) and o.get("id")}  # fmt: skip
    if outcome.id in allowed or outcome.id in always:
        return
    names = ", ".join(dict.fromkeys([*allowed.values(), *always.values()])) or "none"
    raise ToolError(
        f"'{outcome.name}' is not available on ticket {ticket_id} at step {untrusted(str(step.get('name') or step_id))}"
        f" of workflow {untrusted(str(flow.get('name') or flow['id']))}; actions available here: {names}"
    )

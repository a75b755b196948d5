"""7. Halo requests per workflow, read from the sandbox's request counters: cold (a new server: no token, empty
name tables and similarity index) and warm (the same workflow again on that server).

The workflows are the product's seed tasks (PRODUCT.md, "Who uses it"): an agent's queue with SLA breaches,
"assign the VPN ticket to me and add a note", "log 30 minutes", the self-service path (knowledge search, then a
correctly typed ticket), triage of one ticket, similar cases, and a name lookup. They write, so they run on their own
sandbox, reset to the seed between workflows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from common import SandboxProc, halo_calls

Call = Callable[[str, dict[str, Any]], Awaitable[Any]]


def _first_id(result: Any) -> int:
    data = result.structured_content or {}
    cols = data.get("columns") or []
    rows = data.get("rows") or []
    if not rows:
        raise RuntimeError("expected at least one row")
    return int(dict(zip(cols, rows[0], strict=False))["id"])


async def queue(call: Call) -> None:
    """Summarise my queue and flag SLA breaches."""
    await call("list_tickets", {"agent": "me", "limit": 50})
    await call("list_tickets", {"agent": "me", "sla": "breached", "limit": 50})


async def assign_and_note(call: Call) -> None:
    """Assign the VPN ticket to me and add a note that I'm on it."""
    found = await call("list_tickets", {"search": "VPN", "limit": 5})
    ticket = _first_id(found)
    await call("assign_ticket", {"ticket_id": ticket, "agent": "me"})
    await call("add_note", {"ticket_id": ticket, "note": "I'm on it."})


async def log_time(call: Call) -> None:
    """Log 30 minutes on a ticket."""
    found = await call("list_tickets", {"limit": 1})
    await call("log_time", {"ticket_id": _first_id(found), "minutes": 30, "note": "remote session"})


async def self_service(call: Call) -> None:
    """Knowledge search first; if that fails, a correctly typed ticket."""
    await call("search_kb", {"query": "laptop screen black after update"})
    await call(
        "create_ticket",
        {
            "summary": "Laptop screen black after update",
            "details": "Screen stays black after last night's update; external monitor works.",
            "ticket_type": "Incident",
            "priority": "P3",
        },
    )


async def triage(call: Call) -> None:
    """Read a ticket with its recent actions, then reprioritise it."""
    found = await call("list_tickets", {"limit": 1})
    ticket = _first_id(found)
    await call("get_ticket", {"id": ticket, "actions": 5})
    await call("update_ticket", {"id": ticket, "priority": "P2"})


async def similar(call: Call) -> None:
    """Similar resolved tickets and articles for a ticket."""
    found = await call("list_tickets", {"limit": 1})
    await call("find_similar", {"ticket_id": _first_id(found)})


async def lookup(call: Call) -> None:
    """Resolve a team by a near-miss name."""
    await call("lookup", {"kind": "team", "query": "netwrk"})


WORKFLOWS: dict[str, Callable[[Call], Awaitable[None]]] = {
    "queue": queue,
    "assign_and_note": assign_and_note,
    "log_time": log_time,
    "self_service": self_service,
    "triage": triage,
    "similar": similar,
    "lookup": lookup,
}


async def _run(sb: SandboxProc, client: Any, workflow: Callable[[Call], Awaitable[None]]) -> dict[str, Any]:
    """The workflow twice on one fresh server (cold, then warm), counting Halo requests each time."""
    tools: list[str] = []
    errors: list[str] = []

    async def call(tool: str, args: dict[str, Any]) -> Any:
        tools.append(tool)
        result = await client.call_tool(tool, args)
        if result.is_error:
            errors.append(f"{tool}: " + " ".join(getattr(b, "text", "") for b in result.content)[:200])
        return result

    row: dict[str, Any] = {"doc": (workflow.__doc__ or "").strip()}
    for phase in ("cold", "warm"):
        tools.clear()
        sb.reset_counters()
        try:
            await workflow(call)
        except Exception as exc:  # a broken workflow is reported, not fatal to the run
            errors.append(f"{type(exc).__name__}: {exc}")
        counters = sb.counters()
        row[phase] = {**halo_calls(counters), "routes": counters.get("routes", {})}
    row["tools"] = list(tools)
    row["errors"] = errors
    return row


async def measure(sb: SandboxProc, quick: bool = False) -> dict[str, Any]:
    from mcp import Client

    from halo_mcp.config import HaloSettings, ServerSettings
    from halo_mcp.server.surface import Surface

    settings = HaloSettings(url=sb.url, client_id=sb.client_id, client_secret=sb.client_secret, rate_limit="off")
    out: dict[str, Any] = {
        "what": "Halo requests per workflow (API and token requests), from the sandbox's counters",
        "workflows": {},
    }
    for name, workflow in WORKFLOWS.items():
        sb.reset()
        surface = Surface(settings, ServerSettings(toolsets="all", audit_db=":memory:"))
        try:
            async with Client(surface.server) as client:
                out["workflows"][name] = await _run(sb, client, workflow)
        finally:
            await surface.aclose()
    sb.reset()
    return out

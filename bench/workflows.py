"""7. Halo requests per workflow, read from the sandbox's request counters: cold (a new server: no token, empty
name tables and similarity index) and warm (the same workflow again on that server).

The workflows are the tool-surface issue's seed workflows (London P2 with time, triage with de-duplication, L1 answer
from the knowledge base, hardware warranty audit, project and quote health) and the product's daily tasks
(PRODUCT.md, "Who uses it"): an agent's queue with SLA breaches, "assign the VPN ticket to me and add a note",
"log 30 minutes", triage of one ticket, similar cases, and a name lookup. They write, so they run on their own
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


def _rows(result: Any) -> list[dict[str, Any]]:
    data = result.structured_content or {}
    return [dict(zip(data.get("columns") or [], row, strict=False)) for row in data.get("rows") or []]


async def london_p2(call: Call) -> None:
    """Log a P2 for the London VPN drops, assign it to Network, and log 30 minutes."""
    created = await call(
        "create_ticket",
        {"summary": "VPN drops for London office users", "details": "Several users disconnected since 9am.",
         "client": "Acme Corp", "site": "London Office", "ticket_type": "Incident", "priority": "P2",
         "team": "Network"},
    )  # fmt: skip
    ticket = int((created.structured_content or {})["id"])
    await call("log_time", {"ticket_id": ticket, "minutes": 30, "note": "initial investigation"})


async def triage_dedup(call: Call) -> None:
    """Triage with de-duplication: find the open duplicate of a new ticket, close it as a duplicate."""
    found = await call("list_tickets", {"search": "VPN", "site": "London Office", "limit": 5})
    ticket = _first_id(found)
    similar = await call("find_similar", {"ticket_id": ticket, "limit": 5})
    parent = next((r["id"] for r in _rows(similar) if r.get("type") == "ticket"), ticket)
    await call("add_action", {"ticket_id": ticket, "outcome": "Close", "note": f"Duplicate of #{parent}"})


async def l1_knowledge(call: Call) -> None:
    """L1 answer from the knowledge base: search, then read the article's steps."""
    hits = await call("search_kb", {"query": "my laptop screen went black after the update", "limit": 3})
    await call("get_kb_article", {"id": _first_id(hits)})


async def warranty_audit(call: Call) -> None:
    """Hardware warranty audit: a client's laptops whose warranty ends within 90 days, and who holds them."""
    assets = await call(
        "list_assets", {"client": "Acme", "type": "Laptop", "warranty_after": "today", "warranty_before": "+90d"}
    )
    for row in _rows(assets)[:3]:
        if row.get("user_id"):
            await call("get_user", {"user": str(row["user_id"])})


async def project_quote_health(call: Call) -> None:
    """Project and quote health: a client's projects, the latest actions on one, and its quotes."""
    clients = await call("find_clients", {"query": "Stark"})
    client_id = _first_id(clients)
    projects = await call("call_operation", {"operation": "GET /Projects", "arguments": {"client_id": client_id}})
    await call("get_ticket", {"id": _first_id(projects), "actions": 5})
    await call("call_operation", {"operation": "GET /Quotation", "arguments": {"client_id": client_id}})


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
    "london_p2": london_p2,
    "triage_dedup": triage_dedup,
    "l1_knowledge": l1_knowledge,
    "warranty_audit": warranty_audit,
    "project_quote_health": project_quote_health,
    "queue": queue,
    "assign_and_note": assign_and_note,
    "log_time": log_time,
    "self_service": self_service,
    "triage": triage,
    "similar": similar,
    "lookup": lookup,
}


# -- issue 11: the same job before (the calls the previous surface needed) and after (round-2 parameters) -------


PERIOD = {"created_from": "2026-09-01", "created_to": "2026-11-30", "state": "all"}


async def counts_before(call: Call) -> None:
    clients = await call("find_clients", {})
    for row in _rows(clients):
        await call("list_tickets", {"client": str(row["id"]), "limit": 1, **PERIOD})


async def counts_after(call: Call) -> None:
    await call("list_tickets", {"group_by": "client", **PERIOD})


async def scoped_site_before(call: Call) -> None:
    sites = await call("lookup", {"kind": "site", "query": "Data Centre"})
    wayne = next(r["id"] for r in _rows(sites) if r.get("client_name") == "Wayne Enterprises")
    await call("list_tickets", {"site": str(wayne), "limit": 10})


async def scoped_site_after(call: Call) -> None:
    await call("list_tickets", {"client": "Wayne Enterprises", "site": "Data Centre", "limit": 10})


DUPLICATE_TEXT = "Can't stay connected to VPN - London office"


async def duplicates_before(call: Call) -> None:
    await call("find_similar", {"text": DUPLICATE_TEXT})
    await call("list_tickets", {"client": "Acme Corp", "search": "VPN", "limit": 10})


async def duplicates_after(call: Call) -> None:
    await call("find_similar", {"text": DUPLICATE_TEXT, "client": "Acme Corp"})


async def sla_before(call: Call) -> None:
    await call("list_tickets", {"sla": "breached", "limit": 50})
    await call("list_tickets", {"limit": 100, "fields": ["respondbydate", "responsedate", "fixbydate"]})


async def sla_after(call: Call) -> None:
    await call("list_tickets", {"sla": "breached", "limit": 50})


async def unassigned_before(call: Call) -> None:
    await call("list_tickets", {"agent": "unassigned"})  # refused before: "no agent named 'unassigned'"
    await call("lookup", {"kind": "agent"})
    await call("list_tickets", {"limit": 100})


async def unassigned_after(call: Call) -> None:
    await call("list_tickets", {"agent": "unassigned", "limit": 50})


async def close_before(call: Call) -> None:
    ticket = _first_id(await call("list_tickets", {"client": "Initech", "limit": 1}))
    await call("add_action", {"ticket_id": ticket, "outcome": "Resolved", "note": "Fixed."})  # refused: 'Resolve'?
    await call("add_action", {"ticket_id": ticket, "outcome": "Resolve", "note": "Fixed."})


async def close_after(call: Call) -> None:
    ticket = _first_id(await call("list_tickets", {"client": "Initech", "limit": 1}))
    await call("add_action", {"ticket_id": ticket, "close": True, "note": "Fixed."})


async def rows_before(call: Call) -> None:
    """Where is the newest ticket, who worked on it and on which laptop; which client is busiest."""
    ticket = _first_id(await call("list_tickets", {"limit": 5}))
    read = await call("get_ticket", {"id": ticket, "actions": 5, "assets": True})
    for asset in (read.structured_content or {}).get("assets") or []:
        if isinstance(asset, dict):
            await call("get_asset", {"asset": str(asset["id"])})
    clients = await call("find_clients", {})
    for row in _rows(clients):
        await call("list_tickets", {"client": str(row["id"]), "limit": 1})


async def rows_after(call: Call) -> None:
    ticket = _first_id(await call("list_tickets", {"limit": 5}))
    await call("get_ticket", {"id": ticket, "actions": 5, "assets": True})
    await call("find_clients", {})


# -- issue 12: bulk hand-over, time and contract questions, before (per ticket, long tail) and after ---------------


def _month_start() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).date().replace(day=1).isoformat()


async def handover_before(call: Call) -> None:
    """Hand Priya's open tickets to Tom: one assign_ticket per ticket."""
    theirs = await call("list_tickets", {"agent": "Priya Nair", "limit": 100})
    for row in _rows(theirs):
        await call("assign_ticket", {"ticket_id": int(row["id"]), "agent": "Tom Hughes", "note": "Handover"})


async def handover_after(call: Call) -> None:
    await call("add_action", {"where": {"agent": "Priya Nair"}, "new_agent": "Tom Hughes", "note": "Handover"})


async def time_before(call: Call) -> None:
    """Hours logged for Acme this month, by ticket: every ticket touched this month, read with its actions."""
    touched = await call("list_tickets", {"client": "Acme Corp", "updated_from": _month_start(), "state": "all",
                                          "limit": 100})  # fmt: skip
    for row in _rows(touched):
        await call("get_ticket", {"id": int(row["id"]), "actions": 50})


async def time_after(call: Call) -> None:
    await call("time_logged", {"start": _month_start(), "client": "Acme Corp"})


async def contract_before(call: Call) -> None:
    """Prepaid hours left on Wayne's contract and when it ends: ids first, then Halo's own field names."""
    client = _first_id(await call("find_clients", {"query": "Wayne"}))
    contracts = await call("call_operation", {"operation": "GET /ClientContract", "arguments": {"client_id": client}})
    await call("call_operation", {"operation": "GET /ClientContract/{id}", "arguments": {"id": _first_id(contracts)}})
    await call("search_operations", {"query": "prepay balance"})
    await call("call_operation", {"operation": "GET /ClientPrepay", "arguments": {"client_id": client}})


async def contract_after(call: Call) -> None:
    await call("client_contracts", {"client": "Wayne Enterprises"})


PAIRS: dict[str, tuple[str, Callable[[Call], Awaitable[None]], Callable[[Call], Awaitable[None]]]] = {
    "counts_per_client": ("Tickets per client over a quarter", counts_before, counts_after),
    "site_within_client": ("Wayne's Data Centre tickets", scoped_site_before, scoped_site_after),
    "duplicates_first": ("Is this VPN complaint a duplicate?", duplicates_before, duplicates_after),
    "sla_breaches": ("Breached tickets, response targets too", sla_before, sla_after),
    "unassigned": ("Unassigned open tickets", unassigned_before, unassigned_after),
    "close_ticket": ("Resolve a ticket with a note", close_before, close_after),
    "rows_answer_next": ("Site, authors, asset names, busiest client", rows_before, rows_after),
    "bulk_handover": ("Hand an agent's open tickets to another", handover_before, handover_after),
    "time_for_client": ("Hours logged for a client this month, by ticket", time_before, time_after),
    "contract_left": ("Prepaid hours left on a contract, and its end", contract_before, contract_after),
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
        if phase == "cold":  # the job as first done: a write workflow has less left to do when repeated
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
        surface = Surface(settings, ServerSettings(toolsets="all", audit_db=":memory:", structured_output="always"))
        try:
            async with Client(surface.server) as client:
                out["workflows"][name] = await _run(sb, client, workflow)
        finally:
            await surface.aclose()
    out["calls_what"] = (
        "Tool calls (model turns) and Halo API requests per job, cold: before = the calls the previous surface "
        "needed (a refused call still costs a turn), after = the round-2 parameters"
    )
    out["calls_per_workflow"] = {}
    for name, (doc, before, after) in PAIRS.items():
        row: dict[str, Any] = {"doc": doc}
        for phase, workflow in (("before", before), ("after", after)):
            sb.reset()
            surface = Surface(settings, ServerSettings(toolsets="all", audit_db=":memory:", structured_output="always"))
            try:
                async with Client(surface.server) as client:
                    run = await _run(sb, client, workflow)
            finally:
                await surface.aclose()
            row[phase] = {"calls": len(run["tools"]), "api": run["cold"]["api"], "tools": run["tools"],
                          "errors": run["errors"]}  # fmt: skip
        out["calls_per_workflow"][name] = row
    pairs = out["calls_per_workflow"].values()
    out["calls"] = {
        "before": sum(r["before"]["calls"] for r in pairs),
        "after": sum(r["after"]["calls"] for r in pairs),
    }
    sb.reset()
    return out

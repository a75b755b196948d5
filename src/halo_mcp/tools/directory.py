"""[directory] Reference data and people: one `lookup` for every reference table, users and clients."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from halo_mcp.tools.framework import Args, ToolContext, ToolOutput, tool
from halo_mcp.tools.render import list_output
from halo_mcp.tools.resolve import SOURCES, canonical_kind

LookupKind = Literal[
    "team", "agent", "status", "priority", "tickettype", "category", "outcome", "sla", "assettype", "site", "client"
]  # fmt: skip
EXTRA_COLUMNS: dict[str, tuple[str, ...]] = {
    "agent": ("email", "team"),
    "status": ("type",),
    "priority": ("responsetime", "fixtime"),
    "tickettype": ("use",),
    "outcome": ("newstatus",),
    "site": ("client_name",),
}


class LookupArgs(Args):
    kind: LookupKind
    query: str | None = Field(None, description="name or part of it; omit to list all (small tables)")
    limit: int = Field(20, ge=1, le=100)


@tool("directory", title="Look up reference data", idempotent=True)
async def lookup(ctx: ToolContext, args: LookupArgs) -> ToolOutput:
    """Find teams, agents, statuses, priorities, ticket types, categories, outcomes (action types), SLAs, asset
    types, sites or clients by name (exact, partial or fuzzy). Other tools accept these names directly; use this
    to explore valid values or resolve an ambiguity."""
    kind = canonical_kind(args.kind)
    if args.query:
        entities = await ctx.resolver.candidates(kind, args.query, args.limit)
    elif SOURCES[kind].searched:
        entities = (await ctx.resolver.table(kind))[: args.limit]
    else:
        entities = (await ctx.resolver.table(kind))[: args.limit]
    rows = [
        {"id": e.id, "name": e.name, **{c: e.record.get(c) for c in EXTRA_COLUMNS.get(kind, ())}} for e in entities
    ]
    plural = SOURCES[kind].plural
    note = "" if rows else f"try a shorter query or lookup(kind='{kind}') without one"
    return list_output(plural, rows, note=note)

"""[directory] Reference data and people: one `lookup` for every reference table, users and clients."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field

from halo_mcp.tools.counting import open_tickets_per_client, team_categories
from halo_mcp.tools.errors import ToolError
from halo_mcp.tools.framework import Args, ToolContext, ToolOutput, tool
from halo_mcp.tools.paging import Limit, fetch_page, get_one
from halo_mcp.tools.render import compact, list_output, record_output
from halo_mcp.tools.resolve import SCOPED_BY_CLIENT, SOURCES, Entity, Ref, canonical_kind

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
    query: str | None = Field(None, description="omit to list all")
    client: Ref | None = Field(None, description="sites of this client")
    limit: int = Field(20, ge=1, le=100)


@tool("directory", title="Look up reference data", idempotent=True)
async def lookup(ctx: ToolContext, args: LookupArgs) -> ToolOutput:
    """Find reference values by name (outcome = action type; teams show what they handle). Other tools take
    names directly."""
    kind = canonical_kind(args.kind)
    within = await ctx.resolver.resolve("client", args.client) if args.client not in (None, "") else None
    if within is not None and kind not in SCOPED_BY_CLIENT:
        raise ToolError(f"client narrows sites only; drop it for kind='{kind}'")
    if kind == "agent" and (args.query or "").strip().lower() in ("me", "myself", "self"):
        entities = [await ctx.resolver.me()]  # the agent this connection acts as
    elif args.query or within is not None:
        entities = await ctx.resolver.candidates(kind, args.query or "", args.limit, within)
    else:  # searched kinds (clients, sites) list their first page
        entities = (await ctx.resolver.table(kind))[: args.limit]
    rows = [{"id": e.id, "name": e.name, **{c: e.record.get(c) for c in EXTRA_COLUMNS.get(kind, ())}} for e in entities]
    if kind == "team" and rows:
        handled = await ctx.resolver.derived("team categories", lambda: team_categories(ctx))
        for row, entity in zip(rows, entities, strict=True):
            row["handles"] = "; ".join(filter(None, [", ".join(handled.get(entity.name, [])), _team_use(entity)]))
    plural = SOURCES[kind].plural
    note = "" if rows else f"try a shorter query or lookup(kind='{kind}') without one"
    return list_output(plural, rows, note=note)


def _team_use(team: Entity) -> str:
    """What Halo's team record says it is for: requests, projects, opportunities, and its note."""
    uses = [word for flag, word in (("forprojects", "projects"), ("foropps", "opportunities")) if team.record.get(flag)]
    note = str(team.record.get("team_note") or "").strip()
    return ", ".join([*(["also " + " and ".join(uses)] if uses else []), *([note] if note else [])])


# -- users and clients ----------------------------------------------------------------------------------------

USER_COLUMNS = ("id", "name", "email", "phone", "client", "site")
OPEN_TICKETS_SHOWN = 10
_PHONE = re.compile(r"^\+?[\d\s().-]{5,}$")


def _user_row(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": record.get("id"),
        "name": record.get("name"),
        "email": record.get("emailaddress"),
        "phone": record.get("phonenumber") or record.get("mobilenumber"),
        "client": record.get("client_name"),
        "site": record.get("site_name"),
    }


class FindUsersArgs(Args):
    query: str | None = Field(None, description="name, email or phone")
    client: Ref | None = None
    site: Ref | None = None
    limit: Limit = 25
    cursor: str | None = None


@tool("directory", title="Find users", idempotent=True)
async def find_users(ctx: ToolContext, args: FindUsersArgs) -> ToolOutput:
    """Find end users by name, email or phone, optionally within a client or site."""
    params: dict[str, Any] = {}
    query = (args.query or "").strip()
    phone = _digits(query) if _PHONE.match(query) else ""
    if phone:
        # Numbers are stored in many formats: search on the last digits, then compare digits only.
        params.update(search=phone[-4:], search_phonenumbers=True)
    elif query:
        params["search"] = query
    client = await ctx.resolver.resolve_optional("client", args.client)
    site = await ctx.resolver.resolve_optional("site", args.site)
    if client:
        params["client_id"] = client.id
    if site:
        params["site_id"] = site.id
    listing = await fetch_page(ctx, "Users", "users", params, limit=args.limit, cursor=args.cursor)
    records = listing.rows
    total = listing.total
    if phone:
        key = phone[-9:]
        records = [r for r in records if any(key in _digits(str(r.get(f) or "")) for f in PHONE_FIELDS)]
        total = None if len(records) != len(listing.rows) else total
    elif query:
        records = sorted(records, key=lambda r: _closeness(query, r))
    rows = [_user_row(r) for r in records]
    note = "" if rows else "try part of the name, or drop the client/site filter"
    return list_output("users", rows, columns=USER_COLUMNS, total=total, next_cursor=listing.next_cursor, note=note)


PHONE_FIELDS = ("phonenumber", "mobilenumber", "mobilenumber2", "homenumber")


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _closeness(query: str, record: dict[str, Any]) -> int:
    """0 exact name or email, 1 prefix, 2 contains, 3 other: Halo's search matches loosely, best first here."""
    q = query.lower()
    names = [str(record.get(f) or "").lower() for f in ("name", "emailaddress")]
    if q in names:
        return 0
    if any(n.startswith(q) for n in names):
        return 1
    return 2 if any(q in n for n in names) else 3


class GetUserArgs(Args):
    user: Ref = Field(description="id, name or email")


USER_FIELDS = (
    "id", "name", "title", "emailaddress", "phonenumber", "mobilenumber", "client_id", "client_name", "site_id",
    "site_name", "inactive", "isimportantcontact", "login", "linked_agent_id", "notes",
)  # fmt: skip


@tool("directory", title="Get a user", idempotent=True)
async def get_user(ctx: ToolContext, args: GetUserArgs) -> ToolOutput:
    """A user's details and their open tickets."""
    entity = await ctx.resolver.resolve("user", args.user)
    record = await get_one(ctx, "Users", entity.id, "use find_users to search by name or email")
    out = compact(record, USER_FIELDS)
    page = await ctx.halo.list_page(
        "Tickets", "tickets", {"user_id": entity.id, "open_only": True}, page_size=OPEN_TICKETS_SHOWN
    )
    statuses = {e.id: e.name for e in await ctx.resolver.table("status")}
    agents = {e.id: e.name for e in await ctx.resolver.table("agent")} if page.rows else {}
    tickets = [
        compact(
            {
                "id": t.get("id"),
                "summary": t.get("summary"),
                "status": t.get("status_name") or statuses.get(t.get("status_id")),  # type: ignore[arg-type]
                "agent": t.get("agent_name") or agents.get(t.get("agent_id")),  # type: ignore[arg-type]
                "updated": t.get("lastactiondate") or t.get("last_update"),
            }
        )
        for t in page.rows
        if not t.get("hasbeenclosed")
    ]
    total = page.total if page.total is not None else len(tickets)
    out["open_ticket_count"] = total
    if tickets:
        out["open_tickets"] = tickets
    result = record_output(out)  # every field of a user is theirs or an agent's writing
    if total > len(tickets):
        result.text += f"\n(first {len(tickets)} open tickets; list_tickets(user=...) for all)"
    return result


CLIENT_FIELDS = ("id", "name", "toplevel_name", "ref", "is_vip", "open_ticket_count", "inactive")


class FindClientsArgs(Args):
    query: str | None = None
    limit: Limit = 25
    cursor: str | None = None


@tool("directory", title="Find clients", idempotent=True)
async def find_clients(ctx: ToolContext, args: FindClientsArgs) -> ToolOutput:
    """Find clients by name or ref, with open-ticket counts."""
    params: dict[str, Any] = {"showcounts": True}  # GET /Client declares showcounts (the *_ticket_count fields)
    if args.query:
        params["search"] = args.query.strip()
    listing = await fetch_page(ctx, "Client", "clients", params, limit=args.limit, cursor=args.cursor)
    counts = await open_tickets_per_client(ctx, [int(r["id"]) for r in listing.rows if r.get("id")])
    rows = []
    for record in listing.rows:
        row = compact(record, CLIENT_FIELDS)
        if counts is not None:  # counted by Halo's SQL: exact, whatever the list row carried
            row["open_ticket_count"] = counts.get(int(record.get("id") or 0), 0)
        rows.append(row)
    return list_output(
        "clients", rows, columns=CLIENT_FIELDS, total=listing.total, next_cursor=listing.next_cursor,
        note="" if rows else "try a shorter name",
    )  # fmt: skip

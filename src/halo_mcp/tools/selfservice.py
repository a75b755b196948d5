"""[selfservice] The end-user persona: tools that act as the signed-in end user, never as an agent.

Halo's API applications act as agents, so these tools need a Halo identity that IS the user (their own sign-in:
a user collection's tenant signs in as a person). They never filter an agent's view down to one user: what Halo
answers for the user's own login is what they see, and Halo refuses the rest (another user's ticket answers as a
missing one). Updates are user-visible actions only (`hiddenfromuser: false`, halo-api-facts §8).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from halo_mcp.halo.errors import HaloNotFound
from halo_mcp.tools.errors import ToolError
from halo_mcp.tools.framework import Args, Audience, ToolContext, ToolOutput, tool
from halo_mcp.tools.paging import Limit
from halo_mcp.tools.render import compact, list_output, record_output
from halo_mcp.tools.tickets import action_row, ticket_record

USER: tuple[Audience, ...] = ("user",)
MY_COLUMNS = ("id", "summary", "status", "updated")
MY_FIELDS = ("id", "summary", "status", "ticket_type", "opened", "updated", "closed", "fix_by")


class MyTicketsArgs(Args):
    open_only: bool = True
    limit: Limit = 20


@tool("selfservice", title="My tickets", audiences=USER, idempotent=True)
async def my_tickets(ctx: ToolContext, args: MyTicketsArgs) -> ToolOutput:
    """The signed-in user's own tickets, newest first."""
    params: dict[str, Any] = {"order": "dateoccurred", "orderdesc": True}
    if args.open_only:
        params["open_only"] = True
    page = await ctx.halo.list_page("Tickets", "tickets", params, page_size=args.limit)
    rows = [
        compact(
            {
                "id": t.get("id"),
                "summary": t.get("summary"),
                "status": t.get("status_name"),
                "updated": t.get("lastactiondate"),
            }
        )
        for t in page.rows
    ]
    note = "" if rows else ("no open tickets; open_only=false shows closed ones too" if args.open_only else "")
    return list_output("tickets", rows, total=page.total, note=note)


class MyTicketArgs(Args):
    id: int


@tool("selfservice", title="Get one of my tickets", audiences=USER, idempotent=True)
async def get_my_ticket(ctx: ToolContext, args: MyTicketArgs) -> ToolOutput:
    """One of the user's own tickets with its updates visible to them."""
    ticket = await _own(ctx, args.id)
    record = {k: v for k, v in ticket_record(ticket).items() if k in MY_FIELDS}
    actions = await ctx.halo.list_page("Actions", "actions", {"ticket_id": args.id}, page_size=20)
    shown = [action_row(a, full=False) for a in actions.rows if not a.get("hiddenfromuser")]
    out = record_output(record)
    if shown:
        out.text += "\n" + list_output("updates", shown).text
    return out


class LogTicketArgs(Args):
    summary: str = Field(min_length=1)
    details: str = Field(min_length=1)


@tool("selfservice", kind="write", title="Log a ticket", audiences=USER)
async def log_ticket(ctx: ToolContext, args: LogTicketArgs) -> ToolOutput:
    """Log a new ticket for the signed-in user."""
    body: dict[str, Any] = {"summary": args.summary, "details": args.details}
    if ctx.created_tag:
        body["tags"] = [{"text": ctx.created_tag}]
    saved = await ctx.halo.post("Tickets", [body])
    row = saved[0] if isinstance(saved, list) and saved else saved
    ticket_id = row.get("id") if isinstance(row, dict) else None
    if not ticket_id:
        raise ToolError("Halo accepted the ticket but returned no id; check my_tickets before logging it again")
    return ToolOutput(text=f"logged ticket {ticket_id}: {args.summary}", affected=[f"ticket:{ticket_id}"])


class UpdateMyTicketArgs(Args):
    id: int
    note: str = Field(min_length=1, description="what to tell the service desk")


@tool("selfservice", kind="write", title="Update my ticket", audiences=USER)
async def update_my_ticket(ctx: ToolContext, args: UpdateMyTicketArgs) -> ToolOutput:
    """Add a reply to one of the user's own tickets (visible to the service desk and the user)."""
    await _own(ctx, args.id)
    saved = await ctx.halo.post("Actions", [{"ticket_id": args.id, "note": args.note, "hiddenfromuser": False}])
    row = saved[0] if isinstance(saved, list) and saved else saved
    action_id = row.get("id") if isinstance(row, dict) else None
    return ToolOutput(text=f"added your update to ticket {args.id}", affected=[f"action:{args.id}/{action_id}"])


class NoArgs(Args):
    pass


@tool("selfservice", title="My details", audiences=USER, idempotent=True)
async def get_my_details(ctx: ToolContext, args: NoArgs) -> ToolOutput:
    """Who the signed-in user is to Halo: name, e-mail, organisation, site."""
    me = await ctx.halo.get("Users/me")
    if not isinstance(me, dict):
        raise ToolError("Halo returned no user for this sign-in; is it an end user's login?")
    return record_output(
        compact({"id": me.get("id"), "name": me.get("name"), "email": me.get("emailaddress"),
                 "client": me.get("client_name"), "site": me.get("site_name"), "phone": me.get("phonenumber")})
    )  # fmt: skip


async def _own(ctx: ToolContext, ticket_id: int) -> dict[str, Any]:
    """The ticket as the user's login sees it; Halo answers another user's ticket as missing."""
    try:
        ticket = await ctx.halo.get(f"Tickets/{ticket_id}")
    except HaloNotFound:
        raise ToolError(f"no ticket {ticket_id} of yours; my_tickets lists them") from None
    if not isinstance(ticket, dict):
        raise ToolError(f"no ticket {ticket_id} of yours; my_tickets lists them")
    return ticket

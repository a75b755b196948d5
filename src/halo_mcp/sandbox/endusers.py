"""End-user logins: what a token signed in as an end user (not an agent) may see and do.

Halo's API applications log in as an agent unless their login type is a user; a user's own sign-in acts as that
user, and Halo applies the user's permissions server-side. The exact rules for an end-user API login are not in
the spec or halo-api-facts, so these are a sandbox convention, deliberately narrow, mirroring Halo's self-service
portal: their own tickets (`GET /Tickets` shows only them; another user's ticket is 404, not 403, so its
existence is not revealed), the actions on them that are visible to users, new tickets and user-visible updates
on their own tickets only, the knowledge base, the service catalogue, ticket types users may select, and
`/Users/me`, and starting a runbook (`POST /Automation/{id}`; "Execute a Runbook" is a user function in seed
002). Everything else answers 403.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from halo_mcp.sandbox.errors import forbidden, not_found
from halo_mcp.sandbox.query import as_int

if TYPE_CHECKING:
    from halo_mcp.sandbox.api import Api, Ctx, Reply

READABLE = frozenset({"Tickets", "Actions", "KBArticle", "Service", "ServiceCategory", "TicketType", "Users"})
WRITABLE = frozenset({"Tickets", "Actions"})


def serve(api: Api, ctx: Ctx) -> Reply:
    user_id = ctx.token.user_id
    assert user_id is not None
    name = ctx.res.name
    writes = ctx.method != "GET"
    if ctx.sub == "me":
        return api.me(ctx)  # /Users/me and /Client/me are theirs; /Agent/me answers 404 (they are no agent)
    if name == "Automation" and ctx.method == "POST" and ctx.item_id is not None:
        return api.automation(ctx)  # "Execute a Runbook" is one of Halo's user functions (seed 002)
    if (writes and name not in WRITABLE) or name not in READABLE:
        raise forbidden(f"End-user logins cannot {'change' if writes else 'read'} /{name}")
    if name == "Users":
        if ctx.item_id in (None, str(user_id)):
            user = api.store.lookup("Users", user_id)
            if user is None:
                raise not_found("User not found")
            if ctx.item_id is None:
                raise forbidden("End-user logins cannot list users; use /Users/me")
            from halo_mcp.sandbox.api import Reply

            return Reply(body=api.render(ctx.res, user))
        raise not_found(f"User {ctx.item_id} not found")
    if name == "Tickets":
        if ctx.method == "GET" and ctx.item_id is None:
            ctx.query["user_id"] = [str(user_id)]
            return api.list_(ctx)
        if ctx.method == "GET":
            _own_ticket(api, ctx.item_id, user_id)
            return api.get_one(ctx)
        if ctx.method == "POST":
            items = _items(ctx.body)
            for item in items:
                if item.get("id"):
                    _own_ticket(api, item["id"], user_id)
                if item.get("user_id") not in (None, user_id):
                    raise forbidden("End-user logins log tickets for themselves only")
                item["user_id"] = user_id
            ctx.body = json.dumps(items).encode()
            return api.post(ctx)
        raise forbidden("End-user logins cannot delete tickets")
    if name == "Actions":
        if ctx.method == "GET":
            ticket_id = as_int(ctx.query, "ticket_id")
            if ticket_id is None and ctx.item_id is None:
                raise forbidden("End-user logins list the actions of one of their tickets: pass ticket_id")
            _own_ticket(api, ticket_id, user_id)
            reply = api.get_one(ctx) if ctx.item_id is not None else api.list_(ctx)
            return _visible(reply, ctx.item_id)
        if ctx.method == "POST":
            items = _items(ctx.body)
            for item in items:
                if item.get("id"):
                    raise forbidden("End-user logins cannot edit actions")
                _own_ticket(api, item.get("ticket_id"), user_id)
                outcome = api.store.lookup("Outcome", item.get("outcome_id")) if item.get("outcome_id") else None
                if item.get("hiddenfromuser") or (outcome or {}).get("hidefromuser"):
                    raise forbidden("End-user logins can only add actions visible to users")
                item["hiddenfromuser"] = False
            ctx.body = json.dumps(items).encode()
            return api.post(ctx)
        raise forbidden("End-user logins cannot delete actions")
    if writes:
        raise forbidden(f"End-user logins cannot change /{name}")
    if name == "TicketType" and ctx.item_id is not None:
        found = api.store.lookup("TicketType", int(ctx.item_id)) if ctx.item_id.isdigit() else None
        if found is None or not found.get("enduserscanselect"):
            raise not_found(f"Ticket type {ctx.item_id} not found")
    return api.get_one(ctx) if ctx.item_id is not None else api.list_(ctx)


def _own_ticket(api: Api, ticket_id: Any, user_id: int) -> None:
    """Another user's ticket answers as a missing one."""
    ticket = api.store.get("Tickets", int(ticket_id)) if str(ticket_id or "").isdigit() else None
    if ticket is None or ticket.get("user_id") != user_id:
        raise not_found(f"Ticket {ticket_id} not found")


def _items(body: bytes) -> list[dict[str, Any]]:
    try:
        payload = json.loads(body or b"null")
    except ValueError:
        return []
    rows = payload if isinstance(payload, list) else [payload]
    return [dict(r) for r in rows if isinstance(r, dict)]


def _visible(reply: Reply, item_id: str | None) -> Reply:
    """Only actions visible to users: a hidden one answers as missing; lists drop them."""
    body = reply.body
    if item_id is not None:
        if isinstance(body, dict) and body.get("hiddenfromuser"):
            raise not_found(f"Action {item_id} not found")
        return reply
    if isinstance(body, dict) and isinstance(body.get("actions"), list):
        shown = [a for a in body["actions"] if not (isinstance(a, dict) and a.get("hiddenfromuser"))]
        reply.body = {**body, "actions": shown, "record_count": len(shown)}
    return reply

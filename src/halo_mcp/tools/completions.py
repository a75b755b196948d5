"""Suggestions while a person fills in a prompt argument or a resource-template parameter (`completion/complete`).

Values come from the resolver's lookup caches (teams, agents, ticket types: whole tables; clients: Halo's search,
cached per query) and from short-lived per-client lists (a client's sites, recent tickets, recent articles), so
typing costs at most one Halo request per list and TTL. Once a client is chosen (the request's context
arguments), sites and recent tickets are that client's. A reference or argument we do not know, and any lookup
that fails, get an empty list: a suggestion must never turn into an error.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Mapping
from typing import Any

import mcp_types as types

from halo_mcp.halo.client import HaloClient, rows_of
from halo_mcp.halo.errors import HaloError
from halo_mcp.tools import content
from halo_mcp.tools.errors import ToolError
from halo_mcp.tools.framework import Selection, ToolContext
from halo_mcp.tools.resolve import normalise

COMPLETION_LIMIT = 100  # the spec's cap on values in one answer
LIST_TTL = 120.0  # seconds a client's sites or the recent tickets are reused between keystrokes
RECENT = 50  # recent tickets or articles offered for an id

# Prompt argument or template parameter -> what it names.
PROMPT_ARGUMENTS = {
    "client": "client", "site": "site", "team": "team", "agent": "agent", "to": "agent",
    "ticket_type": "tickettype", "ticket_id": "ticket",
}  # fmt: skip
TEMPLATE_PARAMETERS = {("halo://tickets/{id}", "id"): "ticket", ("halo://kb/{id}", "id"): "kb"}
TABLES = ("team", "agent", "tickettype")

# Per Halo client (so one tenant never sees another's), per list: (expiry, values).
_lists: weakref.WeakKeyDictionary[HaloClient, dict[tuple[str, int | None], tuple[float, list[str]]]] = (
    weakref.WeakKeyDictionary()
)


def _what(
    selection: Selection, ref: types.PromptReference | types.ResourceTemplateReference, argument: str
) -> str | None:
    """What the argument names, for a prompt or template this surface offers (others are unknown here: a
    collection without tickets must not suggest client names)."""
    if isinstance(ref, types.PromptReference):
        prompt = next((p for p in content.prompts(selection) if p.name == ref.name), None)
        if prompt is None or argument not in {a.name for a in prompt.arguments or []}:
            return None
        return PROMPT_ARGUMENTS.get(argument)
    if ref.uri not in {t.uri_template for t in content.templates(selection)}:
        return None
    return TEMPLATE_PARAMETERS.get((ref.uri, argument))


async def complete(ctx: ToolContext, params: types.CompleteRequestParams) -> types.CompleteResult:
    what = _what(ctx.selection, params.ref, params.argument.name)
    chosen = params.context.arguments if params.context and params.context.arguments else {}
    values: list[str] = []
    if what is not None:
        try:
            values = await _values(ctx, what, params.argument.value, chosen)
        except (ToolError, HaloError):
            values = []
    return types.CompleteResult(
        completion=types.Completion(
            values=values[:COMPLETION_LIMIT], total=len(values), has_more=len(values) > COMPLETION_LIMIT
        )
    )


async def _values(ctx: ToolContext, what: str, typed: str, chosen: Mapping[str, str]) -> list[str]:
    if what in TABLES:
        names = [e.name for e in await ctx.resolver.table(what)]
        return matching(names, typed)
    client = await _client_id(ctx, chosen.get("client"))
    if what == "client":
        return matching([e.name for e in await ctx.resolver.candidates("client", typed, limit=25)], typed)
    if what == "site":
        if client is None:
            return matching([e.name for e in await ctx.resolver.candidates("site", typed, limit=25)], typed)
        return matching(await _listed(ctx, "site", client), typed)
    ids = await _listed(ctx, what, client)
    digits = typed.strip().lstrip("#")
    return [i for i in ids if i.startswith(digits)]


def matching(names: list[str], typed: str) -> list[str]:
    """Names that start with what was typed first, then names containing it; each once, in table order."""
    q = normalise(typed)
    starts = [n for n in names if normalise(n).startswith(q) or any(w.startswith(q) for w in normalise(n).split())]
    contains = [n for n in names if q in normalise(n) and n not in starts]
    return list(dict.fromkeys(starts + contains))


async def _client_id(ctx: ToolContext, value: str | None) -> int | None:
    """The chosen client's id, or None when none (or no single one) is chosen: suggestions are then unscoped."""
    if not value or not value.strip():
        return None
    try:
        return (await ctx.resolver.resolve("client", value)).id
    except ToolError:
        return None


async def _listed(ctx: ToolContext, what: str, client: int | None) -> list[str]:
    """A client's site names, or the ids of recently updated tickets (of a client) or articles, briefly cached."""
    lists = _lists.setdefault(ctx.halo, {})
    key = (what, client)
    cached = lists.get(key)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    scope: dict[str, Any] = {"client_id": client} if client is not None else {}
    values: list[str]
    if what == "site":
        data = await ctx.halo.get("Site", {**scope, "pageinate": True, "page_size": COMPLETION_LIMIT, "page_no": 1})
        values = [str(r["name"]) for r in rows_of(data, "sites") if r.get("name")]
    elif what == "ticket":
        params = {**scope, "order": "last_update", "orderdesc": True, "pageinate": True, "page_size": RECENT}
        values = [str(r["id"]) for r in rows_of(await ctx.halo.get("Tickets", params), "tickets") if r.get("id")]
    else:
        params = {"order": "date_edited", "orderdesc": True, "pageinate": True, "page_size": RECENT}
        values = [str(r["id"]) for r in rows_of(await ctx.halo.get("KBArticle", params), "articles") if r.get("id")]
    lists[key] = (time.monotonic() + LIST_TTL, values)
    return values

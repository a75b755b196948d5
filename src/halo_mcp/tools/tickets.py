"""[tickets] Tickets and Halo's Action architecture.

A Halo ticket's fields are edited with an upsert (`POST /Tickets [{id, ...}]`), but notes, emails, status
changes, reassignment and time spent are *actions* (`POST /Actions`). The tools make that split explicit so a
model never tries to patch a ticket for a note or a status change. Every entity argument takes a name or an id,
resolved server-side from cached lookup tables.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import Field, model_validator

from halo_mcp.halo.client import PAGE_CAP, rows_of
from halo_mcp.halo.errors import HaloNotFound, HaloValidationError
from halo_mcp.tools.errors import ToolError
from halo_mcp.tools.framework import Args, ToolContext, ToolOutput, tool
from halo_mcp.tools.render import (
    compact,
    decode_cursor,
    encode_cursor,
    halo_datetime,
    html_to_text,
    list_output,
    pairs,
    render_record,
    short_date,
    text_field,
    truncate,
)
from halo_mcp.tools.resolve import Entity, Ref, normalise

DETAILS_LIMIT = 4000
NOTE_LIMIT = 300
SLA_SCAN_PAGES = 5  # Halo pages (of 100) read per call when filtering on SLA state client-side
AT_RISK = 0.75  # share of the fix window used after which an open ticket is "at risk"
AT_RISK_HOURS = 4.0  # ... or when its fix-by time is closer than this

# list_tickets columns and the Halo fields each is read from (first non-empty wins). A 50-row page must cost at
# most a quarter of Halo's JSON counting text AND structuredContent, so the default is what triage needs; `user`,
# `opened` and any Halo field are one `fields=[...]` away. Dates are days (get_ticket has the times).
COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id",),
    "summary": ("summary",),
    "status": ("status_name",),
    "priority": ("priority_name",),
    "client": ("client_name",),
    "agent": ("agent_name",),
    "team": ("team",),
    "sla": (),  # derived: breached / at risk
    "updated": ("lastactiondate", "last_update"),
    "user": ("user_name",),
    "opened": ("dateoccurred", "datecreated"),
}
DEFAULT_COLUMNS = ("id", "summary", "status", "priority", "client", "agent", "team", "sla", "updated")
# Admin configuration or the server's own words: shown bare (render.py says why); any other text is delimited.
CLOSED_FIELDS = frozenset({"status", "priority", "ticket_type", "agent", "team", "category", "sla", "sla_state",
                           "outcome"})  # fmt: skip
FOLDABLE = ("status", "priority", "client", "agent", "team", "user")  # same in every row -> said once
_SHORT_PRIORITY = re.compile(r"^(P\d+)\s*[-–:]")


# -- shared helpers ------------------------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC)


def _is_closed(row: Mapping[str, Any]) -> bool:
    return bool(row.get("hasbeenclosed")) or halo_datetime(row.get("dateclosed")) is not None


def sla_state(row: Mapping[str, Any], now: datetime | None = None) -> str:
    """'breached', 'at risk' or '' (fine, met, on hold, no SLA) for a ticket row.

    Halo's own verdict wins: `slastate` (single-ticket reads), else `slatimeleft`/`slapercused` (list rows:
    negative time left is breached, AT_RISK of the window used is at risk). Failing both, dates decide: past the
    fix-by (or, unanswered, the respond-by) date is breached; AT_RISK of the window used or less than
    AT_RISK_HOURS left is at risk. Closed and SLA-excluded tickets are never flagged; on-hold ones only when
    already past their deadline.
    """
    state = str(row.get("slastate") or "").strip().lower()
    if state:
        if "breach" in state or state in ("o", "out"):
            return "" if _is_closed(row) else "breached"
        return "at risk" if "risk" in state else ""
    if _is_closed(row) or row.get("excludefromsla"):
        return ""
    left, used = row.get("slatimeleft"), row.get("slapercused")
    if isinstance(left, int | float) and row.get("fixbydate"):
        if left < 0:
            return "breached"
        return "at risk" if not row.get("onhold") and isinstance(used, int | float) and used >= AT_RISK * 100 else ""
    now = now or _now()
    fix_by = halo_datetime(row.get("fixbydate"))
    respond_by = None if halo_datetime(row.get("responsedate")) else halo_datetime(row.get("respondbydate"))
    if any(d < now for d in (fix_by, respond_by) if d is not None):
        return "breached"
    if fix_by is None or row.get("onhold"):
        return ""
    opened = halo_datetime(row.get("dateoccurred"))
    if opened and fix_by > opened and (now - opened) / (fix_by - opened) >= AT_RISK:
        return "at risk"
    return "at risk" if fix_by < now + timedelta(hours=AT_RISK_HOURS) else ""


def _date_param(value: str | None, name: str) -> str | None:
    """Validate an ISO date/datetime argument and pass it to Halo unchanged."""
    if value is None:
        return None
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ToolError(f"{name}: {value!r} is not an ISO date; use e.g. 2026-01-31 or 2026-01-31T09:00") from None
    return value


def _hours_to_minutes(hours: Any) -> int | None:
    try:
        minutes = round(float(hours) * 60)
    except (TypeError, ValueError):
        return None
    return minutes or None


async def _fetch_ticket(ctx: ToolContext, ticket_id: int) -> dict[str, Any]:
    """The full ticket, or a ToolError the model can act on (a 404 is not a stale lookup)."""
    try:
        record = await ctx.halo.get(f"Tickets/{ticket_id}", {"includedetails": True})
    except HaloNotFound:
        raise ToolError(f"no ticket {ticket_id} in Halo; find it with list_tickets(search=...)") from None
    if not isinstance(record, dict) or not record.get("id"):
        raise ToolError(f"no ticket {ticket_id} in Halo; find it with list_tickets(search=...)")
    return record


# Which resolver kind each entity argument names (the `new_*` arguments of actions use the same kinds).
ARG_KINDS = {
    "client": "client", "site": "site", "user": "user", "agent": "agent", "team": "team", "status": "status",
    "priority": "priority", "ticket_type": "tickettype", "category": "category",
}  # fmt: skip


async def _resolve_all(ctx: ToolContext, refs: Mapping[str, Ref | None]) -> dict[str, Entity]:
    """Resolve named arguments (keys of ARG_KINDS) concurrently: cold lookups overlap, warm ones cost nothing."""
    wanted = {arg: value for arg, value in refs.items() if value is not None and value != ""}
    results = await asyncio.gather(*(ctx.resolver.resolve(ARG_KINDS[arg], value) for arg, value in wanted.items()))
    return dict(zip(wanted, results, strict=True))


def _with_id(name: Any, ident: Any) -> Any:
    return name if not ident or ident in (0, -1) else (f"{name} (id {ident})" if name else ident)


# -- list_tickets --------------------------------------------------------------------------------------------


class ListTicketsArgs(Args):
    client: Ref | None = None
    site: Ref | None = None
    user: Ref | None = None
    agent: Ref | None = Field(None, description="name, id or 'me'")
    team: Ref | None = None
    status: Ref | None = None
    priority: Ref | None = None
    ticket_type: Ref | None = None
    category: Ref | None = None
    state: Literal["open", "closed", "all"] = "open"
    sla: Literal["breached", "at_risk"] | None = None
    created_from: str | None = Field(None, description="ISO date")
    created_to: str | None = None
    updated_from: str | None = None
    updated_to: str | None = None
    search: str | None = Field(None, description="free text")
    fields: list[str] | None = Field(None, description="more columns: user, opened or Halo fields")
    limit: int = Field(25, ge=1, le=100)
    cursor: str | None = None


def _query_hash(args: ListTicketsArgs) -> str:
    """Identity of a query for its cursors: everything but the paging arguments."""
    spec = args.model_dump(exclude={"cursor", "limit"}, exclude_none=True)
    return hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode()).hexdigest()[:10]


async def _list_params(ctx: ToolContext, args: ListTicketsArgs) -> dict[str, Any]:
    found = await _resolve_all(ctx, {arg: getattr(args, arg) for arg in ARG_KINDS})
    # Param names are those of GET /Tickets in Halo's OpenAPI description ("array of int" filters take ids).
    halo_names = {
        "client": "client_id", "site": "site_id", "user": "user_id", "agent": "agent_id", "team": "team",
        "status": "status_id", "priority": "priority", "ticket_type": "requesttype_id", "category": "category_1",
    }  # fmt: skip
    params: dict[str, Any] = {halo_names[arg]: entity.id for arg, entity in found.items()}
    if args.state == "open" or args.sla:
        params["open_only"] = True
    elif args.state == "closed":
        params["closed_only"] = True
    if args.created_from or args.created_to:
        params["datesearch"] = "dateoccured"  # sic: Halo's spelling
        params["startdate"] = _date_param(args.created_from, "created_from")
        params["enddate"] = _date_param(args.created_to, "created_to")
    params["lastupdatefromdate"] = _date_param(args.updated_from, "updated_from")
    params["lastupdatetodate"] = _date_param(args.updated_to, "updated_to")
    if args.search:
        params["search"] = args.search
    params["order"] = "id"
    params["orderdesc"] = True  # newest first, stable across pages
    return {k: v for k, v in params.items() if v is not None}


NAME_FIELDS = (("status", "status_id", "status_name"), ("priority", "priority_id", "priority_name"),
               ("agent", "agent_id", "agent_name"))  # fmt: skip


async def _fill_names(ctx: ToolContext, tickets: list[dict[str, Any]]) -> None:
    """Halo's list rows carry ids without names for status, priority and agent: add them from cached tables."""
    for kind, id_field, name_field in NAME_FIELDS:
        if not any(t.get(id_field) and not t.get(name_field) for t in tickets):
            continue
        names = {e.id: e.name for e in await ctx.resolver.table(kind)}
        for t in tickets:
            if t.get(id_field) and not t.get(name_field):
                t[name_field] = names.get(t[id_field])


def _action_order(a: Mapping[str, Any]) -> tuple[datetime, float]:
    """Newest first whatever the date form (naive or `Z`, any fraction length) and id type (int or double)."""
    when = halo_datetime(a.get("datetime")) or datetime.min.replace(tzinfo=UTC)
    return when, float(a.get("id") or 0)


def _nested_names(ticket: dict[str, Any]) -> None:
    """A single read nests `priority{}` and `tickettype{}` instead of flat names (facts §17): lift their names."""
    for nested, name_field in (("priority", "priority_name"), ("tickettype", "tickettype_name")):
        inner = ticket.get(nested)
        if isinstance(inner, Mapping) and inner.get("name") and not ticket.get(name_field):
            ticket[name_field] = inner["name"]


async def _fill_authors(ctx: ToolContext, actions: list[dict[str, Any]]) -> None:
    """Every history entry names its author: Halo's `who`, else the agent behind `who_agentid`."""
    if all(a.get("who") or not a.get("who_agentid") for a in actions):
        return
    agents = {e.id: e.name for e in await ctx.resolver.table("agent")}
    for a in actions:
        if not a.get("who") and a.get("who_agentid"):
            a["who"] = agents.get(int(a["who_agentid"]))


def _row(ticket: Mapping[str, Any], columns: Sequence[str], extra: Sequence[str], now: datetime) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column in columns:
        if column == "sla":
            out["sla"] = sla_state(ticket, now)
            continue
        out[column] = next((ticket[s] for s in COLUMNS[column] if ticket.get(s) not in (None, "")), None)
    for column in ("updated", "opened"):
        if isinstance(out.get(column), str):
            out[column] = short_date(out[column])[:10]
    short = _SHORT_PRIORITY.match(str(out.get("priority") or ""))
    if short:
        out["priority"] = short.group(1)  # "P2 - High" -> "P2": still resolvable as a name
    for name in extra:
        value = ticket.get(name)
        if isinstance(value, str) and name in ("details", "details_html"):
            value = truncate(html_to_text(value), 200)
        out[name] = value
    return compact(out)


@tool("tickets", title="List tickets", idempotent=True)
async def list_tickets(ctx: ToolContext, args: ListTicketsArgs) -> ToolOutput:
    """List tickets, newest first (open only unless state is set). Filters take names or ids."""
    query = _query_hash(args)
    page_size = min(args.limit, PAGE_CAP)
    page_no, offset = 1, 0
    if args.cursor:
        state = decode_cursor(args.cursor)
        if state.get("q") != query:
            raise ToolError("this cursor belongs to a different list_tickets query; repeat the same filters or drop it")
        page_no, offset = int(state.get("p", 1)), int(state.get("o", 0))
        page_size = int(state.get("s", page_size))
    params = await _list_params(ctx, args)
    now = _now()
    asked = args.fields or []
    columns = [*DEFAULT_COLUMNS, *(f for f in asked if f in COLUMNS and f not in DEFAULT_COLUMNS)]
    extra = [f for f in asked if f not in COLUMNS]
    if args.sla:
        rows, next_state, scanned = await _scan_sla(ctx, params, args, page_no, offset, now)
        total: int | None = None
        note = f"SLA state checked on {scanned} open tickets"
    else:
        page = await ctx.halo.list_page("Tickets", "tickets", params, page_no=page_no, page_size=page_size)
        rows, total, note = page.rows, page.total, ""
        more = page_no * page_size < total if total is not None else len(rows) >= page_size
        next_state = {"p": page_no + 1, "s": page_size} if more and rows else None
    await _fill_names(ctx, rows)
    out_rows = [_row(r, columns, extra, now) for r in rows]
    same = _fold_constant_columns(out_rows)
    if same:
        note = (note + ". " if note else "") + "every row: " + pairs(same, CLOSED_FIELDS)
    missing = [f for f in extra if not any(f in r for r in rows)]
    if missing and rows:
        note = (note + ". " if note else "") + f"not in list rows: {', '.join(missing)} (see get_ticket)"
    cursor = encode_cursor({**next_state, "q": query}) if next_state else None
    if not out_rows and args.state == "open" and not args.sla:
        note = "state='all' includes closed tickets"
    shown = [c for c in [*columns, *extra] if c not in same]
    out = list_output("tickets", out_rows, columns=shown, total=total, next_cursor=cursor, note=note)
    if same and isinstance(out.structured, dict):
        out.structured["same"] = same
    return out


def _fold_constant_columns(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Columns with one value in every row (typically the filtered ones) are said once, not fifty times."""
    if len(rows) < 3:
        return {}
    same: dict[str, Any] = {}
    for column in FOLDABLE:
        values = {r.get(column) for r in rows}
        if len(values) == 1 and None not in values:
            same[column] = values.pop()
            for r in rows:
                del r[column]
    return same


async def _scan_sla(
    ctx: ToolContext, params: dict[str, Any], args: ListTicketsArgs, page_no: int, offset: int, now: datetime
) -> tuple[list[dict[str, Any]], dict[str, Any] | None, int]:
    """Filter on SLA state client-side, resumably.

    Halo has no list filter for "breached" or "at risk" in every version, so open tickets are read in pages of
    100 and filtered here on `slastate`/`fixbydate`/`respondbydate` (see `sla_state`). The scan stops when
    `limit` matches are found or SLA_SCAN_PAGES pages were read; the cursor records the Halo page and the row
    offset inside it, so the next call resumes exactly where this one stopped: nothing skipped or repeated.
    """
    wanted = "breached" if args.sla == "breached" else "at risk"
    found: list[dict[str, Any]] = []
    scanned = 0
    for _ in range(SLA_SCAN_PAGES):
        page = await ctx.halo.list_page("Tickets", "tickets", params, page_no=page_no, page_size=PAGE_CAP)
        rows = page.rows
        for index in range(offset, len(rows)):
            scanned += 1
            if sla_state(rows[index], now) == wanted:
                found.append(rows[index])
                if len(found) == args.limit:
                    last = index + 1 < len(rows) or _has_more(page.total, page_no, len(rows))
                    nxt = {"p": page_no, "o": index + 1} if index + 1 < len(rows) else {"p": page_no + 1, "o": 0}
                    return found, (nxt if last else None), scanned
        if not _has_more(page.total, page_no, len(rows)):
            return found, None, scanned
        page_no, offset = page_no + 1, 0
    return found, {"p": page_no, "o": 0}, scanned


def _has_more(total: int | None, page_no: int, got: int) -> bool:
    return page_no * PAGE_CAP < total if total is not None else got >= PAGE_CAP


# -- get_ticket ----------------------------------------------------------------------------------------------


class GetTicketArgs(Args):
    id: int
    actions: int = Field(0, ge=0, le=50, description="last N actions")
    assets: bool = Field(False, description="linked assets")
    full: bool = Field(False, description="untruncated details and notes")


def ticket_record(t: Mapping[str, Any]) -> dict[str, Any]:
    """Key fields of a full ticket, names beside ids, Halo's timetaken (hours) shown in minutes."""
    categories = [t.get(f"category_{i}") for i in range(1, 5)]
    custom = {
        str(cf.get("label") or cf.get("name")): cf.get("display") or cf.get("value")
        for cf in t.get("customfields") or []
        if isinstance(cf, Mapping) and (cf.get("display") or cf.get("value")) not in (None, "", 0)
    }
    record = {
        "id": t.get("id"),
        "summary": t.get("summary"),
        "status": _with_id(t.get("status_name"), t.get("status_id")),
        "priority": _with_id(t.get("priority_name"), t.get("priority_id")),
        "ticket_type": _with_id(t.get("tickettype_name"), t.get("tickettype_id")),
        "client": _with_id(t.get("client_name"), t.get("client_id")),
        "site": _with_id(t.get("site_name"), t.get("site_id")),
        "user": _with_id(t.get("user_name"), t.get("user_id")),
        "user_email": t.get("user_email"),
        "agent": _with_id(t.get("agent_name"), t.get("agent_id")),
        "team": t.get("team"),
        "category": ", ".join(c for c in categories if c),
        "impact": t.get("impact"),
        "urgency": t.get("urgency"),
        "sla": t.get("sla_name"),
        "sla_state": sla_state(t),
        "opened": t.get("dateoccurred"),
        "respond_by": t.get("respondbydate"),
        "responded": t.get("responsedate"),
        "fix_by": t.get("fixbydate"),
        "updated": t.get("lastactiondate") or t.get("last_update"),
        "closed": t.get("dateclosed"),
        "time_minutes": _hours_to_minutes(t.get("timetaken")),
        "on_hold": t.get("onhold") or None,
        "parent_id": t.get("parent_id"),
        "custom": custom,
    }
    return compact(record)


def action_row(a: Mapping[str, Any], full: bool) -> dict[str, Any]:
    note = text_field(a, "note")
    if not full:
        note = truncate(note, NOTE_LIMIT, "full=true")
    return compact(
        {
            "n": a.get("id"),
            "when": a.get("datetime") or a.get("actiondatecreated"),
            "who": a.get("who"),
            "outcome": a.get("outcome") or a.get("outcome_name"),
            "private": True if a.get("hiddenfromuser") else None,
            "minutes": _hours_to_minutes(a.get("timetaken")),
            "status": a.get("new_status_name"),
            "note": note,
        }
    )


def asset_row(a: Mapping[str, Any]) -> dict[str, Any]:
    return compact(
        {
            "id": a.get("id"),
            "tag": a.get("inventory_number"),
            "name": a.get("key_field"),
            "type": a.get("assettype_name"),
            "user": a.get("username"),
        }
    )


@tool("tickets", title="Get ticket", idempotent=True)
async def get_ticket(ctx: ToolContext, args: GetTicketArgs) -> ToolOutput:
    """One ticket in full: fields, details, optionally its last actions and linked assets."""
    calls: list[Any] = [_fetch_ticket(ctx, args.id)]
    if args.actions:
        calls.append(ctx.halo.get("Actions", {"ticket_id": args.id, "excludesys": True}))
    results = await asyncio.gather(*calls)
    ticket: dict[str, Any] = results[0]
    _nested_names(ticket)
    await _fill_names(ctx, [ticket])
    record = ticket_record(ticket)
    details = text_field(ticket, "details")
    if details:
        if not args.full:
            details = truncate(details, DETAILS_LIMIT, f"get_ticket(id={args.id}, full=true) for all")
        record["details"] = details
    if args.actions:
        actions = rows_of(results[1], "actions")
        actions.sort(key=_action_order, reverse=True)
        await _fill_authors(ctx, actions[: args.actions])
        record["actions"] = [action_row(a, args.full) for a in actions[: args.actions]]
    if args.assets:
        assets = [asset_row(a) for a in ticket.get("assets") or [] if isinstance(a, Mapping)]
        record["assets"] = assets or "none linked"
    text = render_record(record, CLOSED_FIELDS)
    return ToolOutput(text=text, structured=record)


# -- create_ticket / update_ticket ---------------------------------------------------------------------------

# Halo's words in validation messages -> the argument that fixes them.
_FIELD_ARGS = {
    "details": "details", "detail": "details", "description": "details", "summary": "summary", "category": "category",
    "category_1": "category", "categoryid_1": "category", "user": "user", "user_id": "user", "end user": "user",
    "site": "site", "site_id": "site", "client": "client", "client_id": "client", "impact": "impact",
    "urgency": "urgency", "priority": "priority", "priority_id": "priority", "team": "team", "agent": "agent",
}  # fmt: skip
_REQUIRED = re.compile(r"(?i)\b([a-z_][a-z_0-9 ]{0,30}?)\s+(?:is|are)\s+(?:required|mandatory)")
_MANDATORY_LIST = re.compile(r"(?i)(?:mandatory|required)[^:]*:\s*(.+)$")


def _needed_args(message: str) -> list[str]:
    """Halo's names of missing fields ("Category is required", "...mandatory for ticket type 'X': A, B")."""
    words: list[str] = []
    listed = _MANDATORY_LIST.search(message)
    if listed:
        words = [w.strip(" .'\"") for w in listed.group(1).split(",")]
    else:
        words = [m.group(1).strip() for m in _REQUIRED.finditer(message)]
    needs: list[str] = []
    for word in filter(None, words):
        parts = word.lower().split()
        arg = next(
            (_FIELD_ARGS[" ".join(parts[i:])] for i in range(len(parts)) if " ".join(parts[i:]) in _FIELD_ARGS), None
        )
        needs.append(arg or f"custom_fields['{word}']")
    return list(dict.fromkeys(needs))


def _explain_validation(exc: HaloValidationError, type_name: str) -> ToolError | None:
    """Turn Halo's 400 for a missing required field into which argument to pass; None when it cannot tell."""
    message = str(exc)
    needs = _needed_args(message.split(": ", 1)[-1])
    if not needs:
        return None
    what = ", ".join(needs)
    where = f" for ticket type '{type_name}'" if type_name else ""
    return ToolError(f"Halo needs {what}{where}; pass {what} and try again. (Halo said: {message})")


def _custom_fields(values: Mapping[str, Any] | None) -> list[dict[str, Any]] | None:
    if not values:
        return None
    return [
        {"id": int(key), "value": value} if str(key).isdigit() else {"name": key, "value": value}
        for key, value in values.items()
    ]


class TicketFields(Args):
    summary: str | None = None
    details: str | None = None
    client: Ref | None = None
    site: Ref | None = None
    user: Ref | None = Field(None, description="requester")
    ticket_type: Ref | None = None
    priority: Ref | None = Field(None, description="e.g. P2")
    category: Ref | None = None
    impact: int | None = None
    urgency: int | None = None
    custom_fields: dict[str, Any] | None = Field(None, description="{name or id: value}")


async def _ticket_body(
    ctx: ToolContext, args: TicketFields, team: Ref | None = None, agent: Ref | None = None
) -> tuple[dict[str, Any], dict[str, Entity]]:
    """Halo's body for the given fields: ints for entities (nested objects are ignored by Halo), plus names."""
    fields = ("client", "site", "user", "ticket_type", "priority", "category")
    found = await _resolve_all(ctx, {**{arg: getattr(args, arg) for arg in fields}, "team": team, "agent": agent})
    body: dict[str, Any] = {"summary": args.summary, "details": args.details}
    ids = {
        "client": "client_id", "site": "site_id", "user": "user_id", "ticket_type": "tickettype_id",
        "priority": "priority_id", "agent": "agent_id",
    }  # fmt: skip
    for arg, entity in found.items():
        if arg in ids:
            body[ids[arg]] = entity.id
    if "team" in found:
        body["team"] = found["team"].name  # Faults.team is the team's name (spec B declares no team_id)
    if "category" in found:
        body["categoryid_1"] = found["category"].id
        body["category_1"] = found["category"].name
    body["impact"] = args.impact
    body["urgency"] = args.urgency
    body["customfields"] = _custom_fields(args.custom_fields)
    return {k: v for k, v in body.items() if v is not None}, found


def _saved(response: Any) -> dict[str, Any]:
    rows = response if isinstance(response, list) else [response]
    return next((r for r in rows if isinstance(r, dict)), {})


def _summary_record(saved: Mapping[str, Any], found: Mapping[str, Entity]) -> dict[str, Any]:
    """What a write reports back: the id and the resolved names, Halo's answer first."""
    names = {arg: e.name for arg, e in found.items()}
    record = ticket_record(saved)
    for arg, key in (("ticket_type", "ticket_type"), ("team", "team"), ("agent", "agent"), ("category", "category")):
        if key not in record and arg in names:
            record[key] = names[arg]
    for arg in ("client", "site", "user", "priority"):
        if arg not in record and arg in names:
            record[arg] = names[arg]
    return record


class CreateTicketArgs(TicketFields):
    summary: str = Field(min_length=1)
    team: Ref | None = None
    agent: Ref | None = Field(None, description="name, id or 'me'")


@tool("tickets", kind="write", title="Create ticket")
async def create_ticket(ctx: ToolContext, args: CreateTicketArgs) -> ToolOutput:
    """Log a new ticket. Client, site, user, type, team, agent, priority and category take names or ids."""
    body, found = await _ticket_body(ctx, args, team=args.team, agent=args.agent)
    type_name = found["ticket_type"].name if "ticket_type" in found else ""
    try:
        saved = _saved(await ctx.halo.post("Tickets", [body]))
    except HaloValidationError as exc:
        raise _explain_validation(exc, type_name) or exc from None
    ticket_id = saved.get("id")
    if not ticket_id:
        raise ToolError("Halo accepted the ticket but returned no id; check with list_tickets before retrying")
    record = _summary_record(saved, found)
    return ToolOutput(
        text=f"created ticket {ticket_id}\n" + render_record(record, CLOSED_FIELDS),
        structured=record,
        affected=[f"ticket:{ticket_id}"],
    )


_ACTION_FIELDS = {
    "status": "add_action(new_status=...)", "status_id": "add_action(new_status=...)",
    "new_status": "add_action(new_status=...)", "note": "add_note or add_action", "notes": "add_note or add_action",
    "comment": "add_note or add_action", "timetaken": "log_time", "time": "log_time", "minutes": "log_time",
    "agent": "assign_ticket", "agent_id": "assign_ticket", "team": "assign_ticket", "team_id": "assign_ticket",
    "assignee": "assign_ticket",
}  # fmt: skip


class UpdateTicketArgs(TicketFields):
    id: int

    @model_validator(mode="before")
    @classmethod
    def _actions_are_not_fields(cls, data: Any) -> Any:
        """Status, notes, time and assignment are actions in Halo: say which tool does it instead of 'unknown'."""
        if isinstance(data, dict):
            for key in data:
                if key in _ACTION_FIELDS:
                    raise ValueError(
                        f"'{key}' is changed by an action in Halo, not a field edit: use {_ACTION_FIELDS[key]}"
                    )
        return data


@tool("tickets", kind="write", title="Update ticket", idempotent=True)
async def update_ticket(ctx: ToolContext, args: UpdateTicketArgs) -> ToolOutput:
    """Edit fields of an existing ticket. Status, notes, time and assignment are actions instead: add_action,
    add_note, log_time, assign_ticket."""
    changes = args.model_dump(exclude={"id"}, exclude_none=True)
    if not changes:
        raise ToolError("nothing to change: pass at least one field, e.g. summary or priority")
    # Halo's POST is an upsert: an id it does not know would create a ticket. Verify first, never create.
    current = await _fetch_ticket(ctx, args.id)
    body, found = await _ticket_body(ctx, args)
    body["id"] = args.id
    type_name = found["ticket_type"].name if "ticket_type" in found else str(current.get("tickettype_name") or "")
    try:
        saved = _saved(await ctx.halo.post("Tickets", [body]))
    except HaloValidationError as exc:
        raise _explain_validation(exc, type_name) or exc from None
    if saved and saved.get("id") not in (None, args.id):
        raise ToolError(
            f"Halo saved the change as ticket {saved.get('id')} instead of updating ticket {args.id}; "
            "check both tickets in Halo"
        )
    record = _summary_record({**current, **saved}, found)
    changed = ", ".join(changes)
    return ToolOutput(
        text=f"updated ticket {args.id} ({changed})\n" + render_record(record, CLOSED_FIELDS),
        structured={**record, "changed": list(changes)},
        affected=[f"ticket:{args.id}"],
    )


# -- actions -------------------------------------------------------------------------------------------------


async def _default_outcome(ctx: ToolContext, *names: str) -> Entity:
    """The first outcome (action type) that exists under one of `names`; outcomes are instance configuration."""
    table = await ctx.resolver.table("outcome")
    for name in names:
        key = normalise(name)
        for entity in table:
            if normalise(entity.name) == key or normalise(str(entity.record.get("buttonname") or "")) == key:
                return entity
    raise ToolError(
        f"this Halo has no '{names[0]}' outcome; pass outcome=... to add_action (lookup(kind='outcome') lists them)"
    )


async def _post_action(
    ctx: ToolContext,
    ticket_id: int,
    outcome: Entity,
    *,
    note: str | None = None,
    private: bool | None = None,
    email_user: bool = False,
    minutes: float | None = None,
    new_status: Ref | None = None,
    new_agent: Ref | None = None,
    new_team: Ref | None = None,
    new_priority: Ref | None = None,
    what: str = "action",
) -> ToolOutput:
    """The one way an action is built and posted (add_action, add_note, log_time, assign_ticket). Never retried."""
    found = await _resolve_all(
        ctx, {"status": new_status, "agent": new_agent, "team": new_team, "priority": new_priority}
    )
    hidden = private if private is not None else bool(outcome.record.get("hidefromuser", not email_user))
    body: dict[str, Any] = {
        "ticket_id": ticket_id,
        "outcome_id": outcome.id,
        "outcome": outcome.name,
        "note": note,
        "hiddenfromuser": hidden,
        "sendemail": True if email_user else None,
        "timetaken": round(minutes / 60, 4) if minutes else None,
        "new_status": found["status"].id if "status" in found else None,
        "new_agent": found["agent"].id if "agent" in found else None,
        "new_team": found["team"].name if "team" in found else None,  # Actions.new_team is the team's name
        "new_priority": found["priority"].id if "priority" in found else None,
        "_includeticketinresponse": True,  # the ticket's new state in the same round trip
    }
    body = {k: v for k, v in body.items() if v is not None}
    try:
        saved = _saved(await ctx.halo.post("Actions", [body]))
    except HaloNotFound:
        raise ToolError(f"no ticket {ticket_id} in Halo; find it with list_tickets(search=...)") from None
    action_id = saved.get("id")
    included = saved.get("ticket")  # where Halo puts the included ticket is unverified: read it when absent
    ticket = included if isinstance(included, dict) and included.get("id") else await _fetch_ticket(ctx, ticket_id)
    _nested_names(ticket)
    await _fill_names(ctx, [ticket])  # a single ticket lacks the flat status and agent names (facts §17)
    state = compact(
        {
            "ticket": ticket_id,
            "action": action_id,
            "outcome": outcome.name,
            "private": hidden,
            "minutes": round(minutes) if minutes else None,
            "status": ticket.get("status_name"),
            "agent": ticket.get("agent_name"),
            "team": ticket.get("team"),
            "priority": ticket.get("priority_name"),
            "time_minutes": _hours_to_minutes(ticket.get("timetaken")),
        }
    )
    head = f"{what} {action_id} added to ticket {ticket_id}"
    return ToolOutput(
        text=head + "\n" + render_record(state, CLOSED_FIELDS),
        structured=state,
        affected=[f"ticket:{ticket_id}", f"action:{ticket_id}/{action_id}"],
    )


class AddActionArgs(Args):
    ticket_id: int
    outcome: Ref = Field(description="action type, e.g. Email User")
    note: str | None = None
    private: bool | None = Field(None, description="hide from user")
    email_user: bool = False
    minutes: float | None = Field(None, gt=0, le=1440, description="time spent")
    new_status: Ref | None = None
    new_agent: Ref | None = Field(None, description="name, id or 'me'")
    new_team: Ref | None = None
    new_priority: Ref | None = None


@tool("tickets", kind="write", title="Add action")
async def add_action(ctx: ToolContext, args: AddActionArgs) -> ToolOutput:
    """Act on a ticket: note or email, time spent, status, agent, team or priority change. In Halo these are
    all actions, never ticket edits."""
    outcome = await ctx.resolver.resolve("outcome", args.outcome)
    return await _post_action(
        ctx,
        args.ticket_id,
        outcome,
        note=args.note,
        private=args.private,
        email_user=args.email_user,
        minutes=args.minutes,
        new_status=args.new_status,
        new_agent=args.new_agent,
        new_team=args.new_team,
        new_priority=args.new_priority,
    )


class AddNoteArgs(Args):
    ticket_id: int
    note: str = Field(min_length=1)


@tool("tickets", kind="write", title="Add note")
async def add_note(ctx: ToolContext, args: AddNoteArgs) -> ToolOutput:
    """Add a private (agent-only) note to a ticket. To write to the user: add_action with email_user."""
    outcome = await _default_outcome(ctx, "Private Note", "Note")
    return await _post_action(ctx, args.ticket_id, outcome, note=args.note, private=True, what="note")


class LogTimeArgs(Args):
    ticket_id: int
    minutes: float = Field(gt=0, le=1440)
    note: str | None = None


@tool("tickets", kind="write", title="Log time")
async def log_time(ctx: ToolContext, args: LogTimeArgs) -> ToolOutput:
    """Record time spent on a ticket, in minutes, as a private action."""
    outcome = await _default_outcome(ctx, "Log Time", "Time Entry", "Private Note")
    return await _post_action(
        ctx, args.ticket_id, outcome, note=args.note or f"{args.minutes:g} minutes", private=True,
        minutes=args.minutes, what="time entry",
    )  # fmt: skip


class AssignTicketArgs(Args):
    ticket_id: int
    agent: Ref | None = Field(None, description="name, id or 'me'")
    team: Ref | None = None
    note: str | None = None


@tool("tickets", kind="write", title="Assign ticket")
async def assign_ticket(ctx: ToolContext, args: AssignTicketArgs) -> ToolOutput:
    """Assign a ticket to an agent ('me' allowed) and/or a team, as an action."""
    if args.agent in (None, "") and args.team in (None, ""):
        raise ToolError("pass agent (a name, id or 'me') and/or team")
    outcome = await _default_outcome(ctx, "Reassign", "Assign", "Assign Ticket", "Private Note")
    return await _post_action(
        ctx, args.ticket_id, outcome, note=args.note or "Reassigned", private=True, new_agent=args.agent,
        new_team=args.team, what="assignment",
    )  # fmt: skip


__all__ = [
    "add_action",
    "add_note",
    "assign_ticket",
    "create_ticket",
    "get_ticket",
    "list_tickets",
    "log_time",
    "sla_state",
    "update_ticket",
]

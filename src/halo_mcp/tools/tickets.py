"""[tickets] Tickets and Halo's Action architecture.

A Halo ticket's fields are edited with an upsert (`POST /Tickets [{id, ...}]`), but notes, emails, status
changes, reassignment and time spent are *actions* (`POST /Actions`). The tools make that split explicit so a
model never tries to patch a ticket for a note or a status change. Every entity argument takes a name or an id,
resolved server-side from cached lookup tables.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, WithJsonSchema, model_validator

from halo_mcp.halo.client import PAGE_CAP, rows_of
from halo_mcp.halo.errors import HaloError, HaloNotFound, HaloPermissionError, HaloValidationError
from halo_mcp.tools import actions
from halo_mcp.tools.counting import GROUPS, by_paging, by_sql, count_sql, day_bounds
from halo_mcp.tools.errors import ToolError
from halo_mcp.tools.framework import Args, ToolContext, ToolOutput, tool
from halo_mcp.tools.paging import Limit
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
from halo_mcp.tools.resolve import SOURCES, Entity, Ref, Resolver, normalise, valid_values
from halo_mcp.tools.workflow import check_outcome

DETAILS_LIMIT = 4000
MINUTES_CAP = 1440  # one action logs at most a day
NOTE_LIMIT = 300
SCAN_PAGES = 5  # Halo pages (of 100) read per call when filtering client-side (SLA state, unassigned)
AT_RISK_SHARE = 0.25  # an open ticket is "at risk" when less than this share of an SLA window is left...
AT_RISK_HOURS = 2.0  # ... or fewer hours than this

# list_tickets columns and the Halo fields each is read from (first non-empty wins). A 50-row page must cost at
# most a tenth of Halo's JSON counting every copy a host may forward, so the default is what triage needs; `team`,
# `user`, `opened`, `updated` and any Halo field are one `fields=[...]` away. Deadlines are whole hours from the
# `now` in the header; dates are days (get_ticket has the times).
COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id",),
    "summary": ("summary",),
    "status": ("status_name",),
    "priority": ("priority_name",),
    "client": ("client_name",),
    "agent": ("agent_name",),
    "team": ("team",),
    "sla": (),  # derived: breached / at risk
    "site": ("site_name",),
    "fix_by": (),  # derived: hours to the fix-by date ('7h', '-1h'), while the SLA runs
    "respond_by": (),  # derived: hours to the respond-by date, while unanswered
    "updated": ("lastactiondate", "last_update"),
    "user": ("user_name",),
    "opened": ("dateoccurred", "datecreated"),
}
DEFAULT_COLUMNS = ("id", "summary", "status", "priority", "client", "site", "agent", "sla", "fix_by", "respond_by")
# Admin configuration or the server's own words: shown bare (render.py says why); any other text is delimited.
CLOSED_FIELDS = frozenset({"status", "priority", "ticket_type", "agent", "team", "category", "sla", "sla_state",
                           "outcome"})  # fmt: skip
FOLDABLE = ("status", "priority", "client", "site", "agent", "team", "user")  # same in every row -> said once
GroupBy = Literal["client", "site", "team", "agent", "status", "priority", "ticket_type", "category", "sla"]
_SHORT_PRIORITY = re.compile(r"^(P\d+)\s*[-–:]")


# -- shared helpers ------------------------------------------------------------------------------------------


def _minutes(value: float) -> float:
    if not 0 < value <= MINUTES_CAP:
        raise ValueError(f"minutes must be more than 0 and at most {MINUTES_CAP} (a day); split longer work")
    return value


# Checked here rather than in the schema: bounds cost tokens in every tools/list (tools/paging.py, Limit).
Minutes = Annotated[float, AfterValidator(_minutes)]


def _now() -> datetime:
    return datetime.now(UTC)


def _is_closed(row: Mapping[str, Any]) -> bool:
    return bool(row.get("hasbeenclosed")) or halo_datetime(row.get("dateclosed")) is not None


def sla_state(row: Mapping[str, Any], now: datetime | None = None) -> str:
    """'breached', 'at risk' or '' (fine, met, on hold, no SLA) for a ticket row.

    Both targets count: the fix-by date, and the respond-by date while the ticket is unanswered. Breached: a
    target has passed (or Halo's `slastate`/`slaresponsestate`/negative `slatimeleft` says so). At risk: open, not
    on hold, and less than AT_RISK_SHARE of a target's window or AT_RISK_HOURS left. Closed and SLA-excluded
    tickets are never flagged; on-hold ones only when already past a target.
    """
    if _is_closed(row) or row.get("excludefromsla"):
        return ""
    now = now or _now()
    verdict = str(row.get("slastate") or "").strip().lower()
    unanswered = halo_datetime(row.get("responsedate")) is None
    left = row.get("slatimeleft")
    if "breach" in verdict or verdict in ("o", "out"):
        return "breached"
    if unanswered and str(row.get("slaresponsestate") or "").strip().upper() == "O":  # O: out of target
        return "breached"
    if isinstance(left, int | float) and not isinstance(left, bool) and row.get("fixbydate") and left < 0:
        return "breached"
    targets = _targets(row, unanswered)
    if any(target < now for target in targets):
        return "breached"
    if row.get("onhold"):
        return ""
    if "risk" in verdict:
        return "at risk"
    opened = halo_datetime(row.get("dateoccurred"))
    for target in targets:
        window = target - opened if opened and target > opened else None
        if target - now < max(timedelta(hours=AT_RISK_HOURS), window * AT_RISK_SHARE if window else timedelta(0)):
            return "at risk"
    return ""


def _targets(row: Mapping[str, Any], unanswered: bool) -> list[datetime]:
    """The SLA targets still running: fix-by, and respond-by while the ticket is unanswered."""
    fields = ("fixbydate", "respondbydate") if unanswered else ("fixbydate",)
    return [d for d in (halo_datetime(row.get(f)) for f in fields) if d is not None]


def _hours_from(when: datetime | None, now: datetime) -> str | None:
    """A deadline as whole hours from now ('7h'; '-1h' overdue), against the `now` in the header. A string: a bare
    -1 would read as Halo's "unset" marker (render.is_empty)."""
    return None if when is None else f"{round((when - now).total_seconds() / 3600)}h"


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
    """Resolve named arguments (keys of ARG_KINDS) concurrently: cold lookups overlap, warm ones cost nothing.

    A site or user named beside a client is resolved within that client, so it is resolved after it.
    """
    wanted = {arg: value for arg, value in refs.items() if value is not None and value != ""}
    later = [arg for arg in ("site", "user") if arg in wanted and "client" in wanted]
    first = [arg for arg in wanted if arg not in later]
    results = await asyncio.gather(*(ctx.resolver.resolve(ARG_KINDS[arg], wanted[arg]) for arg in first))
    found = dict(zip(first, results, strict=True))
    if later:
        scoped = await asyncio.gather(
            *(ctx.resolver.resolve(ARG_KINDS[arg], wanted[arg], within=found["client"]) for arg in later)
        )
        found.update(zip(later, scoped, strict=True))
    return found


def me_note(agent: Entity | None) -> str:
    """'me' under client credentials is the API application's agent: say so wherever it was used."""
    if agent is None or not agent.record.get("isapiagent"):
        return ""
    return (
        f"'me' is {agent.name}, the agent of this connection's API application (client credentials); Halo may not "
        "let tickets be assigned to it. To act as yourself, sign in per user: `halo-mcp login` with "
        "HALO_AUTH_FLOW=authorization_code, or HALO_USERNAME/HALO_PASSWORD"
    )


def _with_id(name: Any, ident: Any) -> Any:
    return name if not ident or ident in (0, -1) else (f"{name} (id {ident})" if name else ident)


# -- list_tickets --------------------------------------------------------------------------------------------


class ListTicketsArgs(Args):
    client: Ref | None = None
    site: Ref | None = None
    user: Ref | None = None
    agent: Ref | None = Field(None, description="name, id, 'me' or 'unassigned'")
    team: Ref | None = Field(None, description="or 'unassigned'")
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
    group_by: GroupBy | None = Field(None, description="count per value instead")
    fields: list[str] | None = Field(None, description="team, user, opened, updated or Halo fields")
    limit: Limit = 25
    cursor: str | None = None


UNASSIGNED = "unassigned"


def _query_hash(args: ListTicketsArgs) -> str:
    """Identity of a query for its cursors: everything but the paging arguments."""
    spec = args.model_dump(exclude={"cursor", "limit"}, exclude_none=True)
    return hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode()).hexdigest()[:10]


def _unassigned(args: ListTicketsArgs) -> frozenset[str]:
    return frozenset(arg for arg in ("agent", "team") if str(getattr(args, arg) or "").strip().lower() == UNASSIGNED)


async def _list_params(ctx: ToolContext, args: ListTicketsArgs) -> tuple[dict[str, Any], dict[str, Entity]]:
    unassigned = _unassigned(args)
    found = await _resolve_all(ctx, {arg: getattr(args, arg) for arg in ARG_KINDS if arg not in unassigned})
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
        params["enddate"] = day_bounds(_date_param(args.created_to, "created_to"))
    params["lastupdatefromdate"] = _date_param(args.updated_from, "updated_from")
    params["lastupdatetodate"] = day_bounds(_date_param(args.updated_to, "updated_to"))
    if args.search:
        params["search"] = args.search
    params["order"] = "id"
    params["orderdesc"] = True  # newest first, stable across pages
    return {k: v for k, v in params.items() if v is not None}, found


def _keep(args: ListTicketsArgs, now: datetime) -> Callable[[Mapping[str, Any]], bool] | None:
    """What GET /Tickets cannot filter on, checked here on each row: SLA state and unassigned agent or team."""
    unassigned = _unassigned(args)
    wanted = {"breached": "breached", "at_risk": "at risk"}.get(args.sla or "")
    if not wanted and not unassigned:
        return None

    def keep(row: Mapping[str, Any]) -> bool:
        if wanted and sla_state(row, now) != wanted:
            return False
        if "agent" in unassigned and row.get("agent_id") not in (None, 0, -1, ""):
            return False
        return not ("team" in unassigned and str(row.get("team") or "").strip())

    return keep


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
    running = _targets(ticket, halo_datetime(ticket.get("responsedate")) is None) if not _is_closed(ticket) else []
    for column in columns:
        if column == "sla":
            out["sla"] = sla_state(ticket, now)
        elif column == "fix_by":
            out["fix_by"] = _hours_from(halo_datetime(ticket.get("fixbydate")), now) if running else None
        elif column == "respond_by":
            respond_by = halo_datetime(ticket.get("respondbydate"))
            out["respond_by"] = _hours_from(respond_by, now) if respond_by in running else None
        else:
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
    """List tickets (newest first; open unless state set) or count per group_by. Filters take names or ids.
    sla breached: past fix-by, or respond-by while unanswered; at_risk: under 1/4 of that window or 2h left."""
    query = _query_hash(args)
    page_size = min(args.limit, PAGE_CAP)
    page_no, offset = 1, 0
    if args.cursor:
        state = decode_cursor(args.cursor)
        if state.get("q") != query:
            raise ToolError("this cursor belongs to a different list_tickets query; repeat the same filters or drop it")
        page_no, offset = int(state.get("p", 1)), int(state.get("o", 0))
        page_size = int(state.get("s", page_size))
    params, found = await _list_params(ctx, args)
    now = _now()
    notes = [f"now {now:%Y-%m-%dT%H:%MZ}", me_note(found.get("agent") if _is_me(args.agent) else None)]
    if args.group_by:
        return await _count(ctx, args, params, found, now, notes)
    asked = args.fields or []
    columns = [*DEFAULT_COLUMNS, *(f for f in asked if f in COLUMNS and f not in DEFAULT_COLUMNS)]
    extra = [f for f in asked if f not in COLUMNS]
    keep = _keep(args, now)
    if keep:
        rows, next_state, scanned = await _scan(ctx, params, keep, args.limit, page_no, offset)
        total: int | None = None
        notes.append(f"filtered here: {scanned} tickets checked")
    else:
        page = await ctx.halo.list_page("Tickets", "tickets", params, page_no=page_no, page_size=page_size)
        rows, total = page.rows, page.total
        more = page_no * page_size < total if total is not None else len(rows) >= page_size
        next_state = {"p": page_no + 1, "s": page_size} if more and rows else None
    await _fill_names(ctx, rows)
    out_rows = [_row(r, columns, extra, now) for r in rows]
    same = _fold_constant_columns(out_rows)
    if same:
        notes.append("every row: " + pairs(same, CLOSED_FIELDS))
    missing = [f for f in extra if not any(f in r for r in rows)]
    if missing and rows:
        notes.append(f"not in list rows: {', '.join(missing)} (see get_ticket)")
    cursor = encode_cursor({**next_state, "q": query}) if next_state else None
    if not out_rows and args.state == "open" and not keep:
        notes.append("state='all' includes closed tickets")
    shown = [c for c in [*columns, *extra] if c not in same]
    out = list_output(
        "tickets", out_rows, columns=shown, total=total, next_cursor=cursor, note=". ".join(n for n in notes if n)
    )
    if same and isinstance(out.structured, dict):
        out.structured["same"] = same
    return out


def _is_me(value: Ref | None) -> bool:
    return str(value or "").strip().lower() in ("me", "myself", "self")


async def _count(
    ctx: ToolContext,
    args: ListTicketsArgs,
    params: dict[str, Any],
    found: dict[str, Entity],
    now: datetime,
    notes: list[str],
) -> ToolOutput:
    """group_by: one exact SQL count where Halo allows it, else counted from bounded pages (said which)."""
    group = args.group_by or "client"
    keep = _keep(args, now)
    counts = None
    if group != "sla" and not args.sla:
        statuses, types = await asyncio.gather(ctx.resolver.table("status"), ctx.resolver.table("tickettype"))
        sql = count_sql(
            group, found, unassigned=_unassigned(args),
            closed_ids=[e.id for e in statuses if e.record.get("type") == 2],
            ticket_type_ids=[e.id for e in types if str(e.record.get("use") or "ticket") == "ticket"],
            state=args.state, created=(args.created_from, args.created_to),
            updated=(args.updated_from, args.updated_to), search=args.search,
        )  # fmt: skip
        counts = await by_sql(ctx, group, sql)
    if counts is None:

        def key(row: Mapping[str, Any]) -> Any:
            return (sla_state(row, now) or "ok") if group == "sla" else row.get(GROUPS[group].row_field) or None

        counts = await by_paging(ctx, group, params, key, keep)
    none = UNASSIGNED if group in ("agent", "team") else "none"
    rows = [
        compact({group: r["name"] if r["value"] not in (None, "", 0) else none, "id": _count_id(group, r),
                 "tickets": r["tickets"]})
        for r in counts.rows[: args.limit]
    ]  # fmt: skip
    total = sum(r["tickets"] for r in counts.rows)
    notes.append(f"{total} tickets, counted by {counts.how}")
    if len(counts.rows) > args.limit:
        notes.append(f"largest {args.limit} groups shown; raise limit for more")
    out = list_output("groups", rows, columns=[group, "id", "tickets"], note=". ".join(n for n in notes if n))
    if isinstance(out.structured, dict):
        out.structured.update(tickets=total, counted_by=counts.how, complete=counts.complete)
    return out


def _count_id(group: str, row: Mapping[str, Any]) -> int | None:
    """Groups with ids carry them, for a follow-up list_tickets(client=<id>)."""
    if GROUPS[group].name_table or GROUPS[group].join:
        try:
            return int(float(row["value"])) or None
        except (TypeError, ValueError):
            return None
    return None


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


async def _scan(
    ctx: ToolContext,
    params: dict[str, Any],
    keep: Callable[[Mapping[str, Any]], bool],
    limit: int,
    page_no: int,
    offset: int,
) -> tuple[list[dict[str, Any]], dict[str, Any] | None, int]:
    """Filter client-side, resumably, on what Halo's list has no filter for (SLA state, unassigned).

    Tickets are read in pages of 100 and checked here (see `_keep`). The scan stops when `limit` matches are found
    or SCAN_PAGES pages were read; the cursor records the Halo page and the row offset inside it, so the next call
    resumes exactly where this one stopped: nothing skipped or repeated.
    """
    found: list[dict[str, Any]] = []
    scanned = 0
    for _ in range(SCAN_PAGES):
        page = await ctx.halo.list_page("Tickets", "tickets", params, page_no=page_no, page_size=PAGE_CAP)
        rows = page.rows
        for index in range(offset, len(rows)):
            scanned += 1
            if keep(rows[index]):
                found.append(rows[index])
                if len(found) == limit:
                    last = index + 1 < len(rows) or _has_more(page.total, page_no, len(rows))
                    nxt = {"p": page_no, "o": index + 1} if index + 1 < len(rows) else {"p": page_no + 1, "o": 0}
                    return found, (nxt if last else None), scanned
        if not _has_more(page.total, page_no, len(rows)):
            return found, None, scanned
        await ctx.progress(scanned, None, f"scanned {scanned:,} tickets, {len(found)} matching")
        page_no, offset = page_no + 1, 0
    return found, {"p": page_no, "o": 0}, scanned


def _has_more(total: int | None, page_no: int, got: int) -> bool:
    return page_no * PAGE_CAP < total if total is not None else got >= PAGE_CAP


# -- get_ticket ----------------------------------------------------------------------------------------------


class GetTicketArgs(Args):
    id: int
    actions: Annotated[int, AfterValidator(lambda n: min(max(n, 0), 50))] = Field(0, description="last N actions")
    assets: bool = False
    full: bool = Field(False, description="untruncated")


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


LINKED_ASSETS_READ = 10  # linked assets read one by one when the ticket carries only their ids


async def _named_assets(ctx: ToolContext, linked: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """A ticket's linked assets with their names: Halo may link them by id only, so read those (GET /Asset/{id})."""
    bare = [
        a for a in linked[:LINKED_ASSETS_READ] if a.get("id") and not (a.get("key_field") or a.get("inventory_number"))
    ]
    if not bare:
        return linked

    async def read(asset: Mapping[str, Any]) -> Mapping[str, Any]:
        try:
            found = await ctx.halo.get(f"Asset/{int(asset['id'])}")
        except (HaloNotFound, HaloPermissionError):  # gone, or no read:assets: the id alone is still an answer
            return asset
        return found if isinstance(found, dict) else asset

    filled = dict(zip([id(a) for a in bare], await asyncio.gather(*(read(a) for a in bare)), strict=True))
    return [filled.get(id(a), a) for a in linked]


@tool("tickets", title="Get ticket", idempotent=True)
async def get_ticket(ctx: ToolContext, args: GetTicketArgs) -> ToolOutput:
    """One ticket in full; optionally its last actions (who, when) and linked assets."""
    ticket: dict[str, Any]
    if args.actions:  # both at once; alone, no task is spawned for the one request (gather would make one)
        ticket, listed = await asyncio.gather(
            _fetch_ticket(ctx, args.id), ctx.halo.get("Actions", {"ticket_id": args.id, "excludesys": True})
        )
    else:
        ticket = await _fetch_ticket(ctx, args.id)
    _nested_names(ticket)
    await _fill_names(ctx, [ticket])
    record = ticket_record(ticket)
    details = text_field(ticket, "details")
    if details:
        if not args.full:
            details = truncate(details, DETAILS_LIMIT, f"get_ticket(id={args.id}, full=true) for all")
        record["details"] = details
    if args.actions:
        actions = rows_of(listed, "actions")
        actions.sort(key=_action_order, reverse=True)
        await _fill_authors(ctx, actions[: args.actions])
        record["actions"] = [action_row(a, args.full) for a in actions[: args.actions]]
    if args.assets:
        linked = [a for a in ticket.get("assets") or [] if isinstance(a, Mapping)]
        record["assets"] = [asset_row(a) for a in await _named_assets(ctx, linked)] or "none linked"
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


async def _explain_validation(
    ctx: ToolContext, exc: HaloValidationError, type_name: str, type_id: int | None = None
) -> ToolError | None:
    """Turn Halo's 400 for a missing required field into which argument to pass, with the valid values of those
    that have a known set (a category: those of the ticket type); None when it cannot tell."""
    message = str(exc)
    needs = _needed_args(message.split(": ", 1)[-1])
    if not needs:
        return None
    what = ", ".join(needs)
    where = f" for ticket type '{type_name}'" if type_name else ""
    listed = []
    for arg in needs:
        kind = ARG_KINDS.get(arg)
        if kind is None or SOURCES[kind].searched:
            continue
        pool: list[Entity] = []
        if kind == "category" and type_id is not None:
            # Halo's own filter for the categories a ticket type offers (GET /Category declares tickettype_id).
            with contextlib.suppress(HaloError):  # the plain list below is the fallback
                data = await ctx.halo.get("Category", {"tickettype_id": type_id})
                pool = [e for e in (Resolver.entity("category", r) for r in rows_of(data)) if e]
        pool = pool or await ctx.resolver.table(kind)
        listed.append(f"{arg}: {valid_values(kind, pool)}")
    values = "".join(f" {line}." for line in listed)
    return ToolError(f"Halo needs {what}{where}; pass {what} and try again.{values} (Halo said: {message})")


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
    parent_id: int | None = None


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
    # A change's or appointment's window is the ticket's `startdate`..`targetdate`; a child names its `parent_id`
    # (facts §7: Dates and Hierarchy fields of Faults).
    start, end = getattr(args, "start", None), getattr(args, "end", None)  # create_ticket's window
    body["startdate"] = _date_param(start, "start")
    body["targetdate"] = _date_param(end, "end")
    if start and end and halo_datetime(end) < halo_datetime(start):  # type: ignore[operator]
        raise ToolError(f"end {end} is before start {start}; swap them")
    body["parent_id"] = args.parent_id
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
    for key, field in (("start", "startdate"), ("end", "targetdate")):  # a scheduled window, when Halo has one
        when = halo_datetime(saved.get(field))
        if when is not None and key not in record:
            record[key] = short_date(str(saved[field]))
    return record


class CreateTicketArgs(TicketFields):
    summary: str = Field(min_length=1)
    team: Ref | None = None
    agent: Ref | None = Field(None, description="name, id or 'me'")
    start: str | None = None  # a change's or appointment's scheduled window (ISO)
    end: str | None = None


@tool("tickets", kind="write", title="Create ticket")
async def create_ticket(ctx: ToolContext, args: CreateTicketArgs) -> ToolOutput:
    """Log a new ticket; entity fields take names or ids."""
    return await new_ticket(ctx, args)


async def new_ticket(ctx: ToolContext, args: CreateTicketArgs, template_id: int | None = None) -> ToolOutput:
    """The one way a ticket is created (create_ticket, custom ticket tools): names resolved, the collection's tag,
    and a ticket template (`Faults.template_id`) when a custom tool names one."""
    body, found = await _ticket_body(ctx, args, team=args.team, agent=args.agent)
    if template_id:
        body["template_id"] = template_id
    if ctx.created_tag:  # AI-created marking: Halo's faicreated cannot be set by API (seed 002); Faults.tags can
        body["tags"] = [{"text": ctx.created_tag}]
    type_name = found["ticket_type"].name if "ticket_type" in found else ""
    try:
        saved = _saved(await ctx.halo.post("Tickets", [body]))
    except HaloValidationError as exc:
        type_id = found["ticket_type"].id if "ticket_type" in found else None
        raise await _explain_validation(ctx, exc, type_name, type_id) or exc from None
    ticket_id = saved.get("id")
    if not ticket_id:
        raise ToolError("Halo accepted the ticket but returned no id; check with list_tickets before retrying")
    record = _summary_record(saved, found)
    note = me_note(found.get("agent") if _is_me(args.agent) else None)
    return ToolOutput(
        text=f"created ticket {ticket_id}\n" + render_record(record, CLOSED_FIELDS) + (f"\n{note}" if note else ""),
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
    """Edit ticket fields. Status, notes, time, assignment are actions: add_action, add_note, log_time,
    assign_ticket."""
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
        type_id = found["ticket_type"].id if "ticket_type" in found else current.get("tickettype_id")
        raise await _explain_validation(ctx, exc, type_name, type_id) or exc from None
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
    """The one way an action is built and posted (add_action, add_note, log_time, assign_ticket). Never retried.

    `timetaken` is always sent, 0 unless minutes were asked for: an outcome's default time (`defaultmanhrs`,
    facts §8) must not be logged behind the caller's back. The result says what Halo recorded.
    """
    found = await _resolve_all(
        ctx, {"status": new_status, "agent": new_agent, "team": new_team, "priority": new_priority}
    )
    # every action must be offered at the ticket's workflow step, and carry a note when its outcome demands one
    await check_outcome(ctx, ticket_id, outcome, note)
    hidden = private if private is not None else bool(outcome.record.get("hidefromuser", not email_user))
    body: dict[str, Any] = {
        "ticket_id": ticket_id,
        "outcome_id": outcome.id,
        "outcome": outcome.name,
        "note": note,
        "hiddenfromuser": hidden,
        "sendemail": True if email_user else None,
        "timetaken": round(minutes / 60, 4) if minutes else 0,
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
    recorded = saved.get("timetaken")
    logged = round(float(recorded) * 60) if isinstance(recorded, int | float) else round(minutes or 0)
    _nested_names(ticket)
    await _fill_names(ctx, [ticket])  # a single ticket lacks the flat status and agent names (facts §17)
    state = compact(
        {
            "ticket": ticket_id,
            "action": action_id,
            "outcome": outcome.name,
            "private": hidden,
            "emailed": True if saved.get("sendemail") else None,
            "minutes_logged": logged,
            "status": ticket.get("status_name"),
            "agent": ticket.get("agent_name"),
            "team": ticket.get("team"),
            "priority": ticket.get("priority_name"),
            "time_minutes": _hours_to_minutes(ticket.get("timetaken")),
        }
    )
    head = f"{what} {action_id} added to ticket {ticket_id}"
    notes = [me_note(found.get("agent") if _is_me(new_agent) else None)]
    asked = round(minutes or 0)
    if logged > asked:
        notes.append(f"Halo logged {logged} minutes (the outcome's default time) although {asked} were sent")
    text = "\n".join([head, render_record(state, CLOSED_FIELDS), *filter(None, notes)])
    return ToolOutput(text=text, structured=state, affected=[f"ticket:{ticket_id}", f"action:{ticket_id}/{action_id}"])


CLOSING_OUTCOMES = ("Resolve", "Resolved", "Close", "Closed", "Close Ticket")
ASSIGN_OUTCOMES = ("Reassign", "Assign", "Assign Ticket", "Private Note")


async def _closing_status(ctx: ToolContext, outcome: Entity, new_status: Ref | None) -> Ref | None:
    """The status a closing action sets: the caller's, else the outcome's own if it closes, else a closed one."""
    if new_status not in (None, ""):
        return new_status
    statuses = await ctx.resolver.table("status")
    closed = [e for e in statuses if e.record.get("type") == 2 and "cancel" not in e.name.lower()]
    if any(e.id == outcome.record.get("newstatus") for e in closed):
        return None  # the outcome closes the ticket by itself
    preferred = sorted(closed, key=lambda e: ("resolv" not in e.name.lower(), "clos" not in e.name.lower(), e.id))
    if not preferred:
        raise ToolError("this Halo has no closed status; pass new_status (lookup(kind='status') lists them)")
    return str(preferred[0].id)


WHERE_SCHEMA = {"type": "object", "description": "{ids:[..]} or list_tickets filters"}


class Many(Args):
    """Bulk arguments of the action tools (tools/actions.py holds the policy)."""

    ticket_id: int | None = None
    where: Annotated[dict[str, Any] | None, WithJsonSchema(WHERE_SCHEMA)] = None
    dry_run: bool | None = None


async def _on_tickets(
    ctx: ToolContext, args: Many, outcome: Entity, what: str, note_given: bool, **action: Any
) -> ToolOutput:
    """One action on `ticket_id`, or on every ticket `where` selects (bounded, previewable, per-ticket results)."""
    where = args.where
    if (args.ticket_id is None) == (where is None):
        raise ToolError("pass ticket_id for one ticket or where={ids:[...]} / list_tickets filters for many")
    if where is None:
        if args.dry_run:
            raise ToolError("dry_run previews a where=... bulk change; for one ticket, get_ticket shows it")
        return await _post_action(ctx, int(args.ticket_id or 0), outcome, what=what, **action)

    async def where_params(c: ToolContext, where: Mapping[str, Any]) -> tuple[dict[str, Any], actions.Keep | None]:
        filters = actions.filter_args(ListTicketsArgs, where)
        params, _ = await _list_params(c, filters)
        return params, _keep(filters, _now())

    tickets = await actions.select_tickets(ctx, where, where_params)
    dry_run = bool(args.dry_run)
    kinds = {"new_agent": "agent", "new_team": "team", "new_status": "status", "new_priority": "priority"}
    targets = await _resolve_all(ctx, {kinds[k]: action.get(k) for k in kinds})
    return await actions.apply(
        ctx, tickets, targets, lambda tid: _post_action(ctx, tid, outcome, what=what, **action), what=what,
        note=action.get("note"), outcome=outcome, dry_run=dry_run, note_given=note_given,
    )  # fmt: skip


class AddActionArgs(Many):
    outcome: Ref | None = Field(None, description="action type, e.g. Email User")
    note: str | None = None
    close: bool = False
    private: bool | None = Field(None, description="default: the outcome's")
    email_user: bool = False
    minutes: Minutes | None = None
    new_status: Ref | None = None
    new_agent: Ref | None = Field(None, description="name, id or 'me'")
    new_team: Ref | None = None
    new_priority: Ref | None = None


@tool("tickets", kind="write", title="Add action")
async def add_action(ctx: ToolContext, args: AddActionArgs) -> ToolOutput:
    """Halo actions on a ticket or many (where): note, email, status, agent, team or priority change; time only if
    minutes given. close=true resolves (note = resolution)."""
    assigning = args.new_agent not in (None, "") or args.new_team not in (None, "")
    if args.outcome in (None, "") and not args.close and not assigning:
        outcomes = valid_values("outcome", await ctx.resolver.table("outcome"))
        raise ToolError(f"pass outcome, close=true to resolve, or new_agent/new_team to assign; {outcomes}")
    if args.outcome not in (None, ""):
        outcome = await ctx.resolver.resolve("outcome", args.outcome)
    elif args.close:
        outcome = await _default_outcome(ctx, *CLOSING_OUTCOMES)
    else:  # a reassignment, as assign_ticket writes it: a private action
        outcome = await _default_outcome(ctx, *ASSIGN_OUTCOMES)
    new_status = await _closing_status(ctx, outcome, args.new_status) if args.close else args.new_status
    plain = args.outcome in (None, "") and not args.close
    return await _on_tickets(
        ctx,
        args,
        outcome,
        "closing action" if args.close else "assignment" if plain else "action",
        args.note is not None,
        note=args.note or ("Reassigned" if plain else None),
        private=True if plain and args.private is None else args.private,
        email_user=args.email_user,
        minutes=args.minutes,
        new_status=new_status,
        new_agent=args.new_agent,
        new_team=args.new_team,
        new_priority=args.new_priority,
    )


class AddNoteArgs(Args):
    ticket_id: int
    note: str = Field(min_length=1)


@tool("tickets", kind="write", title="Add note")
async def add_note(ctx: ToolContext, args: AddNoteArgs) -> ToolOutput:
    """Private (agent-only) note on a ticket. To write to the user: add_action(email_user=true)."""
    outcome = await _default_outcome(ctx, "Private Note", "Note")
    return await _post_action(ctx, args.ticket_id, outcome, note=args.note, private=True, what="note")


class LogTimeArgs(Args):
    ticket_id: int
    minutes: Minutes
    note: str | None = None


@tool("tickets", kind="write", title="Log time")
async def log_time(ctx: ToolContext, args: LogTimeArgs) -> ToolOutput:
    """Log minutes spent on a ticket (a private action)."""
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
    """Assign a ticket to an agent ('me' allowed) and/or team (a private action)."""
    if args.agent in (None, "") and args.team in (None, ""):
        raise ToolError("pass agent (a name, id or 'me') and/or team")
    outcome = await _default_outcome(ctx, *ASSIGN_OUTCOMES)
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

"""Ticket counts per client, site, team, agent, status, priority, type, category or SLA state, in one call.

Halo's reporting SQL counts exactly in one request: `POST /Report [{"_loadreportonly": true, "sql": ...}]` (facts
§12) over Halo's own tables (FAULTS, AREA, SITE; halo-sql-schema.sql). The SQL is built here from resolved ids,
validated dates and doubled-quote literals only, is plain T-SQL read WITH (NOLOCK) (the day after an inclusive end
date is computed here, not with DATEADD), and passes the same guard as query_sql (`sql_guard.check_sql`) before it
is sent. When the connection may not run reports (403, or Halo reports an error), or
the grouping is our SLA state (which Halo's SQL does not know), tickets are counted from GET /Tickets pages
instead, at most COUNT_PAGES pages; the result says which way it counted and whether it saw every ticket.
"""

from __future__ import annotations

import asyncio
import math
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from halo_mcp.halo.client import PAGE_CAP
from halo_mcp.halo.errors import HaloPermissionError, HaloValidationError
from halo_mcp.tools.errors import ToolError
from halo_mcp.tools.framework import ToolContext
from halo_mcp.tools.reports import report_rows
from halo_mcp.tools.resolve import Entity
from halo_mcp.tools.sql_guard import check_sql

COUNT_PAGES = 10  # GET /Tickets pages of 100 read when SQL is not available: counts up to 1,000 tickets
PARALLEL_PAGES = 4


@dataclass(frozen=True)
class Group:
    """How one group_by value is counted: its FAULTS column, how its name is found, and the list-row field."""

    column: str  # FAULTS column (Halo's SQL schema)
    row_field: str  # field of a GET /Tickets row holding the same value
    name_table: str = ""  # resolver table mapping ids to names ("" when the column holds the name)
    join: str = ""  # SQL join giving the name for large tables
    name_column: str = ""


GROUPS: dict[str, Group] = {
    "client": Group("FAULTS.Areaint", "client_id", name_column="AREA.aareadesc",
                    join="LEFT JOIN AREA WITH (NOLOCK) ON AREA.Aarea = FAULTS.Areaint"),
    "site": Group("FAULTS.sitenumber", "site_id", name_column="SITE.sdesc",
                  join="LEFT JOIN SITE WITH (NOLOCK) ON SITE.Ssitenum = FAULTS.sitenumber"),
    "team": Group("FAULTS.sectio_", "team"),
    "agent": Group("FAULTS.Assignedtoint", "agent_id", name_table="agent"),
    "status": Group("FAULTS.Status", "status_id", name_table="status"),
    "priority": Group("FAULTS.seriousness", "priority_id", name_table="priority"),
    "ticket_type": Group("FAULTS.Requesttype", "tickettype_id", name_table="tickettype"),
    "category": Group("FAULTS.category2", "category_1"),
    "sla": Group("", ""),  # our SLA state (both targets): counted from list rows only
}  # fmt: skip
NAME_FIELDS = {"client_id": "client_name", "site_id": "site_name"}
# list_tickets filter -> FAULTS column it compares (ids, except team and category which Halo stores as text)
FILTER_COLUMNS = {
    "client": "FAULTS.Areaint", "site": "FAULTS.sitenumber", "user": "FAULTS.userid", "agent": "FAULTS.Assignedtoint",
    "status": "FAULTS.Status", "priority": "FAULTS.seriousness", "ticket_type": "FAULTS.Requesttype",
}  # fmt: skip


@dataclass
class Counts:
    rows: list[dict[str, Any]]
    how: str  # said in the result: which way Halo was asked
    complete: bool = True


def literal(text: str) -> str:
    """A T-SQL string literal: quotes doubled (T-SQL has no backslash escapes)."""
    return "'" + text.replace("'", "''") + "'"


def _day_after(value: str) -> str:
    return (date.fromisoformat(value[:10]) + timedelta(days=1)).isoformat()


def _range(column: str, start: str | None, end: str | None) -> list[str]:
    """Inclusive range; a date-only end includes that whole day."""
    out = []
    if start:
        out.append(f"{column} >= {literal(start)}")
    if end:
        out.append(f"{column} < {literal(_day_after(end))}" if len(end) == 10 else f"{column} <= {literal(end)}")
    return out


def count_sql(
    group: str,
    found: Mapping[str, Entity],
    *,
    unassigned: frozenset[str],
    closed_ids: list[int],
    ticket_type_ids: list[int],
    state: str,
    created: tuple[str | None, str | None],
    updated: tuple[str | None, str | None],
    search: str | None,
) -> str:
    """One T-SQL SELECT counting tickets per `group` under the list_tickets filters."""
    g = GROUPS[group]
    where = ["ISNULL(FAULTS.FDeleted, 0) = 0"]
    for arg, entity in found.items():
        if arg in FILTER_COLUMNS:
            where.append(f"{FILTER_COLUMNS[arg]} = {int(entity.id)}")
        elif arg == "team":
            where.append(f"FAULTS.sectio_ = {literal(entity.name)}")
        elif arg == "category":
            where.append(f"FAULTS.category2 = {literal(entity.name)}")
    if "agent" in unassigned:
        where.append("ISNULL(FAULTS.Assignedtoint, 0) = 0")
    if "team" in unassigned:
        where.append("ISNULL(FAULTS.sectio_, '') = ''")
    if "ticket_type" not in found and ticket_type_ids:  # tickets only, as GET /Tickets lists them
        where.append(f"FAULTS.Requesttype IN ({','.join(str(int(i)) for i in ticket_type_ids)})")
    if state != "all" and closed_ids:
        closed = ",".join(str(int(i)) for i in closed_ids)
        where.append(f"FAULTS.Status {'NOT IN' if state == 'open' else 'IN'} ({closed})")
    where += _range("FAULTS.dateoccured", *created)  # sic: Halo's spelling
    where += _range("FAULTS.Flastactiondate", *updated)
    if search:
        pattern = literal("%" + search.replace("[", "[[]").replace("%", "[%]").replace("_", "[_]") + "%")
        where.append(f"(FAULTS.Symptom LIKE {pattern} OR FAULTS.symptom2 LIKE {pattern})")
    name = f", MAX({g.name_column}) AS name" if g.name_column else ""
    return (
        f"SELECT {g.column} AS value{name}, COUNT(*) AS tickets FROM FAULTS WITH (NOLOCK) {g.join} "
        f"WHERE {' AND '.join(where)} GROUP BY {g.column} ORDER BY tickets DESC"
    ).replace("  ", " ")


async def report(ctx: ToolContext, sql: str) -> list[dict[str, Any]] | None:
    """Rows of one guarded SELECT run by Halo's reporting API; None when this connection may not run reports."""
    try:
        return report_rows(await ctx.halo.post("Report", [{"_loadreportonly": True, "sql": check_sql(sql)}]))
    except (HaloPermissionError, HaloValidationError, ToolError):
        return None


async def by_sql(ctx: ToolContext, group: str, sql: str) -> Counts | None:
    """Counts from Halo's reporting SQL, or None when this connection cannot run it (then page instead)."""
    rows = await report(ctx, sql)
    if rows is None:
        return None
    names = await _names(ctx, group)
    out = []
    for row in rows:
        value = row.get("value")
        label = row.get("name") or names.get(_as_int(value), value)
        out.append({"value": value, "name": label, "tickets": int(row.get("tickets") or 0)})
    return Counts(out, "Halo's reporting SQL (one query, exact)")


async def by_paging(
    ctx: ToolContext,
    group: str,
    params: Mapping[str, Any],
    key: Callable[[Mapping[str, Any]], Any],
    keep: Callable[[Mapping[str, Any]], bool] | None = None,
) -> Counts:
    """Counts from GET /Tickets pages (newest first), at most COUNT_PAGES of them; `key` gives a row's group and
    `keep` drops rows the list filters could not (SLA state, unassigned)."""
    first = await ctx.halo.list_page("Tickets", "tickets", params, page_size=PAGE_CAP)
    pages = [first.rows]
    total = first.total
    if total is not None and len(first.rows) == PAGE_CAP:
        gate = asyncio.Semaphore(PARALLEL_PAGES)
        last = min(math.ceil(total / PAGE_CAP), COUNT_PAGES)
        wanted, fetched = min(total, last * PAGE_CAP), len(first.rows)

        async def page(no: int) -> list[dict[str, Any]]:
            nonlocal fetched
            async with gate:
                rows = (await ctx.halo.list_page("Tickets", "tickets", params, page_no=no, page_size=PAGE_CAP)).rows
            fetched += len(rows)
            await ctx.progress(fetched, wanted, f"counting: fetched {fetched:,} of {wanted:,} tickets")
            return rows

        pages += await asyncio.gather(*(page(no) for no in range(2, last + 1)))
    seen = [r for p in pages for r in p]
    rows = [r for r in seen if keep is None or keep(r)]
    tally: Counter[Any] = Counter()
    labels: dict[Any, Any] = {}
    for row in rows:
        value = key(row)
        tally[value] += 1
        name_field = NAME_FIELDS.get(GROUPS[group].row_field)
        if name_field and row.get(name_field):
            labels[value] = row[name_field]
    names = await _names(ctx, group)
    out = [
        {"value": v, "name": labels.get(v) or names.get(_as_int(v), v), "tickets": n} for v, n in tally.most_common()
    ]
    complete = total is None or len(seen) >= total
    read = f"{len(seen)} tickets read" if complete else f"the newest {len(seen)} of {total} read (narrow the dates)"
    return Counts(out, f"paging GET /Tickets, {read}", complete)


async def _names(ctx: ToolContext, group: str) -> dict[int | None, Any]:
    table = GROUPS[group].name_table
    return {e.id: e.name for e in await ctx.resolver.table(table)} if table else {}


def _as_int(value: Any) -> int | None:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


def day_bounds(value: str | None) -> str | None:
    """A date-only end bound as the last second of that day, so 'to 2026-01-31' includes the 31st."""
    if value and len(value) == 10:
        return datetime.fromisoformat(value).replace(hour=23, minute=59, second=59).isoformat()
    return value


TEAM_HISTORY_DAYS = 180
TEAM_CATEGORIES_SHOWN = 3


async def team_categories(ctx: ToolContext) -> dict[str, list[str]]:
    """What each team handles: the categories of its tickets over the last TEAM_HISTORY_DAYS, most frequent first.

    One reporting-SQL query; {} when the connection may not run reports (the team list then stands alone).
    """
    since = (date.today() - timedelta(days=TEAM_HISTORY_DAYS)).isoformat()
    sql = (
        "SELECT FAULTS.sectio_ AS team, FAULTS.category2 AS category, COUNT(*) AS tickets FROM FAULTS WITH (NOLOCK) "
        f"WHERE ISNULL(FAULTS.FDeleted, 0) = 0 AND FAULTS.dateoccured >= {literal(since)} "
        "GROUP BY FAULTS.sectio_, FAULTS.category2 ORDER BY tickets DESC"
    )
    rows = await report(ctx, sql)
    out: dict[str, list[str]] = {}
    for row in rows or []:
        team, category = str(row.get("team") or ""), str(row.get("category") or "")
        if team and category and len(out.setdefault(team, [])) < TEAM_CATEGORIES_SHOWN:
            out[team].append(category)
    return out


async def open_tickets_per_client(ctx: ToolContext, client_ids: list[int]) -> dict[int, int] | None:
    """Open tickets of each client, one reporting-SQL query; None when the connection may not run reports.

    Halo's client rows carry `open_ticket_count` only with `showcounts` and may leave it 0, so it is counted here.
    """
    if not client_ids:
        return {}
    closed = [e.id for e in await ctx.resolver.table("status") if e.record.get("type") == 2]
    types = [e.id for e in await ctx.resolver.table("tickettype") if str(e.record.get("use") or "ticket") == "ticket"]
    where = [
        "ISNULL(FAULTS.FDeleted, 0) = 0",
        f"FAULTS.Areaint IN ({','.join(str(int(i)) for i in client_ids)})",
        *([f"FAULTS.Status NOT IN ({','.join(str(int(i)) for i in closed)})"] if closed else []),
        *([f"FAULTS.Requesttype IN ({','.join(str(int(i)) for i in types)})"] if types else []),
    ]
    sql = (
        "SELECT FAULTS.Areaint AS client, COUNT(*) AS tickets FROM FAULTS WITH (NOLOCK) "
        f"WHERE {' AND '.join(where)} GROUP BY FAULTS.Areaint"
    )
    rows = await report(ctx, sql)
    if rows is None:
        return None
    return {int(float(r["client"])): int(r.get("tickets") or 0) for r in rows if r.get("client") is not None}

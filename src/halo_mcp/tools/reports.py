"""[reports] Saved reports and read-only SQL against Halo's reporting API.

Halo runs report SQL with the reporting user's database rights, which are not necessarily read-only, so `query_sql`
sends only what the SQL guard (`tools/sql_guard.py`) accepts: one read-only SELECT, parsed, comments dropped.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import Field

from halo_mcp.tools.errors import ToolError
from halo_mcp.tools.framework import Args, ToolContext, ToolOutput, tool
from halo_mcp.tools.paging import Limit, clamp_to, get_one, parse_day, search_list
from halo_mcp.tools.render import compact, list_output, truncate
from halo_mcp.tools.resolve import Ref
from halo_mcp.tools.spans import untrusted
from halo_mcp.tools.sql_guard import check_sql

ROW_CAP = 200
CELL_CHARS = 300
RowLimit = Annotated[int, clamp_to(ROW_CAP)]

# -- results --------------------------------------------------------------------------------------------------


def report_rows(data: Any) -> list[dict[str, Any]]:
    """`report.rows` (or top-level `rows`); `report.load_error` becomes a ToolError with Halo's message."""
    if isinstance(data, list):
        data = data[0] if data and isinstance(data[0], dict) else {}
    if not isinstance(data, dict):
        return []
    nested = data.get("report")
    report: dict[str, Any] = nested if isinstance(nested, dict) else data
    error = report.get("load_error")
    if error:
        raise ToolError(f"Halo could not run the report: {untrusted(str(error))}")  # SQL Server quotes the SQL
    rows = report.get("rows")
    if rows is None:
        rows = data.get("rows")
    return [r for r in rows or [] if isinstance(r, dict)]


def rows_output(rows: list[dict[str, Any]], limit: int, what: str) -> ToolOutput:
    """Rows capped at `limit`, long cells cut; the table is one «» span, as every table is."""
    shown = [{k: _cell(v) for k, v in row.items()} for row in rows[:limit]]
    note = ""
    if len(rows) > limit:
        note = f"truncated to the first {limit} rows; narrow the query (WHERE, TOP, GROUP BY) to see the rest"
    out = list_output("rows", shown, total=len(rows), note=note)
    out.text = f"{what}: {out.text}"
    return out


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        return truncate(value.replace("\r", ""), CELL_CHARS)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# -- tools ----------------------------------------------------------------------------------------------------

REPORT_FIELDS = ("id", "name", "group_name", "mainentity", "description")


class ListReportsArgs(Args):
    query: str | None = None
    limit: Limit = 50
    cursor: str | None = None


@tool("reports", title="List saved reports", idempotent=True)
async def list_reports(ctx: ToolContext, args: ListReportsArgs) -> ToolOutput:
    """Find saved reports to run with run_report."""
    return await search_list(
        ctx, "Report", "reports", query=args.query, limit=args.limit, cursor=args.cursor,
        row=lambda r: compact(r, REPORT_FIELDS), columns=REPORT_FIELDS,
        empty_note="try one word of the name, or omit query",
    )  # fmt: skip


class RunReportArgs(Args):
    report: Ref = Field(description="id or name")
    start: str | None = Field(None, description="YYYY-MM-DD, today or -30d")
    end: str | None = None
    client: Ref | None = None
    limit: RowLimit = ROW_CAP


@tool("reports", title="Run a saved report", idempotent=True)
async def run_report(ctx: ToolContext, args: RunReportArgs) -> ToolOutput:
    """Run a saved report, optionally for a reporting period or one client, and return its rows."""
    report_id, name = await _resolve_report(ctx, args.report)
    params: dict[str, Any] = {"loadreport": True}
    start = parse_day(args.start, "start") if args.start else None
    end = parse_day(args.end, "end") if args.end else None
    if start or end:
        params["reportingperiodstartdate"] = (start or date(1900, 1, 1)).isoformat()
        params["reportingperiodenddate"] = (end or date(9999, 12, 31)).isoformat()
    client = await ctx.resolver.resolve_optional("client", args.client)
    if client:
        params["client_id"] = client.id
    await ctx.progress(1, 2, f"running report {report_id} in Halo")  # Halo runs it while we wait: one step
    data = await get_one(ctx, "Report", report_id, "use list_reports to find it", params)
    rows = report_rows(data)
    await ctx.progress(2, 2, f"report {report_id}: {len(rows):,} rows")
    period = f" from {start or '…'} to {end or '…'}" if start or end else ""
    return rows_output(rows, args.limit, f"report {report_id} {untrusted(str(data.get('name') or name))}{period}")


class QuerySqlArgs(Args):
    sql: str = Field(description="T-SQL SELECT on Halo tables (FAULTS, ACTIONS, AREA...)")
    limit: RowLimit = ROW_CAP


@tool("reports", title="Run read-only SQL", idempotent=True)
async def query_sql(ctx: ToolContext, args: QuerySqlArgs) -> ToolOutput:
    """Run one read-only SELECT on Halo's database; other statements are refused."""
    sql = check_sql(args.sql)
    data = await ctx.halo.post("Report", [{"_loadreportonly": True, "sql": sql}])
    return rows_output(report_rows(data), args.limit, "query")


async def _resolve_report(ctx: ToolContext, value: int | str) -> tuple[int, str]:
    """A saved report's id from its id or name: exact name, else a unique partial match, else candidates."""
    if isinstance(value, int) or value.strip().isdigit():
        return int(value), str(value)
    text = value.strip()
    page = await ctx.halo.list_page("Report", "reports", {"search": text}, page_size=25)
    if not page.rows and len(text) > 4:
        page = await ctx.halo.list_page("Report", "reports", {"search": text.split()[0][:4]}, page_size=25)
    named = [(int(r["id"]), str(r.get("name") or "")) for r in page.rows if r.get("id")]
    exact = [r for r in named if r[1].lower() == text.lower()]
    partial = [r for r in named if text.lower() in r[1].lower()]
    for matches in (exact, partial):
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            found = ", ".join(f"{untrusted(n)} (id {i})" for i, n in matches[:8])
            raise ToolError(f"{text!r} matches several reports: {found}; pass the id")
    if named:
        found = ", ".join(f"{untrusted(n)} (id {i})" for i, n in named[:5])
        raise ToolError(f"no report named {text!r}; did you mean {found}?")
    raise ToolError(f"no report named {text!r}; use list_reports to see them")

"""[reports] Saved reports and read-only SQL against Halo's reporting API.

Halo runs report SQL with the reporting user's database rights, which are not necessarily read-only, so `query_sql`
checks every statement before it leaves the server (`check_sql`). The check is a small T-SQL tokenizer, not a
regex: comments are removed (and never sent to Halo), string literals and quoted identifiers are skipped, and what
remains must be a single SELECT (or WITH ... SELECT) with no data-changing, schema-changing, executing or
file-reading keyword anywhere. What was checked is exactly what is sent: comment-free SQL rebuilt from the tokens.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from pydantic import Field

from halo_mcp.tools.errors import ToolError
from halo_mcp.tools.framework import Args, ToolContext, ToolOutput, tool
from halo_mcp.tools.paging import Limit, clamp_to, get_one, parse_day, search_list
from halo_mcp.tools.render import compact, list_output, truncate
from halo_mcp.tools.resolve import Ref
from halo_mcp.tools.spans import untrusted

ROW_CAP = 200
CELL_CHARS = 300
MAX_SQL_CHARS = 20_000
RowLimit = Annotated[int, clamp_to(ROW_CAP)]

# -- the SQL guard ----------------------------------------------------------------------------------------------

FORBIDDEN = frozenset(
    {
        "INSERT", "UPDATE", "DELETE", "MERGE", "DROP", "ALTER", "CREATE", "RENAME", "EXEC", "EXECUTE", "GRANT",
        "REVOKE", "DENY", "TRUNCATE", "INTO", "DECLARE", "SET", "USE", "GO", "BEGIN", "COMMIT", "ROLLBACK", "BULK",
        "OPENROWSET", "OPENDATASOURCE", "OPENQUERY", "OPENXML", "SHUTDOWN", "KILL", "DBCC", "BACKUP", "RESTORE",
        "RECONFIGURE", "WAITFOR", "UPDATETEXT", "WRITETEXT", "READTEXT", "ENABLE", "DISABLE", "CHECKPOINT",
        "RECEIVE", "SEND", "SETUSER", "REVERT",
    }
)  # fmt: skip
FORBIDDEN_PREFIXES = ("XP_", "SP_")  # extended and system stored procedures
STATEMENT_WORDS = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE", "MERGE"})
_WORD = re.compile(r"[^\W\d][\w@$#]*|[@#][\w@$#]*")
# Exact T-SQL numbers: `1FROM` lexes as 1 then FROM in SQL Server, so a greedy [\w.]* would hide keywords.
_NUMBER = re.compile(r"0[xX][0-9a-fA-F]*|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


class SqlRefused(ToolError):
    """The SQL was refused before reaching Halo; the message says why and what is allowed."""


@dataclass(frozen=True)
class SqlToken:
    kind: str  # word | string | quoted | number | symbol | comment
    text: str
    start: int
    end: int


def tokenize(sql: str) -> list[SqlToken]:
    """T-SQL lexing: '' escapes in strings, ]] in [identifiers], "" in "identifiers", nested /* */ comments."""
    tokens: list[SqlToken] = []
    i, n = 0, len(sql)
    while i < n:
        c = sql[i]
        if c.isspace():
            i += 1
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end < 0 else end + 1
            tokens.append(SqlToken("comment", sql[i:end], i, end))
            i = end
        elif sql.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if sql.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif sql.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            if depth:
                raise SqlRefused("unterminated /* comment */")
            tokens.append(SqlToken("comment", sql[i:j], i, j))
            i = j
        elif c in "'\"[":
            close = "]" if c == "[" else c
            j = i + 1
            while True:
                j = sql.find(close, j)
                if j < 0:
                    what = "string literal" if c == "'" else "quoted identifier"
                    raise SqlRefused(f"unterminated {what} starting {sql[i : i + 20]!r}")
                if sql.startswith(close * 2, j):  # doubled quote: an escaped quote inside
                    j += 2
                    continue
                break
            tokens.append(SqlToken("string" if c == "'" else "quoted", sql[i : j + 1], i, j + 1))
            i = j + 1
        elif match := _WORD.match(sql, i):
            tokens.append(SqlToken("word", match.group(), i, match.end()))
            i = match.end()
        elif match := _NUMBER.match(sql, i):
            tokens.append(SqlToken("number", match.group(), i, match.end()))
            i = match.end()
        else:
            tokens.append(SqlToken("symbol", c, i, i + 1))
            i += 1
    return tokens


def _keyword(token: SqlToken) -> str:
    """A word as SQL Server would compare it (case- and width-insensitive); quoted names keep their brackets."""
    return unicodedata.normalize("NFKC", token.text).upper() if token.kind == "word" else ""


def check_sql(sql: str) -> str:
    """The SQL to send if it is one read-only SELECT; otherwise raise SqlRefused. Comments are dropped."""
    if len(sql) > MAX_SQL_CHARS:
        raise SqlRefused(f"the query is longer than {MAX_SQL_CHARS} characters")
    everything = tokenize(sql)
    tokens = [t for t in everything if t.kind != "comment"]
    while tokens and tokens[-1].text == ";":
        tokens.pop()
    if not tokens:
        raise SqlRefused("the query is empty (comments are ignored)")
    if any(t.text == ";" for t in tokens):
        raise SqlRefused("only one statement is allowed: remove the ';' between statements")
    first = next((t for t in tokens if t.text != "("), tokens[0])
    if _keyword(first) not in ("SELECT", "WITH"):
        raise SqlRefused(f"only SELECT queries are allowed (the query starts with {first.text!r})")
    for token in tokens:
        word = _keyword(token)
        if word in FORBIDDEN:
            raise SqlRefused(
                f"{word} is not allowed: query_sql runs read-only SELECT statements only "
                "(a column with that name can be written in [brackets])"
            )
        name = unicodedata.normalize("NFKC", token.text).upper().lstrip('["')
        if token.kind in ("word", "quoted") and name.startswith(FORBIDDEN_PREFIXES):
            raise SqlRefused(f"system procedures ({token.text}) are not allowed")
    if _keyword(first) == "WITH":
        _check_cte_body(tokens)
    return _without_comments(sql, everything, tokens[-1].end)


def _check_cte_body(tokens: list[SqlToken]) -> None:
    """After WITH name AS (...), ... the statement itself (first keyword at depth 0) must be a SELECT."""
    depth = 0
    for token in tokens[1:]:
        if token.text == "(":
            depth += 1
        elif token.text == ")":
            depth -= 1
        elif depth == 0 and _keyword(token) in STATEMENT_WORDS:
            if _keyword(token) != "SELECT":
                raise SqlRefused(f"only WITH ... SELECT is allowed, not WITH ... {token.text}")
            return
    raise SqlRefused("a WITH query must end with a SELECT")


def _without_comments(sql: str, tokens: list[SqlToken], end: int) -> str:
    """The original text up to `end` with each comment replaced by a space (a comment separates tokens in T-SQL)."""
    parts, pos = [], 0
    for token in tokens:
        if token.start >= end:
            break
        if token.kind == "comment":
            parts.append(sql[pos : token.start] + " ")
            pos = token.end
    parts.append(sql[pos:end])
    return "".join(parts).strip()


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
    data = await get_one(ctx, "Report", report_id, "use list_reports to find it", params)
    rows = report_rows(data)
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

"""The report SQL guard: only one read-only SELECT reaches Halo, on every path that carries SQL.

Halo runs report SQL with its reporting user's database rights, which are not necessarily read-only, and T-SQL needs
no `;` between statements, so keyword lists cannot tell one SELECT from a batch. The guard parses the SQL with
sqlglot's T-SQL dialect and accepts exactly one statement that is a SELECT, a WITH ... SELECT or a set operation of
SELECTs, with no INTO, no variables (`@x`, `@@VERSION`) or assignments, no table hint other than NOLOCK, no query
hint (OPTION), and only the functions in `FUNCTIONS` (aggregates, dates, strings, maths, conversion, logic, window
functions). Anything the parser cannot read is refused with the place it stopped.

Where sqlglot reads more leniently than SQL Server the guard is stricter: a bare name that SQL Server reserves
(`SELECT 1 DELETE FROM t` is an alias to sqlglot, a second statement to SQL Server) or that is not a regular T-SQL
identifier (`0x1UPDATE`) must be written in [brackets]. What was checked is exactly what is sent: the tokens the
parser read, comments dropped (a comment becomes a space, as it separates tokens in T-SQL).

`query_sql` checks its statement with `check_sql`; `call_operation` checks every SQL field of a request with
`check_request`, using the fields listed in `data/sql_fields.json` (generated from Halo's spec by
`scripts/gen_sql_fields.py`). sqlglot is imported on the first check, not at start-up.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import unicodedata
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from halo_mcp.tools.errors import ToolError

if TYPE_CHECKING:
    from sqlglot import exp

MAX_SQL_CHARS = 20_000

# sqlglot expression classes (what the parser turns T-SQL functions into), by kind. T-SQL names in comments.
FUNCTIONS = frozenset({
    # operators the parser models as functions: AND, OR, EXISTS (...), COLLATE
    "And", "Or", "Exists", "Collate",
    # aggregates: COUNT, COUNT_BIG, SUM, AVG, MIN, MAX, STDEV, STRING_AGG
    "Count", "Sum", "Avg", "Min", "Max", "Stddev", "StddevPop", "StddevSamp", "Variance", "VariancePop",
    "GroupConcat", "ApproxDistinct",
    # dates: GETDATE, CURRENT_TIMESTAMP, DATEADD, DATEDIFF, DATEPART, DATENAME, YEAR, MONTH, DAY, EOMONTH,
    # DATEFROMPARTS, DATETIMEFROMPARTS (the parser wraps DATEDIFF's and CAST AS date's operands in the To* classes)
    "CurrentTimestamp", "CurrentDate", "DateAdd", "DateDiff", "DateSub", "Extract", "Year", "Month", "Day",
    "LastDay", "DateFromParts", "TimestampFromParts", "TsOrDsToDate", "TimeStrToTime", "TimeToStr", "TsOrDsAdd",
    "TsOrDsDiff", "DateTrunc", "TimestampTrunc",
    # strings: LEN, SUBSTRING, LEFT, RIGHT, CHARINDEX, REPLACE, UPPER, LOWER, LTRIM, RTRIM, TRIM, CONCAT,
    # CONCAT_WS, STUFF, REPLICATE, REVERSE, SPACE, TRANSLATE, CHAR, ASCII, UNICODE, SOUNDEX, FORMAT, JSON_VALUE
    "Length", "Substring", "Left", "Right", "StrPosition", "Replace", "Upper", "Lower", "Trim", "Concat",
    "ConcatWs", "Stuff", "Repeat", "Reverse", "Space", "Translate", "Chr", "Ascii", "Unicode", "Soundex",
    "NumberToStr", "JSONExtractScalar",
    # maths: ROUND, ABS, CEILING, FLOOR, POWER, SQRT, SIGN, EXP, LOG, PI, RAND, GREATEST, LEAST
    "Round", "Abs", "Ceil", "Floor", "Pow", "Sqrt", "Sign", "Exp", "Ln", "Log", "Pi", "Rand", "Greatest", "Least",
    # conversion and logic: CAST, TRY_CAST, CONVERT, TRY_CONVERT, ISNULL, COALESCE, NULLIF, IIF, CASE
    "Cast", "TryCast", "Convert", "Coalesce", "Nullif", "If", "Case",
    # window functions: ROW_NUMBER, RANK, DENSE_RANK, NTILE, LAG, LEAD, FIRST_VALUE, LAST_VALUE, PERCENT_RANK,
    # CUME_DIST
    "RowNumber", "Rank", "DenseRank", "Ntile", "Lag", "Lead", "FirstValue", "LastValue", "NthValue",
    "PercentRank", "CumeDist",
})  # fmt: skip
# T-SQL functions sqlglot has no class for (it keeps their name).
NAMED_FUNCTIONS = frozenset({
    # operators the parser models as functions: AND, OR, EXISTS (...), COLLATE
    "And", "Or", "Exists", "Collate",
    "GETUTCDATE", "SYSDATETIME", "SYSUTCDATETIME", "DATEDIFF_BIG", "SWITCHOFFSET", "TODATETIMEOFFSET",
    "DATETIME2FROMPARTS", "ISDATE", "DATALENGTH", "PATINDEX", "STR", "NCHAR", "DIFFERENCE", "STRING_ESCAPE",
    "ISNUMERIC", "CHOOSE", "STDEVP", "VAR", "VARP", "CHECKSUM_AGG", "SQUARE", "LOG10",
})  # fmt: skip
# SQL Server's reserved keywords, and the non-reserved words that start a statement: as a bare name they would end
# the SELECT for SQL Server, whatever sqlglot makes of them.
RESERVED = frozenset(
    """
ADD ALL ALTER AND ANY AS ASC AUTHORIZATION BACKUP BEGIN BETWEEN BREAK BROWSE BULK BY CASCADE CASE CHECK CHECKPOINT
CLOSE CLUSTERED COALESCE COLLATE COLUMN COMMIT COMPUTE CONSTRAINT CONTAINS CONTAINSTABLE CONTINUE CONVERT CREATE CROSS
CURRENT CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP CURRENT_USER CURSOR DATABASE DBCC DEALLOCATE DECLARE DEFAULT
DELETE DENY DESC DISK DISTINCT DISTRIBUTED DOUBLE DROP DUMP ELSE END ERRLVL ESCAPE EXCEPT EXEC EXECUTE EXISTS EXIT
EXTERNAL FETCH FILE FILLFACTOR FOR FOREIGN FREETEXT FREETEXTTABLE FROM FULL FUNCTION GOTO GRANT GROUP HAVING HOLDLOCK
IDENTITY IDENTITY_INSERT IDENTITYCOL IF IN INDEX INNER INSERT INTERSECT INTO IS JOIN KEY KILL LEFT LIKE LINENO LOAD
MERGE NATIONAL NOCHECK NONCLUSTERED NOT NULL NULLIF OF OFF OFFSETS ON OPEN OPENDATASOURCE OPENQUERY OPENROWSET
OPENXML OPTION OR ORDER OUTER OVER PERCENT PIVOT PLAN PRECISION PRIMARY PRINT PROC PROCEDURE PUBLIC RAISERROR READ
READTEXT RECONFIGURE REFERENCES REPLICATION RESTORE RESTRICT RETURN REVERT REVOKE RIGHT ROLLBACK ROWCOUNT ROWGUIDCOL
RULE SAVE SCHEMA SECURITYAUDIT SELECT SEMANTICKEYPHRASETABLE SEMANTICSIMILARITYDETAILSTABLE SEMANTICSIMILARITYTABLE
SESSION_USER SET SETUSER SHUTDOWN SOME STATISTICS SYSTEM_USER TABLE TABLESAMPLE TEXTSIZE THEN TO TOP TRAN TRANSACTION
TRIGGER TRUNCATE TRY_CONVERT TSEQUAL UNION UNIQUE UNPIVOT UPDATE UPDATETEXT USE USER VALUES VARYING VIEW WAITFOR WHEN
WHERE WHILE WITH WRITETEXT
GO THROW ENABLE DISABLE RECEIVE SEND MOVE GET
""".split()  # noqa: SIM905
)  # fmt: skip
TABLE_HINTS = frozenset({"NOLOCK"})
SYSTEM_PREFIXES = ("XP_", "SP_", "FN_")  # extended and system procedures, system table functions
REFUSED_STATEMENTS = (
    "Insert", "Update", "Delete", "Merge", "Create", "Drop", "Alter", "TruncateTable", "Command", "Execute", "Set",
    "Use", "Transaction", "Commit", "Rollback", "Declare", "IfBlock", "WhileBlock", "Grant", "Revoke",
)  # fmt: skip
_REGULAR_NAME = re.compile(r"[^\W\d][\w@$#]*|#[\w@$#]*")  # T-SQL's rule for names written without brackets


class SqlRefused(ToolError):
    """The SQL was refused before reaching Halo; the message says why and what to change."""


def check_sql(sql: str) -> str:
    """The SQL to send if it is one read-only SELECT; otherwise raise SqlRefused. Comments are dropped."""
    expression, sent = _parse(sql, statement=True)
    if type(expression).__name__ not in ("Select", "Union", "Intersect", "Except", "Subquery"):
        raise SqlRefused(f"only SELECT queries are allowed: {_words(expression)} is not allowed")
    _check_tree(expression, sql)
    return sent


def check_expression(sql: str) -> str:
    """A SQL condition or value (a `where_sql` field) to send if it reads nothing but allowed expressions."""
    expression, sent = _parse(sql, statement=False)
    _check_tree(expression, sql)
    return sent


def check_request(operation: str, query: dict[str, Any], body: Any) -> tuple[dict[str, Any], Any]:
    """(query, body) with every SQL field of `operation`, at any depth, checked and sent as checked."""
    fields = sql_fields().get(operation)
    if not fields:
        return query, body
    lowered = {k.lower(): v for k, v in fields.items()}
    return _check_fields(query, lowered, operation), _check_fields(body, lowered, operation)


def _check_fields(value: Any, fields: dict[str, str], operation: str) -> Any:
    if isinstance(value, list):
        return [_check_fields(v, fields, operation) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, inner in value.items():
        kind = fields.get(key.lower())
        if kind and inner is not None and not isinstance(inner, str):
            raise SqlRefused(f"{operation}, field {key}: SQL is sent as a string, not {type(inner).__name__}")
        if kind and isinstance(inner, str) and inner.strip():
            try:
                out[key] = check_sql(inner) if kind == "statement" else check_expression(inner)
            except SqlRefused as e:
                raise SqlRefused(f"{operation}, field {key}: {e}") from None
        else:
            out[key] = _check_fields(inner, fields, operation)
    return out


@cache
def sql_fields() -> dict[str, dict[str, str]]:
    """Operation name -> {SQL field name: kind (statement or expression)}, from `data/sql_fields.json`."""
    data = json.loads(resources.files("halo_mcp.data").joinpath("sql_fields.json").read_text())
    return dict(data["operations"])


# -- parsing ----------------------------------------------------------------------------------------------------


@cache
def _tsql() -> Any:
    """sqlglot's T-SQL dialect, imported on first use (about 0.1 s: kept off the start-up path)."""
    from sqlglot.dialects.tsql import TSQL

    # Unsupported syntax is refused here, so sqlglot's "falling back to a Command" warning (with the SQL) is noise.
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    return TSQL()


def _parse(sql: str, *, statement: bool) -> tuple[exp.Expression, str]:
    """(expression, text to send): exactly one statement (or one expression), read by sqlglot's T-SQL parser."""
    from sqlglot import exp
    from sqlglot.errors import ParseError, TokenError
    from sqlglot.tokens import TokenType

    if len(sql) > MAX_SQL_CHARS:
        raise SqlRefused(f"the query is longer than {MAX_SQL_CHARS} characters; shorten it")
    dialect = _tsql()
    try:
        tokens = dialect.tokenize(sql)
    except TokenError:
        raise SqlRefused('the query has an unterminated string, [name], "name" or /* comment */; close it') from None
    while tokens and tokens[-1].token_type == TokenType.SEMICOLON:
        tokens.pop()
    if not tokens:
        raise SqlRefused("the query is empty (comments are ignored); write one SELECT")
    if any(t.token_type == TokenType.SEMICOLON for t in tokens):
        raise SqlRefused("only one statement is allowed: remove the ';' and what follows it")
    if any(t.token_type == TokenType.LIMIT for t in tokens):
        raise SqlRefused("T-SQL has no LIMIT: write SELECT TOP n ... (a column named limit goes in [brackets])")
    for token in tokens:
        raw = sql[token.start : token.end + 1]
        if token.token_type in (TokenType.VAR, TokenType.IDENTIFIER) and raw[:1] not in '["':
            name = unicodedata.normalize("NFKC", raw)
            if not _REGULAR_NAME.fullmatch(name):
                raise SqlRefused(f"{raw!r} is not a name SQL Server reads the same way: write it in [brackets] "
                                 "or put a space between a number and the word after it")  # fmt: skip
    sent = _text_of(sql, tokens)
    try:
        if statement:
            parsed = [e for e in dialect.parser().parse(tokens, sql) if e is not None]
        else:
            parsed = list(dialect.parser().parse_into(exp.Condition, tokens, sql))
    except ParseError as e:
        raise SqlRefused(_unreadable(e, sql, statement)) from None
    if len(parsed) != 1:
        raise SqlRefused("only one statement is allowed: remove what follows the SELECT")
    return parsed[0], sent


def _unreadable(error: Any, sql: str, statement: bool) -> str:
    """Where the parser stopped, and what to change."""
    first = (getattr(error, "errors", None) or [{}])[0]
    line, col = first.get("line"), first.get("col")
    near = f"{first.get('start_context', '')}{first.get('highlight', '')}".strip()[-40:]
    where = f" at line {line}, column {col} (near {near!r})" if line else ""
    if statement:
        return (f"the T-SQL parser could not read the query{where}. query_sql takes one SELECT: remove anything after "
                "it (WHILE, IF, PRINT, RAISERROR, THROW, GOTO, SAVE TRAN and other statements are not allowed) "
                "and write names that are keywords in [brackets]")  # fmt: skip
    return f"the T-SQL parser could not read this as one SQL condition or value{where}; write a single expression"


def _text_of(sql: str, tokens: list[Any]) -> str:
    """The original text of `tokens`, with whatever separated two tokens other than white space (a comment) as ' '."""
    parts = [sql[tokens[0].start : tokens[0].end + 1]]
    for before, token in itertools.pairwise(tokens):
        gap = sql[before.end + 1 : token.start]
        parts.append(gap if gap.isspace() or not gap else " ")
        parts.append(sql[token.start : token.end + 1])
    return "".join(parts)


# -- the tree -------------------------------------------------------------------------------------------------


def _check_tree(tree: exp.Expression, sql: str) -> None:
    """Every node of a parsed query: no writes, INTO, variables, hints other than NOLOCK or unlisted functions."""
    from sqlglot import exp

    for node in tree.walk():
        kind = type(node).__name__
        if kind in REFUSED_STATEMENTS:
            raise SqlRefused(f"only SELECT queries are allowed: {_words(node)} is not allowed")
        if isinstance(node, exp.Select) and not node.expressions:
            raise SqlRefused("a SELECT needs at least one column: SELECT column, ... FROM table")
        if isinstance(node, exp.Into):
            raise SqlRefused("INTO is not allowed: query_sql reads, it does not create tables; remove INTO ...")
        # OPTION (MAXRECURSION 0) lifts SQL Server's recursion limit; FOR XML/JSON options are harmless
        if isinstance(node, exp.QueryOption) and node.arg_key == "options":
            raise SqlRefused(f"query hints (OPTION ({node.sql('tsql')})) are not allowed; remove OPTION (...)")
        if isinstance(node, exp.Parameter | exp.Placeholder | exp.SessionParameter):
            raise SqlRefused(f"variables and parameters ({node.sql('tsql')}) are not allowed: write the value itself")
        if isinstance(node, exp.WithTableHint):
            hints = [h.sql("tsql").upper() for h in node.expressions]
            if not set(hints) <= TABLE_HINTS:
                bad = ", ".join(h for h in hints if h not in TABLE_HINTS)
                raise SqlRefused(f"table hint {bad} is not allowed; only WITH (NOLOCK) is")
        elif isinstance(node, exp.IndexTableHint):
            raise SqlRefused("index hints are not allowed; only WITH (NOLOCK) is")
        elif isinstance(node, exp.Identifier):
            _check_name(node, sql)
        elif isinstance(node, exp.Var) and unicodedata.normalize("NFKC", node.name).upper() in RESERVED:
            raise SqlRefused(f"{node.name.upper()} is not allowed here: query_sql runs one read-only SELECT")
        elif isinstance(node, exp.Func):
            _check_function(node)


def _check_name(node: exp.Identifier, sql: str) -> None:
    start, end = node.meta.get("start"), node.meta.get("end")
    raw = sql[start : end + 1] if start is not None and end is not None else ""
    name = unicodedata.normalize("NFKC", raw.strip('[]"')).upper()
    if name.startswith(SYSTEM_PREFIXES):
        raise SqlRefused(f"system procedures and functions ({raw}) are not allowed")
    if raw[:1] not in '["' and name in RESERVED:
        raise SqlRefused(f"{name} is not allowed as a bare name: query_sql runs one read-only SELECT "
                         f"(a column or alias with that name can be written in [brackets]: [{raw}])")  # fmt: skip


def _check_function(node: exp.Func) -> None:
    from sqlglot import exp

    if isinstance(node, exp.Anonymous):
        name = unicodedata.normalize("NFKC", str(node.name)).upper()
        if name in NAMED_FUNCTIONS:
            return
    elif type(node).__name__ in FUNCTIONS:
        return
    else:
        name = _words(node)
    if name.startswith(SYSTEM_PREFIXES):
        raise SqlRefused(f"system procedures and functions ({name}) are not allowed")
    raise SqlRefused(
        f"{name} is not allowed: query_sql allows aggregate, date, string, maths, conversion and window "
        "functions (COUNT, SUM, DATEADD, DATEDIFF, GETDATE, CONVERT, CAST, ISNULL, LEN, ROUND, ROW_NUMBER, ...)"
    )


def _words(node: Any) -> str:
    """What a node is called in T-SQL: the first word of its SQL after any WITH (`DELETE`), or `NEXT VALUE FOR`."""
    if node.args.get("with_"):
        node = node.copy()
        node.set("with_", None)
    text = node.sql("tsql").upper()
    if text.startswith("NEXT VALUE FOR"):
        return "NEXT VALUE FOR"
    match = re.match(r"[A-Z_][A-Z0-9_]*", text)
    return match.group() if match else type(node).__name__.upper()

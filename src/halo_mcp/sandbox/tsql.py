"""T-SQL report queries on SQLite: parsed and transpiled with sqlglot (tsql -> sqlite), SQL Server semantics kept.

Halo's reports are T-SQL run on SQL Server (halo-api-facts.md section 12). sqlglot reads the T-SQL, and the tree is
rewritten where SQLite would answer differently from SQL Server:

- Dates. The report views expose every date as `YYYY-MM-DDTHH:MM:SS` (how Halo's API writes a date read from its
  database: naive, 0-3 trimmed fraction digits, facts section 17), so dates compare and sort as text. GETDATE(),
  DATEADD, DATEDIFF, DATEPART/YEAR/MONTH/DAY, EOMONTH, DATEFROMPARTS, CAST/CONVERT to date or datetime, FORMAT and
  CONVERT's date styles are Python functions with SQL Server's rules (DATEDIFF counts boundaries crossed; DATEADD
  of months keeps the day or clamps it to the month's end; weeks start on Sunday, DATEFIRST 7). `date + n` and
  `date - n` add days; a string compared with a date column is read as a date (`dateoccured >= '2024-01-01'`).
- Strings. `+` with a string operand concatenates; CAST/CONVERT to varchar(n) cut at n characters; `=`, `<>` and
  IN against a string literal ignore case (SQL Server's default collation); CONCAT treats NULL as ''.
- Names. `dbo.` and database prefixes are dropped; table hints are ignored; the sandbox's own tables are not
  reachable (SQL Server would say "Invalid object name").

sqlglot is imported on the first query, so sandbox start-up does not pay for it.
"""

from __future__ import annotations

import calendar
import re
import sqlite3
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

INTERNAL_PREFIXES = ("r_", "sandbox_", "sqlite_")
DATE_FUNCTIONS = frozenset({"TSQL_GETDATE", "TSQL_DATEADD", "TSQL_ADDDAYS", "TSQL_DATE", "TSQL_DATETIME",
                            "TSQL_EOMONTH", "TSQL_DATEFROMPARTS"})  # fmt: skip
TEXT_FUNCTIONS = frozenset({"tsql_strftime", "tsql_convert_style", "tsql_format_number", "tsql_left", "tsql_right",
                            "concat", "stuff", "repeat", "reverse"})  # fmt: skip
# Cut at their length; TEXT, which the parser puts around LEN's and LEFT's argument, is not.
CHAR_TYPES = frozenset({"VARCHAR", "NVARCHAR", "CHAR", "NCHAR"})
# Function names SQLite (or sqlglot's output for it) knows and SQL Server does not.
SQLITE_ONLY = frozenset({
    "DATETIME", "DATE", "TIME", "JULIANDAY", "STRFTIME", "UNIXEPOCH", "SUBSTR", "IFNULL", "INSTR", "PRINTF",
    "JSON_EXTRACT", "JSON_EACH", "JSON_TREE", "GROUP_CONCAT", "TOTAL", "LENGTH", "HEX", "RANDOM", "RANDOMBLOB",
    "ZEROBLOB", "TYPEOF", "GLOB", "LIKELIHOOD", "LIKELY", "UNLIKELY", "CHANGES", "TOTAL_CHANGES", "LAST_INSERT_ROWID",
    "QUOTE", "LOAD_EXTENSION", "SQLITE_VERSION", "SQLITE_SOURCE_ID", "REPEAT", "STDDEV",
})  # fmt: skip
DATE_TYPES = frozenset({"DATE"})
DATETIME_TYPES = frozenset({"DATETIME", "DATETIME2", "SMALLDATETIME", "TIMESTAMP", "DATETIMEOFFSET"})
DEFAULT_CHARS = 30  # CAST(x AS varchar) without a length: 30 characters in SQL Server
UNITS = {
    "YEAR": "year", "YY": "year", "YYYY": "year", "QUARTER": "quarter", "QQ": "quarter", "Q": "quarter",
    "MONTH": "month", "MM": "month", "M": "month", "DAYOFYEAR": "dayofyear", "DY": "dayofyear", "Y": "dayofyear",
    "DAY": "day", "DD": "day", "D": "day", "WEEK": "week", "WK": "week", "WW": "week", "WEEKDAY": "weekday",
    "DW": "weekday", "DAYOFWEEK": "weekday", "HOUR": "hour", "HH": "hour", "MINUTE": "minute", "MI": "minute",
    "N": "minute", "SECOND": "second", "SS": "second", "S": "second", "MILLISECOND": "millisecond", "MS": "millisecond",
    "ISO_WEEK": "iso_week", "ISOWK": "iso_week", "ISOWW": "iso_week", "WEEKISO": "iso_week",
}  # fmt: skip


class ReportSqlError(Exception):
    """The query cannot run; the message is what SQL Server would say, or the nearest to it."""


# -- dates ----------------------------------------------------------------------------------------------------

_DATE_TEXT = re.compile(
    r"(\d{4})-?(\d{2})-?(\d{2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$"
)
_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$")


def to_datetime(value: Any) -> datetime | None:
    """A SQL Server datetime from text (ISO with T or space, yyyymmdd, mm/dd/yyyy) or days since 1900-01-01."""
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime(1900, 1, 1) + timedelta(days=value)
    text = str(value).strip()
    if match := _DATE_TEXT.match(text):
        y, mo, d, h, mi, s, frac, zone = match.groups()
        try:
            dt = datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0),
                          int((frac or "0").ljust(6, "0")[:6]))  # fmt: skip
        except ValueError:
            return None
        if zone and zone != "Z":
            sign = 1 if zone[0] == "+" else -1
            hours, minutes = int(zone[1:3]), int(zone[-2:])
            dt -= sign * timedelta(hours=hours, minutes=minutes)
        return dt
    if match := _US_DATE.match(text):
        mo, d, y, h, mi, s = match.groups()
        try:
            return datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0))
        except ValueError:
            return None
    return None


def date_text(dt: datetime | None) -> str | None:
    """The views' (and Halo's API's) form of a datetime: YYYY-MM-DDTHH:MM:SS, then milliseconds without trailing 0s."""
    if dt is None:
        return None
    text = dt.strftime("%Y-%m-%dT%H:%M:%S")
    millis = f"{dt.microsecond // 1000:03d}".rstrip("0")
    return f"{text}.{millis}" if millis else text


def _unit(name: Any) -> str:
    unit = UNITS.get(str(name).upper())
    if unit is None:
        raise ValueError(f"'{name}' is not a recognized datepart option.")
    return unit


def _add_months(dt: datetime, months: int) -> datetime:
    index = dt.year * 12 + dt.month - 1 + months
    year, month = divmod(index, 12)
    day = min(dt.day, calendar.monthrange(year, month + 1)[1])
    return dt.replace(year=year, month=month + 1, day=day)


def dateadd(unit: str, number: Any, value: Any) -> str | None:
    dt = to_datetime(value)
    if dt is None or number is None:
        return None
    n, part = int(float(number)), _unit(unit)  # SQL Server truncates the number to an integer
    if part in ("year", "quarter", "month"):
        return date_text(_add_months(dt, n * {"year": 12, "quarter": 3, "month": 1}[part]))
    seconds = {"dayofyear": 86400, "day": 86400, "weekday": 86400, "week": 604800, "hour": 3600, "minute": 60,
               "second": 1, "millisecond": 0.001}.get(part)  # fmt: skip
    if seconds is None:
        raise ValueError(f"The datepart {unit} is not supported by date function dateadd.")
    return date_text(dt + timedelta(seconds=n * seconds))


def add_days(value: Any, days: Any) -> str | None:
    """`datetime + n` in T-SQL: n days, fractions included (GETDATE() - 0.5 is twelve hours ago)."""
    dt = to_datetime(value)
    return None if dt is None or days is None else date_text(dt + timedelta(days=float(days)))


def _week_index(d: date) -> int:
    return (d.toordinal() - date(1899, 12, 31).toordinal()) // 7  # weeks start on Sunday (DATEFIRST 7)


def datediff(unit: str, start: Any, end: Any) -> int | None:
    """DATEDIFF counts the `unit` boundaries crossed between start and end, as SQL Server does."""
    s, e = to_datetime(start), to_datetime(end)
    if s is None or e is None:
        return None
    part = _unit(unit)
    if part == "year":
        return e.year - s.year
    if part == "quarter":
        return (e.year * 4 + (e.month - 1) // 3) - (s.year * 4 + (s.month - 1) // 3)
    if part == "month":
        return (e.year * 12 + e.month) - (s.year * 12 + s.month)
    if part in ("day", "dayofyear", "weekday"):
        return (e.date() - s.date()).days
    if part == "week":
        return _week_index(e.date()) - _week_index(s.date())
    size = {"hour": 3600, "minute": 60, "second": 1, "millisecond": 0.001}.get(part)
    if size is None:
        raise ValueError(f"The datepart {unit} is not supported by date function datediff.")
    epoch = datetime(1900, 1, 1)
    return int((e - epoch).total_seconds() // size - (s - epoch).total_seconds() // size)


def datepart(unit: str, value: Any) -> int | None:
    dt = to_datetime(value)
    if dt is None:
        return None
    part = _unit(unit)
    if part == "weekday":
        return (dt.weekday() + 1) % 7 + 1  # Sunday is 1
    if part == "week":
        jan1 = date(dt.year, 1, 1)
        return _week_index(dt.date()) - _week_index(jan1) + 1
    if part == "iso_week":
        return dt.isocalendar()[1]
    if part == "quarter":
        return (dt.month - 1) // 3 + 1
    if part == "dayofyear":
        return dt.timetuple().tm_yday
    if part == "millisecond":
        return dt.microsecond // 1000
    return int(getattr(dt, part))


def eomonth(value: Any) -> str | None:
    dt = to_datetime(value)
    if dt is None:
        return None
    return date_text(datetime(dt.year, dt.month, calendar.monthrange(dt.year, dt.month)[1]))


def datefromparts(year: Any, month: Any, day: Any) -> str | None:
    if None in (year, month, day):
        return None
    return date_text(datetime(int(year), int(month), int(day)))


def to_date(value: Any) -> str | None:
    dt = to_datetime(value)
    return date_text(datetime(dt.year, dt.month, dt.day)) if dt else None


def to_datetime_text(value: Any) -> str | None:
    return date_text(to_datetime(value))


def strftime(value: Any, pattern: str) -> str | None:
    """FORMAT(date, '...') and DATENAME: sqlglot has turned the .NET pattern into a strftime one."""
    dt = to_datetime(value)
    return dt.strftime(pattern) if dt else None


# CONVERT(varchar, date, style): SQL Server's date and time styles.
STYLES = {
    0: "%b %d %Y %I:%M%p", 100: "%b %d %Y %I:%M%p", 1: "%m/%d/%y", 101: "%m/%d/%Y", 2: "%y.%m.%d", 102: "%Y.%m.%d",
    3: "%d/%m/%y", 103: "%d/%m/%Y", 4: "%d.%m.%y", 104: "%d.%m.%Y", 5: "%d-%m-%y", 105: "%d-%m-%Y",
    6: "%d %b %y", 106: "%d %b %Y", 7: "%b %d, %y", 107: "%b %d, %Y", 8: "%H:%M:%S", 108: "%H:%M:%S",
    10: "%m-%d-%y", 110: "%m-%d-%Y", 11: "%y/%m/%d", 111: "%Y/%m/%d", 12: "%y%m%d", 112: "%Y%m%d",
    20: "%Y-%m-%d %H:%M:%S", 120: "%Y-%m-%d %H:%M:%S", 23: "%Y-%m-%d", 24: "%H:%M:%S",
}  # fmt: skip


def convert_style(value: Any, style: Any) -> Any:
    """CONVERT(varchar, value, style): a date in the style's layout; other values as text."""
    dt = to_datetime(value) if isinstance(value, str) else None
    if dt is None:
        return None if value is None else str(value)
    code = int(style or 0)
    if code in (21, 25, 121):
        return dt.strftime("%Y-%m-%d %H:%M:%S.") + f"{dt.microsecond // 1000:03d}"
    if code in (126, 127):
        return date_text(dt)
    return dt.strftime(STYLES.get(code, "%b %d %Y %I:%M%p"))


def format_number(value: Any, pattern: str) -> str | None:
    """FORMAT(number, 'N2' | 'F1' | 'D' | 'P0' | 'C' | '#,##0.00') in the en-US culture."""
    if value is None:
        return None
    number = float(value)
    match = re.fullmatch(r"([NnFfDdPpCc])(\d*)", pattern)
    if match:
        kind, digits = match.group(1).upper(), match.group(2)
        places = int(digits) if digits else (0 if kind == "D" else 2)
        if kind == "D":
            return str(int(number)).zfill(places)
        if kind == "P":
            return f"{number * 100:,.{places}f}%"
        if kind == "C":
            return f"${number:,.{places}f}" if number >= 0 else f"-${-number:,.{places}f}"
        return f"{number:,.{places}f}" if kind == "N" else f"{number:.{places}f}"
    places = len(pattern.split(".", 1)[1]) if "." in pattern else 0
    return f"{number:,.{places}f}" if "," in pattern else f"{number:.{places}f}"


def left(value: Any, n: Any) -> str | None:
    return None if value is None or n is None else str(value)[: max(int(n), 0)]


def right(value: Any, n: Any) -> str | None:
    if value is None or n is None:
        return None
    return str(value)[-int(n) :] if int(n) > 0 else ""


def tsql_len(value: Any) -> int | None:
    return None if value is None else len(str(value).rstrip(" "))


def concat(*values: Any) -> str:
    return "".join("" if v is None else str(_number_text(v)) for v in values)


def _number_text(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def stuff(value: Any, start: Any, length: Any, insert: Any) -> str | None:
    if None in (value, start, length):
        return None
    text, i = str(value), int(start) - 1
    return text[:i] + ("" if insert is None else str(insert)) + text[i + int(length) :]


class StringAgg:
    """STRING_AGG(value, separator) WITHIN GROUP (ORDER BY key [DESC]): SQLite's own has no ORDER BY before 3.44."""

    def __init__(self) -> None:
        self.items: list[tuple[Any, str]] = []
        self.separator = ""
        self.descending = False

    def step(self, value: Any, separator: Any, key: Any, descending: Any) -> None:
        self.separator, self.descending = str(separator or ""), bool(descending)
        if value is not None:
            self.items.append((key, str(_number_text(value))))

    def finalize(self) -> str | None:
        if not self.items:
            return None
        ordered = sorted(self.items, key=lambda kv: (kv[0] is None, kv[0]), reverse=self.descending)
        return self.separator.join(v for _, v in ordered)


class Stdev:
    """STDEV: the sample standard deviation (SQLite has none)."""

    def __init__(self) -> None:
        self.values: list[float] = []

    def step(self, value: Any) -> None:
        if value is not None:
            self.values.append(float(value))

    def finalize(self) -> float | None:
        n = len(self.values)
        if n < 2:
            return None
        mean = sum(self.values) / n
        return float((sum((v - mean) ** 2 for v in self.values) / (n - 1)) ** 0.5)


FUNCTIONS: dict[str, tuple[int, Any]] = {
    "tsql_getdate": (0, lambda: date_text(datetime.now(UTC).replace(tzinfo=None))),
    "tsql_dateadd": (3, dateadd), "tsql_adddays": (2, add_days), "tsql_datediff": (3, datediff),
    "tsql_datepart": (2, datepart), "tsql_eomonth": (1, eomonth), "tsql_datefromparts": (3, datefromparts),
    "tsql_date": (1, to_date), "tsql_datetime": (1, to_datetime_text), "tsql_strftime": (2, strftime),
    "tsql_convert_style": (2, convert_style), "tsql_format_number": (2, format_number), "tsql_left": (2, left),
    "tsql_right": (2, right), "tsql_len": (1, tsql_len), "concat": (-1, concat), "stuff": (4, stuff),
    "repeat": (2, lambda s, n: None if s is None or n is None else str(s) * max(int(n), 0)),
    "reverse": (1, lambda s: None if s is None else str(s)[::-1]),
    "datalength": (1, lambda s: None if s is None else len(str(s).encode("utf-16-le"))),
    "ascii": (1, lambda s: ord(str(s)[0]) if s else None),
}  # fmt: skip


def register_functions(db: sqlite3.Connection) -> None:
    """SQL Server's functions on a SQLite connection (idempotent: a second call replaces the same functions).

    A function that raises fails the query with SQLite's "user-defined function raised exception"; the errors with a
    message worth reading (an unknown datepart) are raised by `translate` instead."""
    for name, (arity, fn) in FUNCTIONS.items():
        db.create_function(name, arity, fn)
    db.create_aggregate("tsql_string_agg", 4, StringAgg)  # type: ignore[arg-type]
    db.create_aggregate("stddev", 1, Stdev)  # type: ignore[arg-type]


# -- translation ----------------------------------------------------------------------------------------------


@cache
def _dialects() -> tuple[Any, Any]:
    import logging

    from sqlglot.dialects.sqlite import SQLite
    from sqlglot.dialects.tsql import TSQL

    logging.getLogger("sqlglot").setLevel(logging.ERROR)  # unsupported syntax is an error here, not a warning
    return TSQL(), SQLite()


def translate(sql: str, date_columns: frozenset[str] = frozenset()) -> str:
    """SQLite for one T-SQL SELECT; ReportSqlError says what SQL Server would (or the nearest to it).

    `date_columns` (lower case) are the view columns holding dates: arithmetic and string comparisons on them are
    date arithmetic and date comparisons.
    """
    from sqlglot import exp
    from sqlglot.errors import ParseError, TokenError
    from sqlglot.tokens import TokenType

    tsql, sqlite = _dialects()
    try:
        tokens = tsql.tokenize(sql)
        limit = next((t for t in tokens if t.token_type == TokenType.LIMIT), None)
        if limit is not None:  # sqlglot reads LIMIT in any dialect; SQL Server does not
            raise ReportSqlError(f"Incorrect syntax near '{limit.text}'.")
        _refuse_sqlite_functions(tokens)
        statements = [s for s in tsql.parser().parse(tokens, sql) if s is not None]
    except (ParseError, TokenError) as e:
        raise ReportSqlError(_syntax_error(e)) from None
    if len(statements) != 1:
        raise ReportSqlError("Only one SELECT statement can run in a report")
    tree = statements[0]
    if not isinstance(tree, exp.Query):
        raise ReportSqlError("Only SELECT queries are allowed in reports")
    tree = _Rewriter(date_columns).rewrite(tree)
    return str(tree.sql(dialect=sqlite))


def _refuse_sqlite_functions(tokens: list[Any]) -> None:
    """SQLite's own functions (and the sandbox's) are not SQL Server's: a report using one fails on Halo."""
    for i, token in enumerate(tokens[:-1]):
        name = token.text.upper()
        if not (name in SQLITE_ONLY or name.startswith("TSQL_")) or tokens[i + 1].text != "(":
            continue
        before = [t.text.upper() for t in tokens[max(i - 2, 0) : i]]
        if before[-1:] == ["AS"] or before[:1] in (["CONVERT"], ["TRY_CONVERT"]):
            continue  # a type, as in CAST(x AS time(0)) or CONVERT(time(0), x)
        raise ReportSqlError(f"'{token.text}' is not a recognized built-in function name.")


def _syntax_error(error: Any) -> str:
    first = (getattr(error, "errors", None) or [{}])[0]
    near = first.get("highlight")
    return f"Incorrect syntax near '{near}'." if near else f"Incorrect syntax: {str(error).splitlines()[0]}"


class _Rewriter:
    """Bottom-up rewrite of a parsed T-SQL tree into SQLite with SQL Server's meaning."""

    def __init__(self, date_columns: frozenset[str]) -> None:
        from sqlglot import exp

        self.exp = exp
        self.date_columns = date_columns

    def rewrite(self, node: Any) -> Any:
        for child in list(node.iter_expressions()):
            self.rewrite(child)
        new = self.rule(node)
        if new is not node and node.parent is not None:
            node.replace(new)
        return new

    def call(self, name: str, *args: Any) -> Any:
        return self.exp.Anonymous(this=name, expressions=list(args))

    def text(self, value: str) -> Any:
        return self.exp.Literal.string(value)

    def is_date(self, node: Any) -> bool:
        exp = self.exp
        if isinstance(node, exp.Anonymous):
            return str(node.name).upper() in DATE_FUNCTIONS
        if isinstance(node, exp.Column):
            return node.name.lower() in self.date_columns
        return isinstance(node, exp.Paren) and self.is_date(node.this)

    def is_text(self, node: Any) -> bool:
        exp = self.exp
        if isinstance(node, exp.Literal):
            return bool(node.is_string)
        if isinstance(node, exp.Anonymous):
            return str(node.name).lower() in TEXT_FUNCTIONS
        if isinstance(node, exp.Paren):
            return self.is_text(node.this)
        return isinstance(node, exp.DPipe | exp.Substring | exp.Upper | exp.Lower | exp.Trim | exp.Replace)

    def rule(self, node: Any) -> Any:  # one branch per T-SQL construct
        exp = self.exp
        if isinstance(node, exp.Table):
            return self.table(node)
        if isinstance(node, exp.CurrentTimestamp) or (
            isinstance(node, exp.Anonymous) and node.name.upper() in ("GETUTCDATE", "SYSUTCDATETIME", "SYSDATETIME")
        ):
            return self.call("TSQL_GETDATE")
        wrapped = isinstance(node.parent, exp.Year | exp.Month | exp.Day | exp.DateDiff)
        if isinstance(node, exp.TimeStrToTime | exp.TsOrDsToDate) and wrapped:
            return node.this  # the parser's own wrapper around a date argument
        if isinstance(node, exp.TsOrDsToDate):
            return self.call("TSQL_DATE", node.this)
        if isinstance(node, exp.TimeStrToTime):
            return self.call("TSQL_DATETIME", node.this)
        if isinstance(node, exp.DateAdd):
            return self.call("TSQL_DATEADD", self.unit(node.unit, "dateadd"), node.expression, node.this)
        if isinstance(node, exp.DateDiff):
            return self.call("TSQL_DATEDIFF", self.unit(node.unit, "datediff"), node.expression, node.this)
        if isinstance(node, exp.Year | exp.Month | exp.Day):
            return self.call("TSQL_DATEPART", self.text(type(node).__name__.upper()), node.this)
        if isinstance(node, exp.Extract):
            return self.call("TSQL_DATEPART", self.unit(node.this, "datepart"), node.expression)
        if isinstance(node, exp.LastDay):
            return self.call("TSQL_EOMONTH", node.this)
        if isinstance(node, exp.DateFromParts):
            return self.call("TSQL_DATEFROMPARTS", node.args["year"], node.args["month"], node.args["day"])
        if isinstance(node, exp.TimeToStr):
            return self.call("TSQL_STRFTIME", node.this, node.args["format"])
        if isinstance(node, exp.NumberToStr):
            return self.call("TSQL_FORMAT_NUMBER", node.this, node.args["format"])
        if isinstance(node, exp.Cast | exp.TryCast):
            return self.cast(node.to, node.this, None)
        if isinstance(node, exp.Convert):
            return self.cast(node.this, node.expression, node.args.get("style"))
        if isinstance(node, exp.Left):
            return self.call("TSQL_LEFT", node.this, node.expression)
        if isinstance(node, exp.Right):
            return self.call("TSQL_RIGHT", node.this, node.expression)
        if isinstance(node, exp.Length):
            return self.call("TSQL_LEN", node.this)
        if isinstance(node, exp.Concat):
            return self.call("CONCAT", *node.expressions)
        if isinstance(node, exp.GroupConcat) and isinstance(node.this, exp.Order):
            ordered = node.this.expressions[0]
            desc = exp.Literal.number(1 if ordered.args.get("desc") else 0)
            return self.call("TSQL_STRING_AGG", node.this.this, node.args.get("separator"), ordered.this, desc)
        if isinstance(node, exp.Add | exp.Sub):
            return self.arithmetic(node)
        if isinstance(node, exp.EQ | exp.NEQ | exp.GT | exp.GTE | exp.LT | exp.LTE):
            return self.comparison(node)
        if isinstance(node, exp.Between) and self.is_date(node.this):
            for key in ("low", "high"):
                node.set(key, self.as_date(node.args[key]))
        strings = isinstance(node, exp.In) and any(isinstance(e, exp.Literal) and e.is_string for e in node.expressions)
        if strings and not self.is_date(node.this):
            node.set("this", exp.Collate(this=node.this, expression=exp.Var(this="NOCASE")))
        return node

    def unit(self, node: Any, function: str) -> Any:
        """A datepart as a string for the SQLite function, checked here: a function's own error has no message."""
        name = str(node.name if node is not None else "").upper()
        if name not in UNITS:
            raise ReportSqlError(f"'{name.lower()}' is not a recognized {function} option.")
        if function == "dateadd" and UNITS[name] == "iso_week":
            raise ReportSqlError(f"The datepart {name.lower()} is not supported by date function dateadd.")
        return self.text(name)

    def table(self, node: Any) -> Any:
        name = node.name.lower()
        if name.startswith(INTERNAL_PREFIXES):
            raise ReportSqlError(f"Invalid object name '{node.name}'.")
        if node.args.get("db") and node.args["db"].name.lower() == "dbo":
            node.set("db", None)
            node.set("catalog", None)
        return node

    def cast(self, to: Any, value: Any, style: Any) -> Any:
        exp = self.exp
        kind = to.this.name if isinstance(to, exp.DataType) else str(to)
        if kind in DATE_TYPES:
            return self.call("TSQL_DATE", value)
        if kind in DATETIME_TYPES:
            return self.call("TSQL_DATETIME", value)
        if kind in CHAR_TYPES:
            params = to.expressions if isinstance(to, exp.DataType) else []
            size = params[0].this if params else None
            text = self.call("TSQL_CONVERT_STYLE", value, style) if style is not None else exp.Cast(
                this=value, to=exp.DataType.build("TEXT"))  # fmt: skip
            if isinstance(size, exp.Var):  # (max)
                return text
            chars = int(size.name) if isinstance(size, exp.Literal) else DEFAULT_CHARS
            return exp.Substring(this=text, start=exp.Literal.number(1), length=exp.Literal.number(chars))
        return exp.Cast(this=value, to=to)

    def arithmetic(self, node: Any) -> Any:
        exp = self.exp
        left, right = node.this, node.expression
        if isinstance(node, exp.Add) and (self.is_text(left) or self.is_text(right)):
            return exp.DPipe(this=left, expression=right, safe=False)
        if self.is_date(left) and not self.is_date(right):
            days = right if isinstance(node, exp.Add) else exp.Neg(this=exp.Paren(this=right))
            return self.call("TSQL_ADDDAYS", left, days)
        if isinstance(node, exp.Add) and self.is_date(right) and not self.is_date(left):
            return self.call("TSQL_ADDDAYS", right, left)
        return node

    def comparison(self, node: Any) -> Any:
        exp = self.exp
        left, right = node.this, node.expression
        if self.is_date(left) or self.is_date(right):
            node.set("this", self.as_date(left))
            node.set("expression", self.as_date(right))
            return node
        if isinstance(node, exp.EQ | exp.NEQ):
            for side in ("this", "expression"):
                if isinstance(node.args[side], exp.Literal) and node.args[side].is_string:
                    node.set(side, exp.Collate(this=node.args[side], expression=exp.Var(this="NOCASE")))
        return node

    def as_date(self, node: Any) -> Any:
        """A string literal compared with a date becomes the date it names (SQL Server converts it)."""
        if isinstance(node, self.exp.Literal) and node.is_string:
            text = date_text(to_datetime(node.this))
            return self.text(text) if text else node
        return node

"""Turning Halo records into what a model reads cheaply and a program parses easily.

- `compact()` drops nulls, empties and every unset marker Halo sends (halo-api-facts.md §17: the sentinel dates
  `1899-12-30`, `0001-01-01` and `1900-01-01`, `-1` in any integer field, `0` ids, `-3` tax codes, `""`, `" "`,
  `"00:00:00"`), turns ids sent as doubles (`18.0`) into ints, and shortens ISO datetimes. Naive Halo dates are UTC
  (facts §7: "Datetimes are ISO strings in UTC"); any fraction length parses.
- `table()` renders rows as a pipe table (the text) and as `{columns, rows}` (the structured content): the same
  data, both a fraction of Halo's raw JSON.

Untrusted text: what Halo returns was typed by people the model must not take orders from (end users write ticket
text, and Halo makes users, their names and even clients from the From header and domain of an e-mail). It is
delimited with «…» spans, and the server's instructions say once that a span is data, never instructions.
- A table is data through and through: the whole table, header included, is one span (two tokens, not two per
  cell), and no cell can break it (`|` and line breaks are replaced, delimiters neutralised).
- A record wraps each string field on its own (a multi-line value could otherwise fake the fields after it), except
  the keys its tool declares closed: values from Halo's admin configuration (status, priority, ticket type, team,
  category, SLA, outcome, asset type, and agent names, since agents are made by administrators) or made by this
  server (sla_state, warranty). Never closed: names, e-mail addresses and phone numbers of users, client and site
  names, summaries, details, notes, custom-field values, file names, report names, KB text. Numbers and ISO dates
  carry nothing and stay bare. A key nobody declared is wrapped, so a new field cannot forget it.
- Halo values a tool echoes in a head line or an error go through `untrusted()` unless they are from a closed set.
- Every Halo string, wrapped or not, is escaped (`spans.escape`): no span closes early, no bare text opens one,
  and fake tool-result or turn markup reads as text. Everything else, "ignore previous instructions" included, is
  kept as written, inside its span.
- structuredContent keeps Halo's values unchanged: there JSON quoting delimits them, for programs.
"""

from __future__ import annotations

import base64
import html as html_lib
import json
import re
from collections.abc import Container, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from halo_mcp.tools.errors import ToolError
from halo_mcp.tools.framework import ToolOutput
from halo_mcp.tools.spans import UNTRUSTED_CLOSE, UNTRUSTED_OPEN, escape

SENTINEL_PREFIXES = ("1899-12-30", "1900-01-01", "0001-01-01", "1753-01-01")  # .NET OLE, SQL, .NET min, SQL min
UNSET_STRINGS = ("", "00:00:00")  # after stripping: blank text and an unset time of day (facts §17)
_ISO = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")


def short_date(value: str) -> str:
    """'2026-11-20T09:15:00.000Z' -> '2026-11-20T09:15Z' (still ISO 8601); midnight dates keep only the date."""
    match = _ISO.match(value)
    if not match:
        return value
    day, hm, seconds, _, zone = match.groups()
    if hm == "00:00" and (not seconds or seconds.startswith(":00")):
        return day
    return f"{day}T{hm}{'Z' if zone in (None, 'Z', '+00:00', '+0000') else zone}"


def halo_datetime(value: Any) -> datetime | None:
    """A Halo timestamp as an aware datetime; Halo's "never" sentinels and non-dates are None, naive values UTC."""
    if not isinstance(value, str) or not value or value.startswith(SENTINEL_PREFIXES):
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def is_id(key: str) -> bool:
    """Halo names ids `id`, `*_id`, `*id` (`autotaskid`, `priorityid`) and `site_id_int`."""
    return key == "id" or (key.endswith(("_id", "id", "_id_int")) and key != "guid")


def is_empty(key: str, value: Any) -> bool:
    """Whether a value is one of Halo's unset markers for this field (no value, as Halo sends "no value")."""
    if value is None:
        return True
    if isinstance(value, str):  # the common cases first: this runs for every value a list or record shows
        return value.strip() in UNSET_STRINGS or value.startswith(SENTINEL_PREFIXES)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value == [] or value == {}
    if isinstance(value, int) and value == -1:
        return True  # -1 is Halo's "none" in integer fields that are not ids too (chargerate, auditstatus)
    if "tax_code" in key and value == -3:
        return True  # site tax codes: -3 = inherit from the client
    return is_id(key) and value in (0, -1)


def compact(record: Mapping[str, Any], keep: Iterable[str] | None = None) -> dict[str, Any]:
    """Informative fields only, in `keep` order when given; dates shortened."""
    keys = list(keep) if keep is not None else list(record)
    out: dict[str, Any] = {}
    for key in keys:
        if key not in record:
            continue
        value = record[key]
        if is_empty(key, value):
            continue
        if isinstance(value, str):
            value = short_date(value)
        elif isinstance(value, float) and value.is_integer():
            value = int(value)
        out[key] = value
    return out


_ATOM = re.compile(r"[\d\s.:+\-/()TZ]*")  # numbers, ISO dates and times, phone-like digits: nothing to say


def field_text(key: str, value: Any, closed: Container[str] = ()) -> str:
    """One record value as text: escaped, and wrapped unless its key is closed or it is a number or a date."""
    text = _cell(value) if not isinstance(value, str) else escape(value.replace("\r", ""))
    if key in closed or not isinstance(value, str | list | dict) or _ATOM.fullmatch(text):
        return text
    return f"{UNTRUSTED_OPEN}{text}{UNTRUSTED_CLOSE}"


def pairs(values: Mapping[str, Any], closed: Container[str] = ()) -> str:
    """`key=value, ...` for a head line (columns said once): Halo values escaped and wrapped as in records."""
    return ", ".join(f"{key}={field_text(key, value, closed)}" for key, value in values.items())


def truncate(text: str, limit: int, more: str = "") -> str:
    """Cut long text at a word boundary with a marker that says how much is left and how to get it."""
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    cut = cut if cut > limit * 0.6 else limit
    rest = len(text) - cut
    return f"{text[:cut]} …[+{rest} chars{'; ' + more if more else ''}]"


def cut(text: str, limit: int, more: str = "") -> str:
    """`truncate()` for rendered text: a span the cut leaves open is closed before the marker, so it stays data."""
    short = truncate(text, limit, more)
    if short.count(UNTRUSTED_OPEN) <= short.count(UNTRUSTED_CLOSE):
        return short
    head, sep, marker = short.rpartition(" …[+")
    return f"{head}{UNTRUSTED_CLOSE}{sep}{marker}"


def html_to_text(html: str) -> str:
    """Enough HTML stripping for ticket and KB bodies: block tags become line breaks, entities decoded."""
    text = re.sub(r"(?is)<(script|style).*?</\1>", "", html)
    text = re.sub(r"(?i)<\s*(br|/p|/div|/li|/h\d|/tr)\s*/?>", "\n", text)
    text = re.sub(r"(?i)<\s*li[^>]*>", "- ", text)
    text = re.sub(r"<[^>]+>", "", text)
    text = html_lib.unescape(text)
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    return re.sub(r"\n\s*\n+", "\n", text).strip()


def text_field(record: Mapping[str, Any], field: str) -> str:
    """A Halo text field as plain text: `field`, or else `field_html` converted (Halo fills one or the other)."""
    value = record.get(field)
    if isinstance(value, str) and value.strip():
        return html_to_text(value) if "<" in value and ">" in value else value.strip()
    html = record.get(f"{field}_html")
    return html_to_text(html) if isinstance(html, str) else ""


def _cell(value: Any) -> str:
    """One table cell, escaped: it cannot end its row, its column or the table's span."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | dict):
        value = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return escape(str(value).replace("|", "/").replace("\r", "").replace("\n", " ↵ "))


def _value(key: str, value: Any) -> Any:
    """A table cell: Halo's unset markers blank, ids sent as doubles (`18.0`) as ints."""
    if is_empty(key, value):
        return None
    if isinstance(value, float) and value.is_integer() and is_id(key):
        return int(value)
    return value


def table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None) -> tuple[str, dict[str, Any]]:
    """(pipe-table text in one «» span, {"columns", "rows"} structured) for list results; empty columns dropped."""
    if columns is None:
        seen: dict[str, None] = {}
        for row in rows:
            seen.update(dict.fromkeys(row))
        columns = list(seen)
    data_rows = [[_value(c, row.get(c)) for c in columns] for row in rows]  # every list tool's hot loop: one pass
    kept = [i for i in range(len(columns)) if any(values[i] is not None for values in data_rows)]
    if len(kept) < len(columns):
        columns = [columns[i] for i in kept]
        data_rows = [[values[i] for i in kept] for values in data_rows]
    lines = ["|".join(map(_cell, columns))]  # headers too: report columns are named by whoever wrote the SQL
    lines.extend("|".join(map(_cell, values)) for values in data_rows)
    text = "\n".join(lines)
    return f"{UNTRUSTED_OPEN}{text}{UNTRUSTED_CLOSE}", {"columns": list(columns), "rows": data_rows}


def render_record(record: Mapping[str, Any], closed: Container[str] = ()) -> str:
    """One `key: value` line per field, Halo text wrapped; nested row lists become indented tables, nested
    records (custom fields) indented `label: value` lines."""
    lines: list[str] = []
    for key, value in record.items():
        label = escape(str(key))  # keys made from Halo data (custom-field labels) are admin configuration
        if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            text, _ = table(value)
            lines.append(f"{label}:")
            lines.extend("  " + line for line in text.splitlines())
        elif isinstance(value, Mapping) and value:
            lines.append(f"{label}:")
            lines.extend(f"  {escape(str(k))}: {field_text(str(k), v)}" for k, v in value.items())
        else:
            lines.append(f"{label}: {field_text(key, value, closed)}")
    return "\n".join(lines)


def list_output(
    kind: str,
    rows: Sequence[Mapping[str, Any]],
    *,
    columns: Sequence[str] | None = None,
    total: int | None = None,
    next_cursor: str | None = None,
    note: str = "",
) -> ToolOutput:
    """The standard list result: a header line (count, total, cursor), then the table."""
    if not rows:
        return ToolOutput(text=f"no {kind} found{'. ' + note if note else ''}", structured={"columns": [], "rows": []})
    text, structured = table(rows, columns)
    head = f"{len(rows)} {kind}" + (f" of {total}" if total is not None else "")
    if next_cursor:
        head += f"; more with cursor={next_cursor}"
        structured["next_cursor"] = next_cursor
    if total is not None:
        structured["total"] = total
    if note:
        head += f". {note}"
    return ToolOutput(text=f"{head}\n{text}", structured=structured)


def record_output(record: Mapping[str, Any], closed: Container[str] = (), head: str = "") -> ToolOutput:
    text = render_record(record, closed)
    return ToolOutput(text=f"{head}\n{text}" if head else text, structured=dict(record))


# -- cursors --------------------------------------------------------------------------------------------------


def encode_cursor(state: Mapping[str, Any]) -> str:
    raw = json.dumps(state, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        state = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(state, dict):
            raise ValueError
        return state
    except (ValueError, TypeError):
        raise ToolError("invalid cursor: pass next_cursor back exactly as it was returned") from None

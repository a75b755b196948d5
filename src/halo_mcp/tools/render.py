"""Turning Halo records into what a model reads cheaply and a program parses easily.

- `compact()` drops nulls, empties, zero ids and Halo's sentinel dates, and shortens ISO datetimes.
- `table()` renders rows as a pipe table (the text) and as `{columns, rows}` (the structured content): the same
  data, both a fraction of Halo's raw JSON.
- Text written by Halo's users (ticket details, notes, KB bodies) is wrapped in «…» so a model can tell data from
  instructions; the server's instructions say so once.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from halo_mcp.tools.errors import ToolError
from halo_mcp.tools.framework import ToolOutput

SENTINEL_PREFIXES = ("1900-01-01", "0001-01-01", "1753-01-01")
_ISO = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")
UNTRUSTED_OPEN, UNTRUSTED_CLOSE = "«", "»"


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


def is_empty(key: str, value: Any) -> bool:
    if value is None or value == "" or value == [] or value == {}:
        return True
    if isinstance(value, str) and value.startswith(SENTINEL_PREFIXES):
        return True
    return (key == "id" or key.endswith("_id")) and value in (0, -1) and not isinstance(value, bool)


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


def untrusted(text: str) -> str:
    """Delimit user-written text; guillemets inside it are neutralised so the span cannot be closed early."""
    clean = text.replace(UNTRUSTED_OPEN, "<").replace(UNTRUSTED_CLOSE, ">")
    return f"{UNTRUSTED_OPEN}{clean}{UNTRUSTED_CLOSE}"


def truncate(text: str, limit: int, more: str = "") -> str:
    """Cut long text at a word boundary with a marker that says how much is left and how to get it."""
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    cut = cut if cut > limit * 0.6 else limit
    rest = len(text) - cut
    return f"{text[:cut]} …[+{rest} chars{'; ' + more if more else ''}]"


def html_to_text(html: str) -> str:
    """Enough HTML stripping for ticket and KB bodies: block tags become line breaks, entities decoded."""
    import html as html_lib

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
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | dict):
        value = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value).replace("|", "/").replace("\r", "").replace("\n", " ↵ ")


def table(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None, untrusted_cols: Iterable[str] = ()
) -> tuple[str, dict[str, Any]]:
    """(pipe-table text, {"columns", "rows"} structured) for list results. Columns empty in every row are dropped."""
    if columns is None:
        seen: dict[str, None] = {}
        for row in rows:
            seen.update(dict.fromkeys(row))
        columns = list(seen)
    columns = [c for c in columns if any(not is_empty(c, r.get(c)) for r in rows)]
    marked = set(untrusted_cols)
    lines = ["|".join(columns)]
    data_rows = []
    for row in rows:
        values = [row.get(c) for c in columns]
        data_rows.append(values)
        cells = [_cell(v) for v in values]
        for i, col in enumerate(columns):
            if col in marked and cells[i]:
                cells[i] = untrusted(cells[i])
        lines.append("|".join(cells))
    return "\n".join(lines), {"columns": list(columns), "rows": data_rows}


def render_record(record: Mapping[str, Any], untrusted_keys: Iterable[str] = ()) -> str:
    """One `key: value` line per field; nested row lists become indented tables."""
    marked = set(untrusted_keys)
    lines: list[str] = []
    for key, value in record.items():
        if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            text, _ = table(value, untrusted_cols=marked)
            lines.append(f"{key}:")
            lines.extend("  " + line for line in text.splitlines())
        else:
            cell = _cell(value)
            if key in marked and isinstance(value, str):
                cell = untrusted(value.replace("\r", ""))
            lines.append(f"{key}: {cell}")
    return "\n".join(lines)


def list_output(
    kind: str,
    rows: Sequence[Mapping[str, Any]],
    *,
    columns: Sequence[str] | None = None,
    total: int | None = None,
    next_cursor: str | None = None,
    untrusted_cols: Iterable[str] = (),
    note: str = "",
) -> ToolOutput:
    """The standard list result: a header line (count, total, cursor), then the table."""
    if not rows:
        return ToolOutput(text=f"no {kind} found{'. ' + note if note else ''}", structured={"columns": [], "rows": []})
    text, structured = table(rows, columns, untrusted_cols)
    head = f"{len(rows)} {kind}" + (f" of {total}" if total is not None else "")
    if next_cursor:
        head += f"; more with cursor={next_cursor}"
        structured["next_cursor"] = next_cursor
    if total is not None:
        structured["total"] = total
    if note:
        head += f". {note}"
    return ToolOutput(text=f"{head}\n{text}", structured=structured)


def record_output(record: Mapping[str, Any], untrusted_keys: Iterable[str] = (), head: str = "") -> ToolOutput:
    text = render_record(record, untrusted_keys)
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

"""Shared helpers for list and get tools: one cursor format, one 404 message, one date syntax.

A cursor carries the page number and the page size, so changing `limit` between calls cannot skip or repeat rows.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from pydantic import AfterValidator

from halo_mcp.halo.client import PAGE_CAP
from halo_mcp.halo.errors import HaloNotFound
from halo_mcp.tools.errors import ToolError
from halo_mcp.tools.framework import ToolContext, ToolOutput
from halo_mcp.tools.render import decode_cursor, encode_cursor, list_output


@dataclass
class Listing:
    rows: list[dict[str, Any]]
    total: int | None
    next_cursor: str | None


async def fetch_page(
    ctx: ToolContext, path: str, key: str, params: Mapping[str, Any], *, limit: int, cursor: str | None
) -> Listing:
    """One page of a Halo list, with the cursor for the next one (None on the last page)."""
    page_no, size = 1, limit
    if cursor:
        state = decode_cursor(cursor)
        page_no, size = int(state.get("p", 1)), int(state.get("n", limit))
    page = await ctx.halo.list_page(path, key, params, page_no=page_no, page_size=size)
    more = page_no * size < page.total if page.total is not None else len(page.rows) >= size
    next_cursor = encode_cursor({"p": page_no + 1, "n": size}) if more and page.rows else None
    return Listing(page.rows, page.total, next_cursor)


async def search_list(
    ctx: ToolContext,
    path: str,
    key: str,
    *,
    query: str | None,
    limit: int,
    cursor: str | None,
    row: Callable[[dict[str, Any]], dict[str, Any]],
    columns: Sequence[str],
    empty_note: str,
) -> ToolOutput:
    """The whole body of a 'find X by text' tool: Halo's `search`, one page, compact rows, a cursor."""
    params = {"search": query.strip()} if query else {}
    listing = await fetch_page(ctx, path, key, params, limit=limit, cursor=cursor)
    rows = [row(r) for r in listing.rows]
    return list_output(
        key,
        rows,
        columns=columns,
        total=listing.total,
        next_cursor=listing.next_cursor,
        note="" if rows else empty_note,
    )


async def get_one(ctx: ToolContext, path: str, ident: int, hint: str, params: Mapping[str, Any] | None = None) -> Any:
    """GET one record; a 404 becomes an error that says how to find a valid id."""
    try:
        record = await ctx.halo.get(f"{path}/{ident}", params)
    except HaloNotFound:
        raise ToolError(f"no {path.lower().rstrip('s')} with id {ident}; {hint}") from None
    if not isinstance(record, dict) or not record.get("id"):
        raise ToolError(f"no {path.lower().rstrip('s')} with id {ident}; {hint}")
    return record


_RELATIVE = re.compile(r"^([+-]?)(\d+)\s*([dwmy])$")
_UNIT_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}


def today() -> date:
    return datetime.now(UTC).date()


def parse_day(value: str, arg: str) -> date:
    """An ISO date (or datetime), 'today', or an offset from today such as +90d, -2w, +6m, +1y."""
    text = value.strip().lower()
    if text == "today":
        return today()
    match = _RELATIVE.match(text)
    if match:
        sign, count, unit = match.groups()
        days = int(count) * _UNIT_DAYS[unit]
        return today() + timedelta(days=-days if sign == "-" else days)
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise ToolError(f"{arg}={value!r} is not a date: use YYYY-MM-DD, 'today' or an offset like +90d") from None


def clamp_to(high: int) -> AfterValidator:
    return AfterValidator(lambda v: min(max(v, 1), high))


# Out-of-range limits are clamped rather than refused: the bound is not worth its tokens in every schema.
Limit = Annotated[int, clamp_to(PAGE_CAP)]

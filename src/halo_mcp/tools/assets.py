"""[assets] Assets (Halo `Device`) and their warranties.

Halo's `GET /Asset` has no warranty filter, so `list_assets` filters `warranty_end` client-side: it scans pages of
100 (at most `SCAN_LIMIT` assets per call, narrowed server-side by client/site/user/type/search first) and hands
back a cursor that resumes the scan exactly where it stopped. The result says how many assets were scanned.
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from pydantic import Field

from halo_mcp.halo.client import PAGE_CAP
from halo_mcp.halo.errors import HaloNotFound
from halo_mcp.tools.errors import ToolError
from halo_mcp.tools.framework import Args, ToolContext, ToolOutput, tool
from halo_mcp.tools.paging import Limit, fetch_page, get_one, parse_day, today
from halo_mcp.tools.render import (
    compact,
    decode_cursor,
    encode_cursor,
    halo_datetime,
    list_output,
    pairs,
    record_output,
)
from halo_mcp.tools.resolve import Ref
from halo_mcp.tools.spans import untrusted

SCAN_LIMIT = 2000  # assets examined per call when filtering warranties client-side
DETAIL_LIMIT = 200  # records read one by one per call when list rows lack warranty dates
DETAIL_CONCURRENCY = 8
DETAIL_CHUNK = 20
COLUMNS = ("id", "tag", "name", "type", "client", "site", "user", "user_id", "warranty_end")
CLOSED_FIELDS = frozenset({"type", "assettype_name", "status_name", "warranty"})  # admin configuration, our words


def warranty_day(record: dict[str, Any]) -> date | None:
    end = halo_datetime(record.get("warranty_end"))
    return end.date() if end else None


def asset_row(record: dict[str, Any]) -> dict[str, Any]:
    return compact(
        {
            "id": record.get("id"),
            "tag": record.get("inventory_number"),
            "name": record.get("key_field"),
            "type": record.get("assettype_name"),
            "client": record.get("client_name"),
            "site": record.get("site_name"),
            "user": record.get("username") or _first_user(record),
            "user_id": _first_user_id(record),  # names can repeat; the id is what get_user needs then
            "warranty_end": str(record["warranty_end"])[:10] if record.get("warranty_end") else None,
        }
    )


def _first_user(record: dict[str, Any]) -> str | None:
    users = record.get("users")
    if isinstance(users, list) and users and isinstance(users[0], dict):
        return ", ".join(str(u.get("name")) for u in users if u.get("name")) or None
    return None


def _first_user_id(record: dict[str, Any]) -> int | None:
    users = record.get("users")
    if record.get("first_user_id"):
        return int(record["first_user_id"])
    if isinstance(users, list) and users and isinstance(users[0], dict) and users[0].get("id"):
        return int(users[0]["id"])
    return None


class ListAssetsArgs(Args):
    client: Ref | None = None
    site: Ref | None = None
    user: Ref | None = None
    type: Ref | None = Field(None, description="asset type")
    search: str | None = Field(None, description="tag, name or serial")
    warranty_before: str | None = Field(None, description="YYYY-MM-DD, today or +90d")
    warranty_after: str | None = None  # same formats, on or after
    limit: Limit = 50
    cursor: str | None = None


@tool("assets", title="List assets", idempotent=True)
async def list_assets(ctx: ToolContext, args: ListAssetsArgs) -> ToolOutput:
    """List assets by client, site, user, type, text or warranty end (e.g. warranty_before=+90d)."""
    params: dict[str, Any] = {}
    fixed: list[str] = []  # filtered columns are constant: said once in the header instead of in every row
    for arg, kind, param, column in (
        (args.client, "client", "client_id", "client"),
        (args.site, "site", "site_id", "site"),
        (args.user, "user", "user_id", "user"),
        (args.type, "assettype", "assettype_id", "type"),
    ):
        entity = await ctx.resolver.resolve_optional(kind, arg)
        if entity:
            params[param] = entity.id
            if entity.name != str(entity.id):
                fixed.append(pairs({column: entity.name}, CLOSED_FIELDS))
    if args.search:
        params["search"] = args.search.strip()
    columns = [c for c in COLUMNS if not any(f.startswith(c.removesuffix("_id") + "=") for f in fixed)]
    head = f"{', '.join(fixed)}. " if fixed else ""
    if not (args.warranty_before or args.warranty_after):
        listing = await fetch_page(ctx, "Asset", "assets", params, limit=args.limit, cursor=args.cursor)
        rows = [asset_row(r) for r in listing.rows]
        columns, head = fold_constant(rows, columns, head)
        return list_output(
            "assets",
            rows,
            columns=columns,
            total=listing.total,
            next_cursor=listing.next_cursor,
            note=head.rstrip(". ") if rows else f"{head}try fewer filters",
        )
    return await _warranty_scan(ctx, args, params, columns, head)


async def _warranty_scan(
    ctx: ToolContext, args: ListAssetsArgs, params: dict[str, Any], columns: list[str], head: str
) -> ToolOutput:
    """Client-side warranty filter over Halo's pages, bounded by SCAN_LIMIT; resumable with a cursor."""
    before = parse_day(args.warranty_before, "warranty_before") if args.warranty_before else None
    after = parse_day(args.warranty_after, "warranty_after") if args.warranty_after else None
    if before and after and after >= before:
        raise ToolError("warranty_after must be earlier than warranty_before")
    state = decode_cursor(args.cursor) if args.cursor else {}
    page_no, skip = int(state.get("s", 1)), int(state.get("i", 0))
    matches: list[dict[str, Any]] = []
    scanned = fetched = 0
    total: int | None = None
    resume: dict[str, int] | None = None
    while resume is None:
        if len(matches) == args.limit:
            resume = {"s": page_no, "i": skip}
            break
        page = await ctx.halo.list_page("Asset", "assets", params, page_no=page_no, page_size=PAGE_CAP)
        total = page.total
        # Some Halo versions leave warranty dates out of list rows: then read the records, in small chunks.
        detail = not any("warranty_end" in r for r in page.rows)
        index = skip
        while index < len(page.rows) and resume is None:
            chunk = page.rows[index : index + (DETAIL_CHUNK if detail else PAGE_CAP)]
            if detail:
                chunk = await _full_records(ctx, chunk[: max(0, DETAIL_LIMIT - fetched)])
                fetched += len(chunk)
                if not chunk:
                    resume = {"s": page_no, "i": index}
            for row in chunk:
                if len(matches) == args.limit:
                    resume = {"s": page_no, "i": index}
                    break
                index += 1
                scanned += 1
                end = warranty_day(row)
                if end and (before is None or end < before) and (after is None or end >= after):
                    matches.append(row)
        if resume is not None:
            break
        if len(page.rows) < PAGE_CAP or (total is not None and page_no * PAGE_CAP >= total):
            break
        page_no, skip = page_no + 1, 0
        if scanned >= SCAN_LIMIT:
            resume = {"s": page_no, "i": 0}
    window = " and ".join(
        part for part in (f"on/after {after}" if after else "", f"before {before}" if before else "") if part
    )
    note = f"{head}warranty ending {window}, filtered client-side: scanned {scanned}"
    note += f" of {total} assets" if total is not None else " assets"
    if fetched:
        note += f" ({fetched} read one by one: Halo's list omits warranty dates)"
    next_cursor = encode_cursor(resume) if resume else None
    if not matches:
        out = list_output("assets", [], note=note)
        if next_cursor:
            out.text += f"; more to scan with cursor={next_cursor}"
            out.structured["next_cursor"] = next_cursor
        return out
    matches.sort(key=lambda r: warranty_day(r) or date.max)
    rows = [asset_row(r) for r in matches]
    columns, note = fold_constant(rows, columns, note)
    return list_output("assets", rows, columns=columns, next_cursor=next_cursor, note=note)


def fold_constant(rows: list[dict[str, Any]], columns: list[str], head: str) -> tuple[list[str], str]:
    """Columns with one value in every row are said once in the header instead of in each row."""
    if len(rows) < 2:
        return columns, head
    fixed = [c for c in columns if c not in ("id", "tag", "name") and rows[0].get(c) is not None
             and all(r.get(c) == rows[0][c] for r in rows)]  # fmt: skip
    if not fixed:
        return columns, head
    said = pairs({c: rows[0][c] for c in fixed}, CLOSED_FIELDS)
    head = f"{said}. {head}" if head else said
    return [c for c in columns if c not in fixed], head


async def _full_records(ctx: ToolContext, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The full records of list rows, a few requests at a time (the list row is kept if its record is gone)."""
    gate = asyncio.Semaphore(DETAIL_CONCURRENCY)

    async def one(row: dict[str, Any]) -> dict[str, Any]:
        async with gate:
            try:
                record = await ctx.halo.get(f"Asset/{row['id']}")
            except HaloNotFound:
                return row
        return {**row, **record} if isinstance(record, dict) else row

    return list(await asyncio.gather(*(one(r) for r in rows)))


class GetAssetArgs(Args):
    asset: Ref = Field(description="id or asset tag")


ASSET_FIELDS = (
    "id", "inventory_number", "key_field", "key_field2", "key_field3", "assettype_name", "status_name", "inactive",
    "client_name", "site_name", "username", "warranty_start", "warranty_end", "warranty_note", "labour_warranty_end",
    "supplier_name", "supplier_purchasedate", "contract_ref", "criticality", "parent_id", "notes",
)  # fmt: skip


@tool("assets", title="Get an asset", idempotent=True)
async def get_asset(ctx: ToolContext, args: GetAssetArgs) -> ToolOutput:
    """One asset with its type fields, owner and warranty status."""
    ident = await _asset_id(ctx, args.asset)
    record = await get_one(ctx, "Asset", ident, "use list_assets(search=...) to find it")
    out = compact(record, ASSET_FIELDS)
    if "username" not in out:
        users = _first_user(record)
        if users:
            out["users"] = users
        elif user_id := _first_user_id(record):
            out["user_id"] = user_id
    fields = {
        str(f.get("name")): f.get("display") or f.get("value")
        for f in record.get("fields") or []
        if isinstance(f, dict) and f.get("name") and (f.get("display") or f.get("value")) not in (None, "")
    }
    if fields:
        out["fields"] = fields
    end = warranty_day(record)
    if end:
        days = (end - today()).days
        out["warranty"] = f"expired {-days} days ago" if days < 0 else f"ends in {days} days"
    return record_output(out, CLOSED_FIELDS)


async def _asset_id(ctx: ToolContext, value: int | str) -> int:
    """An asset id from an id or an asset tag (inventory number, exact match)."""
    if isinstance(value, int) or value.strip().isdigit():
        return int(value)
    tag = value.strip()
    page = await ctx.halo.list_page("Asset", "assets", {"inventory_number": tag}, page_size=5)
    exact = [r for r in page.rows if str(r.get("inventory_number", "")).lower() == tag.lower()]
    if len(exact) == 1:
        return int(exact[0]["id"])
    if len(exact) > 1:
        found = ", ".join(f"{r['id']}" for r in exact)
        raise ToolError(f"several assets have tag {tag!r} (ids {found}); pass the id")
    similar = await ctx.halo.list_page("Asset", "assets", {"search": tag}, page_size=5)
    if similar.rows:
        found = ", ".join(f"{untrusted(str(r.get('inventory_number')))} (id {r['id']})" for r in similar.rows)
        raise ToolError(f"no asset with tag {tag!r}; did you mean {found}?")
    raise ToolError(f"no asset with tag {tag!r}; use list_assets(search=...) to find it")

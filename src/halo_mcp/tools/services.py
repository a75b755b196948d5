"""[services] The service catalogue (Halo `Service`, schema `ServSite`)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from halo_mcp.tools.framework import Args, ToolContext, ToolOutput, tool
from halo_mcp.tools.paging import Limit, search_list
from halo_mcp.tools.render import compact, html_to_text, truncate

COLUMNS = ("id", "name", "category", "status", "summary", "link")
SUMMARY_CHARS = 160
_LINK_FIELDS = ("service_url", "url", "link", "requestdetail_url", "incident_url")


def service_row(record: dict[str, Any]) -> dict[str, Any]:
    summary = record.get("summary") or ""
    if "<" in summary:
        summary = html_to_text(summary)
    return compact(
        {
            "id": record.get("id"),
            "name": record.get("name"),
            "category": record.get("service_category_name"),
            "status": record.get("current_status_name") or record.get("current_status"),
            "summary": truncate(summary, SUMMARY_CHARS),
            "link": next((record[f] for f in _LINK_FIELDS if isinstance(record.get(f), str) and record[f]), None),
        }
    )


class SearchServicesArgs(Args):
    query: str | None = Field(None, description="omit to list all")
    limit: Limit = 25
    cursor: str | None = None


@tool("services", title="Search the service catalogue", idempotent=True, audiences=("agent", "user"))
async def search_services(ctx: ToolContext, args: SearchServicesArgs) -> ToolOutput:
    """Search the service catalogue (category, status, link)."""
    return await search_list(
        ctx, "Service", "services", query=args.query, limit=args.limit, cursor=args.cursor, row=service_row,
        columns=COLUMNS, empty_note="try one distinctive word, or omit query to list all",
    )  # fmt: skip

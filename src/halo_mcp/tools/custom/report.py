"""[custom] The rows of one saved report, optionally for a reporting period: `run_report` with the report fixed.

Halo's `GET /ReportData/{publishedid}` (a published report's data) is in the spec but its answer is unrecorded and
the sandbox has no published reports, so a report tool names a saved report (`GET /Report/{id}?loadreport=true`).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from halo_mcp.config import CustomToolConfig
from halo_mcp.tools.custom import args_model, make_tool
from halo_mcp.tools.framework import Tool, ToolContext, ToolOutput
from halo_mcp.tools.reports import ROW_CAP, RowLimit, RunReportArgs, run_report


async def build(config: CustomToolConfig, ctx: ToolContext) -> Tool:
    report = str(config.report)
    fields: dict[str, Any] = {"limit": (RowLimit, 50)}
    if config.period:
        fields["start"] = (str | None, Field(None, description="YYYY-MM-DD, today or -30d"))
        fields["end"] = (str | None, None)

    async def handler(tool_ctx: ToolContext, args: BaseModel) -> ToolOutput:
        values = args.model_dump(exclude_none=True)
        limit = min(int(values.pop("limit", 50)), ROW_CAP)
        return await run_report(tool_ctx, RunReportArgs(report=report, limit=limit, **values))

    return make_tool(config, args_model(config, fields), handler)

"""MCP resources (halo://tickets/{id}, halo://kb/{id}) and prompts for the common service-desk jobs."""

from __future__ import annotations

from typing import Any

import mcp_types as types
from mcp.shared.exceptions import MCPError

from halo_mcp.tools.framework import Selection, ToolContext


def templates(selection: Selection) -> list[types.ResourceTemplate]:
    return []


async def read_resource(ctx: ToolContext, uri: str) -> types.ReadResourceResult:
    raise MCPError(types.INVALID_PARAMS, f"Resource not found: {uri}")


def prompts(selection: Selection) -> list[types.Prompt]:
    return []


def get_prompt(name: str, arguments: dict[str, Any]) -> types.GetPromptResult:
    raise MCPError(types.INVALID_PARAMS, f"Unknown prompt: {name}")

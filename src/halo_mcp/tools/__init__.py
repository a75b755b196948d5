"""The MCP surface: tool framework, toolsets, and the tools themselves (one module per toolset)."""

from __future__ import annotations

import importlib

TOOL_MODULES = (
    "tickets",
    "similar",
    "knowledge",
    "directory",
    "assets",
    "services",
    "reports",
    "attachments",
    "billing",
    "api",
    "suggest",
    "selfservice",
)


def load_all() -> None:
    """Import every tool module so its `@tool` declarations register (idempotent)."""
    for name in TOOL_MODULES:
        importlib.import_module(f"halo_mcp.tools.{name}")

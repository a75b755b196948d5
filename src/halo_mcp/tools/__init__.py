"""The MCP surface: tool framework, toolsets, and the tools themselves (one module per toolset)."""

from __future__ import annotations

import importlib
from collections.abc import Collection

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
# A module's toolset, where it is not the module's name.
MODULE_TOOLSET = {"similar": "tickets"}


def load_all() -> None:
    """Import every tool module so its `@tool` declarations register (idempotent)."""
    for name in TOOL_MODULES:
        importlib.import_module(f"halo_mcp.tools.{name}")


def load(toolsets: Collection[str]) -> None:
    """Import the tool modules of `toolsets` only: a server skips the modules of toolsets it does not serve."""
    for name in TOOL_MODULES:
        if MODULE_TOOLSET.get(name, name) in toolsets:
            importlib.import_module(f"halo_mcp.tools.{name}")

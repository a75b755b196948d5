"""[custom] Tools an admin declares per collection (`[[collections.custom_tools]]` in halo-mcp.toml).

A custom tool is a value: `build` makes a `Tool` with an `Args` model made by `pydantic.create_model`, and it joins
its collection's selection only (never the process registry). Its kind maps to the collection's method filter
(report = read; ticket, runbook and operation = write; every custom tool also needs `custom`). A prompt is not a
tool: Halo's AI abilities have no public API in Halo's spec, so the nearest equivalent is an MCP prompt declared
per collection (`prompts`). One module per kind.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel, create_model

from halo_mcp.config import ConfigError, CustomToolConfig
from halo_mcp.tools.framework import Args, Audience, Handler, Kind, Tool, ToolContext

TOOLSET = "custom"
KIND_OF: dict[str, Kind] = {"ticket": "write", "report": "read", "runbook": "write", "operation": "write"}
# Halo scopes per kind, as TOOL_SCOPES has them for the built-in tool each reuses. /Automation's area is not stated
# in halo-api-facts §2, and an operation may be any: both ask for `all`.
SCOPES: dict[str, tuple[str, ...]] = {
    "ticket": ("edit:tickets", "read:customers"),
    "report": ("read:reporting", "read:customers"),
    "runbook": ("all",),
    "operation": ("all",),
    "prompt": (),
}


def args_model(config: CustomToolConfig, fields: dict[str, Any]) -> type[BaseModel]:
    """The tool's Args model: `fields` maps a parameter to (type, default or FieldInfo)."""
    title = "".join(part.title() for part in config.name.split("_")) + "Args"
    model: type[BaseModel] = create_model(title, __base__=Args, **fields)
    return model


# Halo offers "Log a ticket", "Get Report Data" and "Execute a Runbook" to user collections too (seed 002); an
# operation is the agent's long tail.
AUDIENCES: dict[str, tuple[Audience, ...]] = {
    "ticket": ("agent", "user"),
    "report": ("agent", "user"),
    "runbook": ("agent", "user"),
    "operation": ("agent",),
}


def make_tool(config: CustomToolConfig, args: type[BaseModel], handler: Handler) -> Tool:
    return Tool(
        name=config.name,
        title=config.name.replace("_", " ").capitalize(),
        description=config.description,
        toolset=TOOLSET,
        kind=KIND_OF[config.kind],
        args=args,
        handler=handler,
        tags=frozenset({TOOLSET, config.kind}),
        audiences=frozenset(AUDIENCES[config.kind]),
    )


async def build(
    configs: Sequence[CustomToolConfig], ctx: ToolContext, failed: Callable[[str, Exception], None]
) -> list[Tool]:
    """The collection's custom tools (prompts excepted), reading what they need from Halo once. A tool Halo cannot
    back (no such ticket type or runbook, no identity to ask with) is left out and passed to `failed`, so one bad
    tool does not take the others down."""
    from halo_mcp.halo.errors import HaloError
    from halo_mcp.tools.custom import operation, report, runbook, ticket
    from halo_mcp.tools.errors import ToolError

    builders = {"ticket": ticket.build, "report": report.build, "runbook": runbook.build, "operation": operation.build}
    tools = []
    for config in configs:
        if config.kind not in builders:
            continue
        try:
            tools.append(await builders[config.kind](config, ctx))
        except (ConfigError, ToolError, HaloError) as exc:
            failed(config.name, exc)
    return tools

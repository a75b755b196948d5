"""1. Context cost: what `tools/list` costs a host's context (o200k_base, counted offline), per toolset and selection.

Counted on the definitions exactly as the server lists them (compact JSON, as `halo-mcp tools --tokens` does);
deterministic, so the smoke test may assert the budget.
"""

from __future__ import annotations

from typing import Any

DEFAULT_BUDGET = 2_500


def measure(quick: bool = False) -> dict[str, Any]:
    from halo_mcp.costs import compact_json, count, tool_tokens
    from halo_mcp.server.surface import INSTRUCTIONS
    from halo_mcp.tools import load_all
    from halo_mcp.tools.toolsets import TOOLSETS, selection_from

    load_all()

    def listing(names: list[str], read_only: bool = False) -> dict[str, Any]:
        tools = selection_from(names, read_only=read_only).tools()
        defs = [t.to_mcp().model_dump(by_alias=True, exclude_none=True, mode="json") for t in tools]
        return {"tools": len(tools), "tokens": count(compact_json({"tools": defs}))}

    toolsets = {ts.name: {**listing([ts.name]), "default": ts.default} for ts in TOOLSETS}
    every = selection_from(["all"]).tools()
    per_tool = sorted(
        ({"tool": t.name, "toolset": t.toolset, "tokens": tool_tokens(t.to_mcp())} for t in every),
        key=lambda row: (-row["tokens"], row["tool"]),
    )
    default = listing(["default"])
    return {
        "what": "tokens (o200k_base) of the tools/list result, compact JSON as sent",
        "default": default,
        "default_read_only": listing(["default"], read_only=True),
        "all": listing(["all"]),
        "toolsets": toolsets,
        "per_tool": per_tool,
        "instructions_tokens": count(INSTRUCTIONS),
        "budget_default": DEFAULT_BUDGET,
        "default_within_budget": default["tokens"] <= DEFAULT_BUDGET,
    }

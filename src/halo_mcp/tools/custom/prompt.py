"""[custom] A collection's own MCP prompts. Halo's AI abilities (seed 002, "Use an AI Ability") have no public API in
Halo's spec, so they cannot be triggered from here; an MCP prompt, declared per collection, is the nearest
equivalent: the admin's instructions, filled with the caller's arguments, for the assistant to act on with the
collection's tools.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from typing import Any

import mcp_types as types
from mcp.shared.exceptions import MCPError

from halo_mcp.config import ConfigError, CustomToolConfig


def check(config: CustomToolConfig) -> None:
    """Every {placeholder} in the prompt is an exposed argument, and every exposed argument is used."""
    used = {name for _, name, _, _ in string.Formatter().parse(str(config.prompt)) if name}
    if used != set(config.expose):
        raise ConfigError(f"custom tool {config.name}: the prompt's placeholders ({', '.join(sorted(used)) or 'none'})"
                          f" must be exactly its expose list ({', '.join(config.expose) or 'none'})")  # fmt: skip


def listing(configs: Sequence[CustomToolConfig]) -> list[types.Prompt]:
    return [
        types.Prompt(
            name=c.name,
            description=c.description,
            arguments=[types.PromptArgument(name=a, required=True) for a in c.expose],
        )
        for c in configs
    ]


def render(config: CustomToolConfig, arguments: dict[str, Any]) -> types.GetPromptResult:
    values = {k: str(v).strip() for k, v in arguments.items() if v is not None and str(v).strip()}
    missing = [a for a in config.expose if a not in values]
    if missing:
        raise MCPError(types.INVALID_PARAMS, f"Prompt {config.name} needs the argument(s) {', '.join(missing)}")
    text = str(config.prompt).format(**{a: values[a] for a in config.expose})
    return types.GetPromptResult(
        description=config.description,
        messages=[types.PromptMessage(role="user", content=types.TextContent(type="text", text=text))],
    )

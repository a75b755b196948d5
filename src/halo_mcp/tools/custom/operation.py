"""[custom] One operation of Halo's catalogue with fixed arguments and a chosen subset exposed as parameters: a
governed slice of the long tail ("create a quote for this client"). It runs through `call_operation`, so names
are resolved, the body is checked against the spec and the collection's policy applies to the request sent.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from halo_mcp.config import ConfigError, CustomToolConfig
from halo_mcp.halo.catalogue import catalogue
from halo_mcp.tools.api import CallOperationArgs, call_operation
from halo_mcp.tools.custom import args_model, make_tool
from halo_mcp.tools.framework import Tool, ToolContext, ToolOutput

SPEC_TYPES: dict[str, Any] = {"integer": int, "number": float, "boolean": bool, "string": str}


def check(config: CustomToolConfig) -> None:
    """The operation exists and every exposed name is one of its parameters or fields (no Halo request)."""
    cat = catalogue()
    resolved = cat.resolve(str(config.operation))
    if resolved is None:
        raise ConfigError(f"custom tool {config.name}: unknown operation {config.operation!r}; "
                          "`halo-mcp tools` and search_operations list them")  # fmt: skip
    op, _ = resolved
    known = _parameters(op)
    unknown = [n for n in config.expose if n.lower() not in known]
    if unknown:
        raise ConfigError(f"custom tool {config.name}.expose: {', '.join(unknown)} is not a parameter or field of "
                          f"{op.name}; known: {', '.join(sorted(known)[:20])}")  # fmt: skip
    clash = [n for n in config.expose if n in config.arguments]
    if clash:
        raise ConfigError(f"custom tool {config.name}: {', '.join(clash)} is both fixed and exposed; pick one")


def _parameters(op: Any) -> dict[str, str]:
    """Lower-cased name -> spec type of every path and query parameter and body field of `op`."""
    cat = catalogue()
    out = {p.lower(): t for p, t in op.path_params}
    out.update({q[0].lower(): q[1] for q in op.query})
    out.update({f.lower(): t for f, t in cat.fields(op)})
    return out


async def build(config: CustomToolConfig, ctx: ToolContext) -> Tool:
    check(config)
    op, _ = catalogue().resolve(str(config.operation)) or (None, None)
    assert op is not None
    types = _parameters(op)
    fields = {n: (SPEC_TYPES.get(types[n.lower()], Any) | None, None) for n in config.expose}

    async def handler(tool_ctx: ToolContext, args: BaseModel) -> ToolOutput:
        given = args.model_dump(exclude_none=True)
        call = CallOperationArgs(operation=op.name, arguments={**config.arguments, **given}, body=None)
        return await call_operation(tool_ctx, call)

    return make_tool(config, args_model(config, fields), handler)

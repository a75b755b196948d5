"""MCP scopes of a signed-in session, and the Halo scopes asked for them.

Two MCP scopes: `halo:read` for every tool, `halo:write` for tools that change Halo (kind write or delete, and
tools whose kind depends on their arguments, like call_operation). Towards Halo the sign-in asks for the least the
collection's tools need (`required_scope`), with Halo's `edit:` scopes lowered to `read:` when the person grants
only `halo:read`, plus `offline_access` (added by `halo/oauth.py`) for the refresh token.
"""

from __future__ import annotations

from halo_mcp.server.collections.spec import CollectionSpec
from halo_mcp.tools.framework import Tool

READ = "halo:read"
WRITE = "halo:write"


def needs_write(t: Tool) -> bool:
    return t.kind != "read" or t.dynamic_kind


def collection_scopes(spec: CollectionSpec) -> list[str]:
    """What the collection's protected resource metadata and challenge advertise."""
    return [READ, WRITE] if any(needs_write(t) for t in spec.selection.tools()) else [READ]


def halo_scope(spec: CollectionSpec, granted: list[str]) -> str:
    needed = spec.scope().split()
    if WRITE in granted:
        return " ".join(needed)
    lowered = sorted({f"read:{s[5:]}" if s.startswith("edit:") else s for s in needed})
    return " ".join(lowered)

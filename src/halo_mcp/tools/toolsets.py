"""The toolsets table, and turning user settings into a `Selection` and a least-privilege Halo scope."""

from __future__ import annotations

from dataclasses import dataclass

from halo_mcp.config import ConfigError, ServerSettings
from halo_mcp.tools.framework import Registry, Selection, registry


@dataclass(frozen=True)
class Toolset:
    name: str
    description: str
    default: bool
    read_scopes: tuple[str, ...]
    write_scopes: tuple[str, ...]


TOOLSETS: tuple[Toolset, ...] = (
    Toolset(
        "tickets",
        "tickets and their actions (notes, time, status, assignment)",
        True,
        ("read:tickets",),
        ("edit:tickets",),
    ),
    Toolset("knowledge", "knowledge base search and articles", True, ("read:kb",), ("edit:kb",)),
    Toolset(
        "directory",
        "lookups of teams, agents, statuses...; users and clients",
        True,
        ("read:customers",),
        ("edit:customers",),
    ),
    Toolset("assets", "assets and warranties", True, ("read:assets",), ("edit:assets",)),
    Toolset("services", "the service catalogue", True, ("read:tickets",), ()),
    Toolset("reports", "saved reports and read-only SQL", False, ("read:reporting", "edit:reporting"), ()),
    Toolset(
        "attachments",
        "ticket attachments, downloaded and uploaded by the server",
        False,
        ("read:tickets",),
        ("edit:tickets",),
    ),
    Toolset(
        "billing",
        "time logged and client contracts (reporting SQL when allowed, else timesheets)",
        False,
        ("read:timesheets", "read:contracts", "read:tickets", "read:customers", "read:reporting", "edit:reporting"),
        (),
    ),
    Toolset("api", "search and call any of Halo's ~800 API operations", True, ("all",), ("all",)),
)
TOOLSET_NAMES = tuple(t.name for t in TOOLSETS)
_BY_NAME = {t.name: t for t in TOOLSETS}


def expand_toolsets(names: list[str]) -> frozenset[str]:
    """`default` and `all` are special; anything else must be a known toolset."""
    out: set[str] = set()
    for name in names or ["default"]:
        key = name.lower()
        if key == "default":
            out |= {t.name for t in TOOLSETS if t.default}
        elif key == "all":
            out |= set(TOOLSET_NAMES)
        elif key in _BY_NAME:
            out.add(key)
        else:
            raise ConfigError(
                f"HALO_MCP_TOOLSETS: unknown toolset {name!r}; known: default, all, {', '.join(TOOLSET_NAMES)}"
            )
    return frozenset(out)


def selection_from(
    toolsets: list[str] | None = None,
    tools: list[str] | None = None,
    exclude_tools: list[str] | None = None,
    read_only: bool = False,
    reg: Registry | None = None,
) -> Selection:
    reg = reg or registry
    known = set(reg.names())
    for var, names in (("HALO_MCP_TOOLS", tools or []), ("HALO_MCP_EXCLUDE_TOOLS", exclude_tools or [])):
        # `op:<METHOD /Path>` exclusions deny single API operations (enforced by call_operation), not tools.
        unknown = [n for n in names if n not in known and not (var == "HALO_MCP_EXCLUDE_TOOLS" and n.startswith("op:"))]
        if unknown:
            raise ConfigError(f"{var}: unknown tool(s) {', '.join(unknown)}; see `halo-mcp tools`")
    return Selection(
        toolsets=expand_toolsets(toolsets or []),
        read_only=read_only,
        allow=frozenset(tools or []),
        deny=frozenset(exclude_tools or []),
        only_allow=bool(tools) and not toolsets,
    )


def selection_from_settings(settings: ServerSettings) -> Selection:
    toolsets = ServerSettings.split(settings.toolsets)
    explicit = [] if toolsets == ["default"] and settings.tools else toolsets
    return selection_from(
        explicit, ServerSettings.split(settings.tools), ServerSettings.split(settings.exclude_tools), settings.read_only
    )


def required_scope(selection: Selection, reg: Registry | None = None) -> str:
    """Least privilege for what is exposed: read scopes for read tools, edit scopes only when writes are exposed."""
    scopes: set[str] = set()
    for t in selection.tools(reg):
        ts = _BY_NAME.get(t.toolset)
        if ts is None:
            continue
        scopes.update(ts.read_scopes)
        if t.kind != "read" and not selection.read_only:
            scopes.update(ts.write_scopes)
    if "all" in scopes:
        if selection.read_only:
            return " ".join(sorted(f"read:{area}" for area in READ_AREAS))
        return "all"
    return " ".join(sorted(scopes)) or "all"


READ_AREAS = (
    "tickets", "calendar", "customers", "crm", "timesheets", "contracts", "suppliers", "items", "projects", "sales",
    "quotes", "invoices", "reporting", "software", "kb", "assets",
)  # fmt: skip

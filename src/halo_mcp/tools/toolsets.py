"""The toolsets table, and turning user settings into a `Selection` and a least-privilege Halo scope."""

from __future__ import annotations

import re
from dataclasses import dataclass

from halo_mcp.config import ConfigError, ServerSettings
from halo_mcp.tools import load, load_all
from halo_mcp.tools.framework import Registry, Selection, registry


@dataclass(frozen=True)
class Toolset:
    name: str
    description: str
    default: bool


TOOLSETS: tuple[Toolset, ...] = (
    Toolset("tickets", "tickets and their actions (notes, time, status, assignment)", True),
    Toolset("knowledge", "knowledge base search and articles", True),
    Toolset("directory", "lookups of teams, agents, statuses...; users and clients", True),
    Toolset("assets", "assets and warranties", True),
    Toolset("services", "the service catalogue", True),
    Toolset("reports", "saved reports and read-only SQL", False),
    Toolset("attachments", "ticket attachments, downloaded and uploaded by the server", False),
    Toolset("billing", "time logged and client contracts (reporting SQL when allowed, else timesheets)", False),
    Toolset("api", "search and call any of Halo's ~800 API operations", True),
    Toolset("suggest", "field suggestions from similar resolved tickets", False),
    Toolset("selfservice", "the end user's own tickets and details (user collections)", False),
)

# The Halo scopes each tool needs, from the requests it sends. Areas as in halo-api-facts §2 (`read:X` reads area X,
# `edit:X` writes it and reads it): Tickets, Actions, Attachment and Service are tickets; Client, Site and Users are
# customers (every client, site or user name is resolved with them); team, agent, status, priority... lookups need
# no scope. POST /Report with SQL needs edit:reporting even though it only reads (halo-api-facts §2).
TOOL_SCOPES: dict[str, tuple[str, ...]] = {
    # GET /Tickets; client, site, user names. group_by also tries POST /Report (SQL: edit:reporting), and counts
    # by paging when the token lacks it: not required, so not requested.
    "list_tickets": ("read:tickets", "read:customers"),
    "get_ticket": ("read:tickets",),  # GET /Tickets/{id}, GET /Actions; linked assets' names if read:assets
    "create_ticket": ("edit:tickets", "read:customers"),  # POST /Tickets; client, site, user names
    "update_ticket": ("edit:tickets", "read:customers"),
    "add_action": ("edit:tickets",),  # POST /Actions
    "add_note": ("edit:tickets",),
    "log_time": ("edit:tickets",),
    "assign_ticket": ("edit:tickets",),
    "find_similar": ("read:tickets", "read:kb"),  # GET /Tickets, /Actions, /KBArticle
    "search_kb": ("read:kb",),  # GET /KBArticle
    "get_kb_article": ("read:kb",),
    "lookup": ("read:customers",),  # GET /Client, /Site (and scope-free lookups); teams' categories if SQL allowed
    "find_users": ("read:customers",),  # GET /Users; client and site names
    "get_user": ("read:customers", "read:tickets"),  # GET /Users/{id}; their open tickets
    "find_clients": ("read:customers",),  # GET /Client; open-ticket counts by SQL if allowed, else Halo's showcounts
    "list_assets": ("read:assets", "read:customers"),  # GET /Asset; client, site, user names
    "get_asset": ("read:assets",),  # GET /Asset/{id}
    "search_services": ("read:tickets",),  # GET /Service
    "list_reports": ("read:reporting",),  # GET /Report
    "run_report": ("read:reporting", "read:customers"),  # GET /Report/{id}; a client name
    "query_sql": ("edit:reporting",),  # POST /Report with _loadreportonly and SQL
    "list_attachments": ("read:tickets",),  # GET /Attachment
    "get_attachment": ("read:tickets",),  # GET /Attachment/{id}
    "add_attachment": ("edit:tickets",),  # POST /Attachment
    # GET /Client (names), /TimesheetEvent, /Actions. Their report SQL (the billable split) runs when the token also
    # holds edit:reporting (the reports toolset requests it); otherwise they fall back, so it is not required here.
    "time_logged": ("read:customers", "read:timesheets", "read:tickets"),
    "client_contracts": ("read:customers", "read:contracts"),  # GET /ClientContract, /ClientPrepay
    "search_operations": (),  # the packaged catalogue: no Halo request
    "call_operation": ("all",),  # any operation; in read-only mode every read:<area>
    "suggest_ticket_fields": ("edit:tickets",),  # GET /Tickets (the similar index), POST /Tickets with apply
    # The end-user persona acts as the signed-in user; Halo applies the user's own permissions on top.
    "my_tickets": ("read:tickets",),  # GET /Tickets
    "get_my_ticket": ("read:tickets",),  # GET /Tickets/{id}, GET /Actions
    "log_ticket": ("edit:tickets",),  # POST /Tickets
    "update_my_ticket": ("edit:tickets",),  # GET /Tickets/{id}, POST /Actions
    "get_my_details": ("read:customers",),  # GET /Users/me
}
# A deny entry for API operations: `op:POST /Tickets`, `op:POST/Tickets`, `op:POST:/Tickets`, `op:/Client*`.
OP_ENTRY = re.compile(r"op:\s*(?:[A-Za-z*?]+\s*:?\s*)?/\S*", re.IGNORECASE)
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
    read_only_edit_scopes: list[str] | None = None,
) -> Selection:
    reg = reg or registry
    known = set(reg.names())
    for var, names in (("HALO_MCP_TOOLS", tools or []), ("HALO_MCP_EXCLUDE_TOOLS", exclude_tools or [])):
        # `op:<METHOD /Path>` exclusions deny single API operations (on every Halo request), not tools.
        unknown = [n for n in names if n not in known and not (var == "HALO_MCP_EXCLUDE_TOOLS" and n.startswith("op:"))]
        if unknown:
            raise ConfigError(f"{var}: unknown tool(s) {', '.join(unknown)}; see `halo-mcp tools`")
    malformed = [n for n in exclude_tools or [] if n.startswith("op:") and not OP_ENTRY.fullmatch(n)]
    if malformed:
        raise ConfigError(
            f"HALO_MCP_EXCLUDE_TOOLS: {', '.join(malformed)} is not an operation; write op:METHOD /Path "
            "(e.g. op:POST /Tickets) or op:/Path for every method"
        )
    granted = set(read_only_edit_scopes or [])
    needed = {s for t in reg if t.kind == "read" for s in scopes_of(t.name) if s.startswith("edit:")}
    if granted - needed:
        raise ConfigError(
            f"HALO_MCP_READ_ONLY_EDIT_SCOPES: {', '.join(sorted(granted - needed))} is not needed by any read tool; "
            f"only {', '.join(sorted(needed)) or 'none'} can be granted in read-only mode"
        )
    withheld = {t.name for t in reg if t.kind == "read" and _edit_scopes(t.name) - granted} if read_only else set()
    return Selection(
        toolsets=expand_toolsets(toolsets or []),
        read_only=read_only,
        allow=frozenset(tools or []),
        deny=frozenset(exclude_tools or []),
        only_allow=bool(tools) and not toolsets,
        withheld=frozenset(withheld),
    )


def scopes_of(name: str) -> tuple[str, ...]:
    """A tool's Halo scopes; a tool missing from the table (a custom one) may call anything."""
    return TOOL_SCOPES.get(name, ("all",))


def _edit_scopes(name: str) -> set[str]:
    return {s for s in scopes_of(name) if s.startswith("edit:") or s == "all"}


def load_for(settings: ServerSettings) -> None:
    """Import the tool modules `settings` can select: those of its toolsets, unless it names single tools or is
    read-only (those are checked against every tool, so then all of them)."""
    if settings.tools or settings.exclude_tools or settings.read_only or settings.read_only_edit_scopes:
        load_all()
    else:
        load(expand_toolsets(ServerSettings.split(settings.toolsets)))


def selection_from_settings(settings: ServerSettings) -> Selection:
    toolsets = ServerSettings.split(settings.toolsets)
    explicit = [] if toolsets == ["default"] and settings.tools else toolsets
    return selection_from(
        explicit,
        ServerSettings.split(settings.tools),
        ServerSettings.split(settings.exclude_tools),
        settings.read_only,
        read_only_edit_scopes=ServerSettings.split(settings.read_only_edit_scopes),
    )


def required_scope(selection: Selection, reg: Registry | None = None) -> str:
    """Least privilege for what is exposed, from each exposed tool's scopes. Read-only mode requests read scopes
    only, plus the edit scopes the operator granted for reading (HALO_MCP_READ_ONLY_EDIT_SCOPES)."""
    scopes = {s for t in selection.tools(reg) for s in scopes_of(t.name)}
    if selection.read_only:
        if "all" in scopes:
            scopes = (scopes - {"all"}) | {f"read:{area}" for area in READ_AREAS}
        # Edit scopes left here belong to read tools the selection did not withhold: granted explicitly.
    elif "all" in scopes:
        return "all"
    return " ".join(sorted(scopes)) or "all"


def scope_checks(selection: Selection, granted: set[str], reg: Registry | None = None) -> list[tuple[str, str, str]]:
    """What `doctor` reports: per exposed toolset, ("ok" | "fail", check name, detail) against the granted scopes,
    then which read tools read-only mode hides for want of an edit scope."""
    by_toolset: dict[str, set[str]] = {}
    for t in selection.tools(reg):
        by_toolset.setdefault(t.toolset, set()).update(scopes_of(t.name))
    out = []
    for name, needed in by_toolset.items():
        if "all" in needed and selection.read_only:
            needed = (needed - {"all"}) | {f"read:{area}" for area in READ_AREAS}
        missing = sorted(s for s in needed if not _covered(s, granted))
        if missing:
            out.append(("fail", f"toolset {name}", f"missing scope {', '.join(missing)}: its tools will fail; "
                                                   "grant it in Halo or drop the toolset"))  # fmt: skip
        else:
            out.append(("ok", f"toolset {name}", f"scopes granted ({' '.join(sorted(needed)) or 'none needed'})"))
    if selection.read_only:
        hidden = sorted(selection.withheld & {t.name for t in (reg or registry) if t.toolset in selection.toolsets})
        for tool_name in hidden:
            edit = ", ".join(sorted(_edit_scopes(tool_name)))
            out.append(("ok", "read-only scopes", f"{tool_name} is hidden: it needs {edit} to read; set "
                                                  f"HALO_MCP_READ_ONLY_EDIT_SCOPES={edit} to list it"))  # fmt: skip
        granted_edit = sorted({s for t in selection.tools(reg) for s in _edit_scopes(t.name)} - {"all"})
        if granted_edit:
            out.append(("ok", "read-only scopes", f"read-only mode also requests {', '.join(granted_edit)} "
                                                  "(HALO_MCP_READ_ONLY_EDIT_SCOPES)"))  # fmt: skip
    return out


def _covered(scope: str, granted: set[str]) -> bool:
    area = scope.split(":", 1)[-1]
    return bool({"all", scope} & granted) or (scope.startswith("read:") and f"edit:{area}" in granted)


READ_AREAS = (
    "tickets", "calendar", "customers", "crm", "timesheets", "contracts", "suppliers", "items", "projects", "sales",
    "quotes", "invoices", "reporting", "software", "kb", "assets",
)  # fmt: skip

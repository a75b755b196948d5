"""What a collection exposes, and to whom: a `CollectionConfig` checked against the tool registry.

Policy (the same at start, on reload and for every admin API or CLI change):
- every toolset, tool, tag and `op:` operation named must exist; an unknown one is an error naming candidates;
- a collection exposes at least one tool (as Truto checks its filters);
- `methods` read / write / delete filter built-in tools by kind; `custom` admits custom tools (a later issue);
- an `agent` collection admits agent tools; no tool acts as an end user yet, so a `user` collection is refused;
- off loopback a collection must name its `auth`; `oauth` (per-user sign-in) stands alone: its users sign in as
  themselves, so no shared token may also open it;
- an expired collection is valid but not served.
Errors are `ConfigError`s of one line naming the key, e.g. `collections[2].toolsets: unknown toolset 'tickts'; did
you mean 'tickets'?`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from halo_mcp.config import CollectionConfig, ConfigError
from halo_mcp.halo.catalogue import catalogue
from halo_mcp.tools import load_all
from halo_mcp.tools.api import denied_by
from halo_mcp.tools.framework import KINDS, Registry, Selection, registry
from halo_mcp.tools.toolsets import OP_ENTRY, TOOLSET_NAMES, required_scope, selection_from

# `/mcp/t/<token>` is the URL-token path, so no collection may be called `t`.
RESERVED_NAMES = frozenset({"t"})


@dataclass(frozen=True)
class CollectionSpec:
    """A validated collection: its config, the selection it serves and where it came from (file or store)."""

    config: CollectionConfig
    selection: Selection
    source: str  # "file" or "store"

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def tenant(self) -> str:
        return self.config.tenant

    def expired(self, now: datetime | None = None) -> bool:
        return self.config.expired(now or datetime.now(UTC))

    def scope(self) -> str:
        return required_scope(self.selection)


def candidates(name: str, known: Iterable[str]) -> str:
    """'; did you mean 'x'?' or '; known: a, b, c' (the list when nothing is close)."""
    known = list(known)
    close = difflib.get_close_matches(name.lower(), known, n=3, cutoff=0.6)
    if close:
        return "; did you mean " + " or ".join(repr(c) for c in close) + "?"
    return "; known: " + ", ".join(known[:20]) + (", ..." if len(known) > 20 else "")


def resolve(
    config: CollectionConfig,
    where: str,
    *,
    tenants: Iterable[str],
    loopback: bool,
    source: str = "file",
    reg: Registry | None = None,
) -> CollectionSpec:
    """Check `config` against the registry and the tenants; `where` prefixes every error (`collections[2]`)."""
    load_all()
    reg = reg or registry
    tenants = list(tenants)
    if config.name in RESERVED_NAMES:
        raise ConfigError(f"{where}.name: {config.name!r} is reserved (/mcp/t/ serves URL tokens); pick another name")
    if config.tenant not in tenants:
        raise ConfigError(f"{where}.tenant: unknown tenant {config.tenant!r}{candidates(config.tenant, tenants)}")
    if config.audience == "user":
        raise ConfigError(
            f"{where}.audience: no tool acts as an end user yet (user tools arrive with custom tools); "
            'use audience = "agent" for now'
        )
    if not config.auth and not loopback:
        raise ConfigError(
            f"{where}.auth: required when the server listens beyond loopback; "
            'use auth = ["bearer"] or ["url_token"] and issue a token with `halo-mcp collections token`'
        )
    if "oauth" in config.auth and len(config.auth) > 1:
        raise ConfigError(f'{where}.auth: "oauth" signs each person in; use it alone (auth = ["oauth"])')

    special = ["default", "all"]
    for name in config.toolsets:
        if name.lower() not in (*special, *TOOLSET_NAMES):
            raise ConfigError(
                f"{where}.toolsets: unknown toolset {name!r}{candidates(name, [*TOOLSET_NAMES, *special])}"
            )
    names = reg.names()
    for name in config.tools:
        if reg.get(name) is None:
            raise ConfigError(f"{where}.tools: unknown tool {name!r}{candidates(name, names)}")
    for name in config.exclude_tools:
        if name.lower().startswith("op:"):
            _check_operation(name, f"{where}.exclude_tools")
        elif reg.get(name) is None:
            raise ConfigError(f"{where}.exclude_tools: unknown tool {name!r}{candidates(name, names)}")
    known_tags = sorted({tag for t in reg for tag in t.tags})
    for tag in config.tags:
        if tag not in known_tags:
            raise ConfigError(f"{where}.tags: unknown tag {tag!r}{candidates(tag, known_tags)}")
    if not config.methods:
        raise ConfigError(f"{where}.methods: empty; name at least one of read, write, delete, custom")

    base = selection_from(
        config.toolsets if "toolsets" in config.model_fields_set else [],
        config.tools,
        config.exclude_tools,
        config.read_only,
        reg,
    )
    selection = replace(
        base,
        kinds=frozenset(k for k in KINDS if k in config.methods),
        tags=frozenset(config.tags),
        audience=config.audience,
    )
    if not selection.tools(reg):
        filters = f"toolsets {config.toolsets}, methods {config.methods}"
        filters += f", tags {config.tags}" if config.tags else ""
        raise ConfigError(f"{where}: exposes no tool ({filters}); widen the filters so at least one tool matches")
    return CollectionSpec(config=config, selection=selection, source=source)


def _check_operation(entry: str, where: str) -> None:
    """`op:METHOD /Path` or `op:/Path` (globs allowed) must match at least one of Halo's operations."""
    if not OP_ENTRY.fullmatch(entry):
        raise ConfigError(f"{where}: {entry!r} is not an operation; write op:METHOD /Path or op:/Path for every method")
    if any(denied_by(op.method, op.path, op.path, [entry]) for op in catalogue().operations):
        return
    suggestions = catalogue().suggest(entry[3:], limit=3)
    hint = "; did you mean " + " or ".join(f"'op:{op.name}'" for op in suggestions) + "?" if suggestions else ""
    raise ConfigError(f"{where}: no Halo operation matches {entry!r}{hint}")

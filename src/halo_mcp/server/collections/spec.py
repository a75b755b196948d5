"""What a collection exposes, and to whom: a `CollectionConfig` checked against the tool registry.

Policy (the same at start, on reload and for every admin API or CLI change):
- every toolset, tool, tag and `op:` operation named must exist; an unknown one is an error naming candidates;
- a collection exposes at least one tool (as Truto checks its filters);
- `methods` read / write / delete filter built-in tools by kind; `custom` admits custom tools, each of which must
  also pass the kind filter (a report tool is `read`, the others `write`); a custom tool's name is not a built-in's;
- an `agent` collection admits agent tools, a `user` collection only tools that act as the end user (a named agent
  tool is an error), and its tenant must sign in as a person, never as an API application's agent;
- off loopback a collection must name its `auth`; `oauth` (per-user sign-in) stands alone: its users sign in as
  themselves, so no shared token may also open it;
- an expired collection is valid but not served.
Errors are `ConfigError`s of one line naming the key, e.g. `collections[2].toolsets: unknown toolset 'tickts'; did
you mean 'tickets'?`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from halo_mcp.config import CollectionConfig, ConfigError
from halo_mcp.halo.catalogue import catalogue
from halo_mcp.tools import load_all
from halo_mcp.tools.api import denied_by
from halo_mcp.tools.custom import KIND_OF, SCOPES, operation, prompt
from halo_mcp.tools.framework import KINDS, Registry, Selection, registry
from halo_mcp.tools.toolsets import OP_ENTRY, TOOLSET_NAMES, required_scope, selection_from

# `/mcp/t/<token>` is the URL-token path, so no collection may be called `t`.
RESERVED_NAMES = frozenset({"t"})
USER_TOOLSETS = ("selfservice", "knowledge", "services")  # a user collection's toolsets unless it names others


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
        """The built-in tools' least privilege plus what the custom tools' kinds need."""
        needed = set(required_scope(self.selection).split())
        needed.update(s for c in self.config.custom_tools for s in SCOPES[c.kind])
        return "all" if "all" in needed else " ".join(sorted(needed))


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
    tenants_config = tenants if isinstance(tenants, Mapping) else {}
    tenants = list(tenants)
    if config.name in RESERVED_NAMES:
        raise ConfigError(f"{where}.name: {config.name!r} is reserved (/mcp/t/ serves URL tokens); pick another name")
    if config.tenant not in tenants:
        raise ConfigError(f"{where}.tenant: unknown tenant {config.tenant!r}{candidates(config.tenant, tenants)}")
    if config.audience == "user":
        _check_user(config, where, tenants_config, reg or registry)
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
        config.toolsets if "toolsets" in config.model_fields_set else _default_toolsets(config),
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
    _check_custom(config, where, reg)
    if not selection.tools(reg) and not any(c.kind != "prompt" for c in config.custom_tools):
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


def _check_custom(config: CollectionConfig, where: str, reg: Registry) -> None:
    """What can be checked without Halo: names, kinds against methods, operations and prompts. The rest (the
    ticket type, report and runbook exist) is checked when the collection's tools are built against its Halo."""
    seen: set[str] = set()
    for i, custom in enumerate(config.custom_tools):
        here = f"{where}.custom_tools[{i}]"
        if reg.get(custom.name) is not None:
            raise ConfigError(
                f"{here}.name: {custom.name!r} is a built-in tool; name it differently, e.g. cf_{custom.name}"
            )
        if custom.name in seen:
            raise ConfigError(f"{here}.name: {custom.name!r} is declared twice in this collection")
        seen.add(custom.name)
        if "custom" not in config.methods:
            raise ConfigError(f"{here}: custom tools need 'custom' in {where}.methods")
        kind = KIND_OF.get(custom.kind)
        if kind is not None and (kind not in config.methods or (config.read_only and kind != "read")):
            allowed = "read_only is set" if config.read_only and kind != "read" else f"methods lack {kind!r}"
            raise ConfigError(f"{here}: a {custom.kind} tool is a {kind} tool and {allowed}; add {kind!r} to methods "
                              "or remove the tool")  # fmt: skip
        if custom.kind == "operation":
            operation.check(custom)
        elif custom.kind == "prompt":
            prompt.check(custom)


def _default_toolsets(config: CollectionConfig) -> list[str]:
    """Toolsets when none are named: the default ones, or for a user collection the end user's persona."""
    return list(USER_TOOLSETS) if config.audience == "user" else []


def _check_user(config: CollectionConfig, where: str, tenants: Mapping[str, Any], reg: Registry) -> None:
    """A user collection acts as the end user: only user tools, and a tenant identity that is a person."""
    for name in config.tools:
        found = reg.get(name)
        if found is not None and "user" not in found.audiences:
            users = sorted(t.name for t in reg if "user" in t.audiences)
            raise ConfigError(f"{where}.tools: {name!r} acts as an agent; a user collection admits only user tools: "
                              f"{', '.join(users)}")  # fmt: skip
    for i, custom in enumerate(config.custom_tools):
        if custom.kind == "operation":
            raise ConfigError(f"{where}.custom_tools[{i}]: an operation tool acts as an agent; a user collection "
                              "admits ticket, report, runbook and prompt tools")  # fmt: skip
    tenant = tenants.get(config.tenant)
    # With per-person sign-in (auth = ["oauth"], the sign-in issue) each caller brings their own Halo identity.
    if tenant is not None and not getattr(tenant, "username_env", None) and "oauth" not in config.auth:
        raise ConfigError(
            f"{where}.audience: a user collection acts as the signed-in end user, but tenant {config.tenant!r} signs "
            "in as its API application's agent; give the tenant an end user's sign-in (username_env and "
            'password_env) or use audience = "agent"'
        )

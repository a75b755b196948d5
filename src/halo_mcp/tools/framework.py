"""One way to declare, select and run a tool.

A tool is an async function `(ctx, args) -> ToolOutput` decorated with `@tool(...)`. Its pydantic argument model
becomes the compact input schema, its docstring the description, its kind the MCP annotations. Selection
(toolsets, read-only, allow/deny, kinds, tags) is one value object applied both when listing and when calling.
"""

from __future__ import annotations

import copy
import functools
import inspect
import json
import re
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING, Any, ClassVar, Literal, get_type_hints

import mcp_types as types
from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

from halo_mcp.tools import TOOL_MODULES

if TYPE_CHECKING:
    from halo_mcp.config import ServerSettings
    from halo_mcp.halo.client import HaloClient
    from halo_mcp.state.base import AuditStore
    from halo_mcp.tools.errors import Ambiguous
    from halo_mcp.tools.resolve import Resolver

Kind = Literal["read", "write", "delete"]
KINDS: tuple[Kind, ...] = ("read", "write", "delete")
# Whom a tool acts for: `agent` tools act with the API application's agent rights; `user` tools act as the end
# user (they arrive with custom tools). A collection admits only the tools of its audience.
Audience = Literal["agent", "user"]


TEXT_LIMIT = 1_000  # characters of a name, search text, date or cursor: enough for any, and safe in a URL
# Arguments that carry a body of text (by name) have a larger limit; an Args model may override it per field.
LONG_TEXT_LIMIT = 100_000
LONG_TEXT_FIELDS = frozenset({"details", "note", "sql", "text"})


class Args(BaseModel):
    """Base for tool arguments: unknown arguments are an error the model sees, not silently dropped, and every
    string is bounded, so an overlong value is a clear validation error instead of a URL Halo cannot take."""

    model_config = ConfigDict(extra="forbid", defer_build=True)  # validators built on the first call
    # Per-field character limits that differ from the defaults; None when the tool bounds the value itself.
    text_limits: ClassVar[dict[str, int | None]] = {}

    @field_validator("*", mode="before")
    @classmethod
    def _bounded(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, str):
            name = info.field_name or ""
            default = LONG_TEXT_LIMIT if name in LONG_TEXT_FIELDS else TEXT_LIMIT
            limit = cls.text_limits.get(name, default)
            if limit is not None and len(value) > limit:
                raise ValueError(f"is {len(value):,} characters, over the {limit:,}-character limit; shorten it")
        return value


@dataclass
class ToolOutput:
    """What a tool returns: compact text for the model, optional structured data and embedded resources."""

    text: str
    structured: Any = None
    resources: list[types.EmbeddedResource] = field(default_factory=list)
    # Halo records a write touched, e.g. "ticket:123" or "action:123/4"; recorded in the audit log.
    affected: list[str] = field(default_factory=list)


# `ToolContext.progress`, handed to helpers that fetch many pages: (done, total, message).
Progress = Callable[[float, "float | None", "str | None"], Awaitable[None]]


class Interaction:
    """What one call may say to the person behind the client: how far it got, and a question before a change.

    This default reports nothing and asks nothing, as for a client without a progress token or the elicitation
    capability; the surface gives each MCP call its own (server/interaction.py). It is also the seam for long work as
    tasks (extension `io.modelcontextprotocol/tasks`), which mcp 2.3 does not implement (no `tasks/*` methods, no
    task store): an awaited runbook or a large report would get an Interaction that keeps its progress for
    `tasks/get` to poll, and the tools would not change."""

    can_ask: bool = False

    async def progress(self, done: float, total: float | None = None, message: str | None = None) -> None:
        return None

    async def confirm(self, message: str) -> None:
        return None

    async def choose(self, exc: Ambiguous) -> int:
        """The id the person picks among an ambiguous name's candidates; only called when `can_ask`."""
        raise exc

    async def fill(self, title: str, fields: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
        """Values the person gives for required arguments the model left out (argument -> its JSON schema), or None
        when they decline; only called when `can_ask`."""
        return None


SILENT = Interaction()


@dataclass
class ToolContext:
    """Everything a handler may use. Built once per server (per collection); the surface hands each call a copy
    carrying that call's `interaction`."""

    halo: HaloClient
    resolver: Resolver
    selection: Selection
    settings: ServerSettings
    audit: AuditStore | None = None
    collection: str = "default"
    extras: dict[str, Any] = field(default_factory=dict)
    # The tag on tickets this collection creates (AI-created marking); None when marking is off.
    created_tag: str | None = None
    interaction: Interaction = SILENT

    async def progress(self, done: float, total: float | None = None, message: str | None = None) -> None:
        """Report progress of work that takes several Halo requests or waits ("fetched 1,200 of 3,000 tickets");
        sent only when the client asked for progress."""
        await self.interaction.progress(done, total, message)

    async def confirm(self, message: str) -> None:
        """Before a bulk or destructive change: show the person what will change and go on only if they agree
        (declining raises ToolError, nothing is sent). A client that cannot be asked gets today's behaviour: the
        call proceeds, under the host's own confirmation of tools marked destructive."""
        await self.interaction.confirm(message)


Handler = Callable[[ToolContext, Any], Awaitable[ToolOutput]]


@dataclass(frozen=True)
class Tool:
    name: str
    title: str
    description: str
    toolset: str
    kind: Kind
    args: type[BaseModel]
    handler: Handler
    # Tag filter vocabulary: the declared tags plus the toolset's name.
    tags: frozenset[str] = frozenset()
    audiences: frozenset[Audience] = frozenset({"agent"})
    idempotent: bool = False
    # True for tools like call_operation whose effective kind depends on the arguments; the handler enforces it.
    dynamic_kind: bool = False
    output_schema: dict[str, Any] | None = None
    # The description under a selection that narrows a dynamic tool (e.g. read-only), when it differs.
    describe: Callable[[Selection], str | None] | None = None
    # Declared with `@tool`: its input schema is committed in data/tool_schemas.json (custom tools build theirs).
    declared: bool = False
    # Missing required arguments are asked of the person (when they can be asked) instead of failing the call:
    # a custom ticket tool's mandatory form fields, which the person knows and the model may not.
    asks_missing: bool = False

    @property
    def annotations(self) -> types.ToolAnnotations:
        return self.annotations_for(None)

    def annotations_for(self, selection: Selection | None) -> types.ToolAnnotations:
        """Only hints that differ from MCP's defaults, no second title (the rest costs tokens in every tools/list);
        a dynamic tool under a selection that allows only reads is a read tool, and says so."""
        reads_only = selection is not None and not any(selection.allows_kind(k) for k in ("write", "delete"))
        read = (self.kind == "read" and not self.dynamic_kind) or (self.dynamic_kind and reads_only)
        destructive = self.kind == "delete" or self.dynamic_kind
        return types.ToolAnnotations(
            read_only_hint=True if read else None,
            destructive_hint=None if read or destructive else False,
            idempotent_hint=True if self.idempotent and not read else None,
        )

    def input_schema(self) -> dict[str, Any]:
        committed = committed_schemas().get(self.name) if self.declared else None
        if committed is not None:
            return copy.deepcopy(committed)
        return compact_schema(self.args.model_json_schema())

    def to_mcp(self, selection: Selection | None = None) -> types.Tool:
        """The listing entry; under `selection`, a dynamic tool's description and hints tell what it may do there."""
        described = self.describe(selection) if self.describe is not None and selection is not None else None
        return types.Tool(
            name=self.name,
            title=self.title,
            description=described or self.description,
            input_schema=self.input_schema(),
            output_schema=self.output_schema,
            annotations=self.annotations_for(selection),
        )


class Registry:
    """All tools known to the process, in declaration order (which is the listing order)."""

    def __init__(self) -> None:
        self._tools: dict[str, Tool] = {}

    def tool(
        self,
        toolset: str,
        *,
        kind: Kind = "read",
        title: str,
        tags: Iterable[str] = (),
        audiences: Iterable[Audience] = ("agent",),
        idempotent: bool = False,
        dynamic_kind: bool = False,
        name: str | None = None,
        output_schema: dict[str, Any] | None = None,
        describe: Callable[[Selection], str | None] | None = None,
    ) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            hints = get_type_hints(fn)
            params = list(inspect.signature(fn).parameters)
            args_model = hints.get(params[1]) if len(params) > 1 else None
            if not (isinstance(args_model, type) and issubclass(args_model, BaseModel)):
                raise TypeError(f"{fn.__name__}: the second parameter must be annotated with an Args model")
            tool_name = name or fn.__name__
            if tool_name in self._tools:
                raise ValueError(f"duplicate tool name {tool_name!r}")
            self._tools[tool_name] = Tool(
                name=tool_name,
                title=title,
                description=_describe(fn),
                toolset=toolset,
                kind=kind,
                args=args_model,
                handler=fn,
                tags=frozenset(tags) | {toolset},
                audiences=frozenset(audiences),
                idempotent=idempotent,
                dynamic_kind=dynamic_kind,
                output_schema=output_schema,
                describe=describe,
                declared=True,
            )
            return fn

        return register

    def get(self, name: str) -> Tool | None:
        return self._tools.get(name)

    def __iter__(self) -> Iterator[Tool]:
        """Listing order: toolset module order (`TOOL_MODULES`), then declaration order; never import order."""
        rank = {f"halo_mcp.tools.{m}": i for i, m in enumerate(TOOL_MODULES)}
        order = {name: i for i, name in enumerate(self._tools)}
        return iter(
            sorted(self._tools.values(), key=lambda t: (rank.get(t.handler.__module__, len(rank)), order[t.name]))
        )

    def names(self) -> list[str]:
        return [t.name for t in self]


registry = Registry()
tool = registry.tool


def _describe(fn: Callable[..., Any]) -> str:
    """The docstring, de-indented, with single newlines folded: descriptions are paid for in tokens."""
    doc = inspect.cleandoc(fn.__doc__ or "")
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", doc) if p.strip()]
    return "\n".join(paragraphs)


@functools.cache
def committed_schemas() -> dict[str, dict[str, Any]]:
    """Declared tools' compact input schemas by tool name (`scripts/gen_tool_schemas.py`)."""
    text = resources.files("halo_mcp").joinpath("data/tool_schemas.json").read_text(encoding="utf-8")
    schemas: dict[str, dict[str, Any]] = json.loads(text)
    return schemas


def compact_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Pydantic's JSON schema minus what costs tokens and tells a model nothing (titles, null unions, default
    additionalProperties). Unknown arguments are still refused: `Args` forbids extras, and the error names them."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(n) for n in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            target = defs[node["$ref"].rsplit("/", 1)[-1]]
            merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
            return walk(merged)
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "title":
                continue
            if key == "default" and value is None:
                continue
            if (key == "additionalProperties" and value is True) or (key == "default" and value is False):
                continue  # what a reader assumes anyway
            out[key] = walk(value) if key != "properties" else {k: walk(v) for k, v in value.items()}
        any_of = out.get("anyOf")
        if isinstance(any_of, list):
            non_null = [s for s in any_of if s != {"type": "null"}]
            if len(non_null) == 1 and len(non_null) < len(any_of):
                out.pop("anyOf")
                out = {**non_null[0], **out}
            elif len(non_null) > 1 and all(set(s) == {"type"} for s in non_null):
                out.pop("anyOf")
                out = {"type": [s["type"] for s in non_null], **out}
        return out

    result = walk(schema)
    result.setdefault("type", "object")
    result.setdefault("properties", {})
    result.pop("additionalProperties", None)
    return result


# -- selection -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Selection:
    """Which tools are exposed. Deny wins over everything; read-only wins over allow.

    `allow` adds tools to those of the toolsets; `only_allow` (set when tools were named but toolsets were not)
    exposes exactly the allow list. `kinds` and `tags` narrow further (used by tool collections).
    """

    toolsets: frozenset[str]
    read_only: bool = False
    allow: frozenset[str] = frozenset()
    deny: frozenset[str] = frozenset()
    only_allow: bool = False
    kinds: frozenset[Kind] = frozenset(KINDS)
    tags: frozenset[str] = frozenset()
    # Read tools that need an edit scope to read (query_sql), hidden in read-only mode unless the operator grants
    # that scope (HALO_MCP_READ_ONLY_EDIT_SCOPES); see tools/toolsets.py.
    withheld: frozenset[str] = frozenset()
    audience: Audience = "agent"
    # The collection's own custom tools (tools/custom/), built for it alone and listed after the built-ins;
    # the collection's config already checked their kinds against its methods.
    custom: tuple[Tool, ...] = ()

    def allows_kind(self, kind: Kind) -> bool:
        return kind in self.kinds and not (self.read_only and kind != "read")

    def allows(self, t: Tool) -> bool:
        if t.name in self.deny or t.name in self.withheld or self.audience not in t.audiences:
            return False
        if not t.dynamic_kind and not self.allows_kind(t.kind):
            return False
        if t.dynamic_kind and not self.kinds:  # e.g. methods = ["custom"]: no operation could run
            return False
        if self.tags and not (t.tags & self.tags):
            return False
        if self.only_allow:
            return t.name in self.allow
        return t.toolset in self.toolsets or t.name in self.allow

    def tools(self, reg: Registry | None = None) -> list[Tool]:
        custom = [t for t in self.custom if t.name not in self.deny and self.audience in t.audiences]
        return [t for t in (reg or registry) if self.allows(t)] + custom

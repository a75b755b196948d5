"""[custom] Log a ticket of one type, its parameters from the type's field configuration in Halo.

`GET /TicketType/{id}?includedetails=true` answers the new-ticket form in groups (halo-api-facts §17): a row with
`fieldid: 0` holds `group.fields`; each field's `fieldinfo.name` is the FAULTS column, and `technew` is 0 (not on
the agent's form), 1 (optional) or 2 (mandatory). Each known column becomes a typed parameter: a mandatory one is
required, small choice tables (priorities, categories, teams) become enums, so a missing or impossible value is
refused before anything is sent; names are resolved by `create_ticket`, the one way tickets are made. A custom
field (`CF...`) becomes a string parameter. `ticket_type = "*"` exposes the type (any the agent can select) as a
parameter, with summary and details, since each type has its own form. `template` names a ticket template
(`/Template`, Halo's StdRequest): the ticket is logged with its `template_id` and, unless `ticket_type` is given,
the template's type.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from halo_mcp.config import ConfigError, CustomToolConfig
from halo_mcp.halo.client import rows_of
from halo_mcp.tools.custom import args_model, make_tool
from halo_mcp.tools.framework import Tool, ToolContext, ToolOutput
from halo_mcp.tools.resolve import Ref
from halo_mcp.tools.tickets import CreateTicketArgs, new_ticket

MANDATORY, OPTIONAL = 2, 1  # RequestTypeField.technew (facts §17)
ENUM_LIMIT = 60  # choices beyond this stay a free name, resolved server-side
# FAULTS column -> (parameter, type, resolver kind whose names are the choices)
COLUMNS: dict[str, tuple[str, Any, str | None]] = {
    "symptom": ("summary", str, None),
    "symptom2": ("details", str, None),
    "username": ("user", Ref, None),
    "category2": ("category", Ref, "category"),  # sic: API category_1 is column category2
    "seriousness": ("priority", Ref, "priority"),
    "impact": ("impact", int, None),
    "urgency": ("urgency", int, None),
    "sectio_": ("team", Ref, "team"),  # sic: Halo's column for the team
    "assignedtoint": ("agent", Ref, None),
}


def form_fields(config_body: Any) -> list[tuple[str, int, str]]:
    """(column, technew, label) of every field on the form, groups flattened, in form order."""
    out: list[tuple[str, int, str]] = []

    def walk(rows: Any) -> None:
        for row in rows if isinstance(rows, list) else []:
            if not isinstance(row, dict):
                continue
            group = row.get("group")
            if row.get("fieldid") == 0 and isinstance(group, dict):
                walk(group.get("fields"))
                continue
            raw = row.get("fieldinfo")
            info: dict[str, Any] = raw if isinstance(raw, dict) else {}
            column = str(info.get("name") or row.get("fieldname") or "")
            if column:
                out.append((column, int(row.get("technew") or 0), str(info.get("label") or column)))

    if isinstance(config_body, dict):
        walk(config_body.get("fields"))
    return out


async def _choices(ctx: ToolContext, kind: str | None) -> Any:
    if kind is None:
        return None
    names = sorted({e.name for e in await ctx.resolver.table(kind) if e.name})
    return Literal[tuple(names)] if 0 < len(names) <= ENUM_LIMIT else None


async def build(config: CustomToolConfig, ctx: ToolContext) -> Tool:
    any_type = config.ticket_type == "*"
    fields: dict[str, Any] = {}
    custom: dict[str, str] = {}  # parameter -> custom field name
    type_id: int | None = None
    template = await _template(ctx, config.template) if config.template else None
    if any_type:
        types = [e for e in await ctx.resolver.table("tickettype") if e.record.get("agentscanselect", True)]
        names = tuple(sorted(e.name for e in types))
        fields["ticket_type"] = (Literal[names], Field(description="ticket type"))
    elif config.ticket_type:
        type_id = (await ctx.resolver.resolve("tickettype", str(config.ticket_type))).id
    else:
        assert template is not None
        type_id = int(template.get("tickettype_id") or 0) or None
        if type_id is None:
            raise ConfigError(f"custom tool {config.name}: template {config.template!r} names no ticket type; "
                              "add ticket_type")  # fmt: skip
    template_id = int(template["id"]) if template else None
    form = [] if any_type else form_fields(await ctx.halo.get(f"TicketType/{type_id}", {"includedetails": True}))
    if any_type or config.parameters == "summary_details":
        details_required = any(c == "symptom2" and n == MANDATORY for c, n, _ in form)
        fields["summary"] = (str, Field(min_length=1))
        fields["details"] = (str, Field(min_length=1)) if details_required else (str | None, None)
    else:
        for column, technew, label in form:
            if technew not in (OPTIONAL, MANDATORY):
                continue
            if column.upper().startswith("CF"):
                param, kind_type, choice_kind = column.lower(), str, None
                custom[param] = column
            elif column in COLUMNS:
                param, kind_type, choice_kind = COLUMNS[column]
            else:
                continue  # a column we cannot set by name; Halo's own default applies
            enum = await _choices(ctx, choice_kind)
            typ = enum or kind_type
            required = technew == MANDATORY or param == "summary"
            minimum = 1 if typ is str and required else None
            described = label if label.lower() != param else None
            if required:
                fields[param] = (typ, Field(description=described, min_length=minimum))
            else:
                fields[param] = (typ | None, Field(None, description=described))
        if "summary" not in fields:
            raise ConfigError(f"custom tool {config.name}: the form of type {config.ticket_type!r} has no summary")

    async def handler(tool_ctx: ToolContext, args: BaseModel) -> ToolOutput:
        values = args.model_dump(exclude_none=True)
        extra = {custom[k]: values.pop(k) for k in list(values) if k in custom}
        chosen = values.pop("ticket_type", type_id)
        args = CreateTicketArgs(ticket_type=chosen, custom_fields=extra or None, **values)
        return await new_ticket(tool_ctx, args, template_id)

    return make_tool(config, args_model(config, fields), handler)


async def _template(ctx: ToolContext, wanted: str) -> dict[str, Any]:
    """A ticket template (`GET /Template`, Halo's StdRequest) by id or exact name."""
    if wanted.isdigit():
        found = await ctx.halo.get(f"Template/{wanted}")
        if isinstance(found, dict) and found.get("id"):
            return found
    rows = rows_of(await ctx.halo.get("Template", {"search": wanted}), "templates")
    match = next((r for r in rows if str(r.get("name") or "").lower() == wanted.lower() and r.get("id")), None)
    if match is None:
        known = ", ".join(repr(str(r.get("name"))) for r in rows[:10])
        raise ConfigError(f"no ticket template named {wanted!r}" + (f"; did you mean {known}?" if known else ""))
    return match

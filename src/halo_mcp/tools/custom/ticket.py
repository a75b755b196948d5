"""[custom] Log a ticket of one type, its parameters from the type's field configuration in Halo.

`GET /TicketType/{id}?includedetails=true` answers the new-ticket form in groups (halo-api-facts §17): a row with
`fieldid: 0` holds `group.fields`; each field's `fieldinfo.name` is the FAULTS column, and `technew` is 0 (not on
the agent's form), 1 (optional) or 2 (mandatory). Each known column becomes a typed parameter: a mandatory one is
required, small choice tables (priorities, categories, teams) become enums, so a missing or impossible value is
refused before anything is sent; names are resolved by `create_ticket`, the one way tickets are made. A custom
field (`CF...`) becomes a string parameter, or an enum of its `fieldinfo.values` names when it has choices (sent as
the chosen lookup's id: a recorded selection field's `value` is the id, its `display` the name, facts §17). A
mandatory field the model leaves out is asked of the person when the client can be asked (server/interaction.py).
`ticket_type = "*"` exposes the type (any the agent can select) as a parameter, with summary and details, since
each type has its own form. `template` names a ticket template (`/Template`, Halo's StdRequest): the ticket is logged
with its `template_id` and, unless `ticket_type` is given, the template's type.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Literal, NamedTuple

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


class FormField(NamedTuple):
    column: str
    technew: int
    label: str
    choices: dict[str, int]  # a selection field's lookup names -> ids (`fieldinfo.values`); empty for others


def form_fields(config_body: Any) -> list[FormField]:
    """Every field on the form, groups flattened, in form order."""
    out: list[FormField] = []

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
            values = info.get("values")
            listed = values if isinstance(values, list) else []
            choices = {
                str(v["name"]): int(v["id"]) for v in listed if isinstance(v, dict) and v.get("name") and v.get("id")
            }
            if column:
                out.append(FormField(column, int(row.get("technew") or 0), str(info.get("label") or column), choices))

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
    lookups: dict[str, dict[str, int]] = {}  # parameter -> a selection field's choice names -> lookup ids
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
        details_required = any(f.column == "symptom2" and f.technew == MANDATORY for f in form)
        fields["summary"] = (str, Field(min_length=1))
        fields["details"] = (str, Field(min_length=1)) if details_required else (str | None, None)
    else:
        for column, technew, label, choices in form:
            if technew not in (OPTIONAL, MANDATORY):
                continue
            if column.upper().startswith("CF"):
                param, kind_type, choice_kind = column.lower(), str, None
                custom[param] = column
                if 0 < len(choices) <= ENUM_LIMIT:
                    lookups[param] = choices
            elif column in COLUMNS:
                param, kind_type, choice_kind = COLUMNS[column]
            else:
                continue  # a column we cannot set by name; Halo's own default applies
            enum = Literal[tuple(choices)] if param in lookups else await _choices(ctx, choice_kind)
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
        extra = {custom[k]: lookups[k][v] if k in lookups else v for k, v in values.items() if k in custom}
        values = {k: v for k, v in values.items() if k not in custom}
        chosen = values.pop("ticket_type", type_id)
        args = CreateTicketArgs(ticket_type=chosen, custom_fields=extra or None, **values)
        return await new_ticket(tool_ctx, args, template_id)

    return replace(make_tool(config, args_model(config, fields), handler), asks_missing=True)


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

"""Between HTML forms and the admin actions: a collection form to its halo-mcp.toml keys, a tool's input schema
to form fields and back. Validation stays in `CollectionService` and in the tool's own arguments model; this only
reads the form."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import FormData

from halo_mcp.config import CollectionConfig, ConfigError

CHECKBOX_LISTS = ("toolsets", "methods", "auth")
TEXT_LISTS = ("tools", "exclude_tools", "tags")
TEXTS = ("tenant", "audience", "description", "rate_limit_mode")
MORE_KEYS = ("custom_tools", "created_tag", "virtual_agent")  # the "more keys" JSON box


def _text(form: FormData, key: str) -> str:
    value = form.get(key)
    return value.strip() if isinstance(value, str) else ""


def collection_from(form: FormData, *, creating: bool) -> dict[str, Any]:
    """The collection's keys as the form gives them; an edit resets a "more keys" key the box no longer names."""
    out: dict[str, Any] = {"name": _text(form, "name")} if creating else {}
    out.update({key: _text(form, key) for key in TEXTS if _text(form, key)})
    for key in CHECKBOX_LISTS:
        chosen = [v for v in form.getlist(key) if isinstance(v, str)]
        if chosen or key != "toolsets":  # no toolset ticked: the default toolsets
            out[key] = chosen
    for key in TEXT_LISTS:
        out[key] = [part.strip() for part in _text(form, key).replace("\n", ",").split(",") if part.strip()]
    out["read_only"] = form.get("read_only") == "on"
    out["expires_at"] = _text(form, "expires_at") or None
    more = _text(form, "more")
    try:
        extra = json.loads(more) if more else {}
    except ValueError as exc:
        raise ConfigError(f"more keys: not valid JSON ({exc})") from None
    if not isinstance(extra, dict):
        raise ConfigError('more keys: a JSON object, e.g. {"custom_tools": [...]}')
    if not creating:
        for key in MORE_KEYS:
            if key not in extra:
                extra[key] = CollectionConfig.model_fields[key].get_default(call_default_factory=True)
    return {**out, **extra}


def more_keys(config: CollectionConfig) -> str:
    """The "more keys" box of an edit form: the set keys the form has no field for."""
    dumped = config.model_dump(mode="json", exclude_unset=True)
    shown = {key: dumped[key] for key in MORE_KEYS if key in dumped}
    return json.dumps(shown, indent=2) if shown else ""


@dataclass(frozen=True)
class Field:
    """One form field for a tool argument."""

    name: str
    widget: str  # text, number, checkbox, select, json
    required: bool
    description: str
    choices: tuple[str, ...] = ()
    default: str = ""


def fields_of(schema: dict[str, Any]) -> list[Field]:
    required = set(schema.get("required", []))
    out = []
    for name, prop in schema.get("properties", {}).items():
        kind = prop.get("type")
        if "enum" in prop:
            widget = "select"
        elif kind in ("integer", "number"):
            widget = "number"
        elif kind == "boolean":
            widget = "checkbox"
        elif kind == "string":
            widget = "text"
        else:
            widget = "json"  # arrays, objects, unions
        default = prop.get("default")
        out.append(Field(
            name=name,
            widget=widget,
            required=name in required,
            description=str(prop.get("description", "")),
            choices=tuple(str(c) for c in prop.get("enum", ())),
            default="" if default is None else str(default) if widget != "json" else json.dumps(default),
        ))  # fmt: skip
    return out


def arguments_from(form: FormData, schema: dict[str, Any]) -> dict[str, Any]:
    """The arguments a model would send: empty fields left out, numbers and JSON read; the tool validates them."""
    out: dict[str, Any] = {}
    props = schema.get("properties", {})
    for f in fields_of(schema):
        raw = form.get(f"arg.{f.name}")
        if f.widget == "checkbox":
            if raw == "on":
                out[f.name] = True
            continue
        if not isinstance(raw, str) or not raw.strip():
            continue
        value = raw.strip()
        if f.widget == "number":
            try:
                out[f.name] = int(value) if props[f.name].get("type") == "integer" else float(value)
            except ValueError:
                raise ConfigError(f"{f.name}: {value!r} is not a number") from None
        elif f.widget == "json":
            try:
                out[f.name] = json.loads(value)
            except ValueError:
                out[f.name] = value  # a union that admits a string (a name or an id)
        else:
            out[f.name] = value
    return out

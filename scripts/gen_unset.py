"""Regenerate `data/unset.json`: the value Halo sends for each field that has no value, with the source of each rule.

Inputs: the recorded Halo payloads in `tests/fixtures/recorded/` (halo-api-facts.md §17) and the spec schemas frozen
in `sandbox/specfields.py`. Rules, first match wins:

1. recorded: the field carries an unset marker in a recording (a sentinel date `1899-12-30`, `0001-01-01` or
   `1900-01-01`, `-1`/`-3`/`0`, `0.0`, `""`, `"00:00:00"`, `false` or `[]`): that exact value, on single reads,
   and on list rows too when the field belongs to the `X_List` class.
2. list type: a number or boolean field of the `X_List` class without a recording: `0`, `0.0` or `false` (.NET
   value types cannot be null, and the recordings show `0` as the commonest unset number).
3. otherwise the field is absent when unset: the recordings omit unset fields (`dateclosed`, `responsedate` on an
   open ticket) and contain no `null`.

Schemas without any recording (KB, invoices, quotes, agents, teams, statuses, ...) keep the spec-driven rule the
sandbox had before the recordings: every number, boolean and date field of `X_List` defaults (`0`, `0.0`, `false`,
`1900-01-01T00:00:00`); they are marked `"recorded": false`.

Recorded fields that the spec does not declare (`who` on actions) are listed under `extra` with the field they
follow in the recording, so the sandbox can send them in the recorded order.

Usage: python scripts/gen_unset.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from halo_mcp.sandbox.resources import RESOURCES  # noqa: E402
from halo_mcp.sandbox.shape import parse  # noqa: E402

RECORDED = REPO / "tests" / "fixtures" / "recorded"
TARGET = REPO / "src" / "halo_mcp" / "data" / "unset.json"
SENTINEL_DATES = ("1899-12-30T00:00:00", "0001-01-01T00:00:00", "1900-01-01T00:00:00")
OLD_DATE_DEFAULT = "1900-01-01T00:00:00"

# (fixture, JSON path, schema): where each spec class appears in the recordings.
WHERE: list[tuple[str, str, str]] = [
    ("ticket_create_reply.json", "$", "Faults"),
    ("ticket_create_reply.json", "$.priority", "Policy"),
    ("ticket_create_reply.json", "$.user", "Users"),
    ("ticket_create_reply.json", "$.user.site", "Site"),
    ("ticket_create_reply.json", "$.user.site.client", "Area"),
    ("ticket_create_reply.json", "$.tickettype", "RequestType"),
    ("ticket_create_reply.json", "$.extra_actions[0]", "Actions"),
    ("user.json", "$", "Users"),
    ("user.json", "$.site", "Site"),
    ("user.json", "$.site.client", "Area"),
    ("attachment_upload_reply.json", "$", "Attachment"),
]


def is_unset(value: Any) -> bool:
    if isinstance(value, bool):
        return value is False
    if isinstance(value, int | float):
        return value in (0, -1, -3)
    if isinstance(value, str):
        return value in ("", "00:00:00", *SENTINEL_DATES)
    return value == []


def walk(doc: Any, path: str) -> Any:
    for part in path.lstrip("$").split("."):
        if not part:
            continue
        name, _, index = part.partition("[")
        doc = doc[name]
        if index:
            doc = doc[int(index.rstrip("]"))]
    return doc


def build() -> dict[str, Any]:
    recorded: dict[str, dict[str, Any]] = {}
    for fixture, path, schema in WHERE:
        obj = walk(json.loads((RECORDED / fixture).read_text()), path)
        entry = recorded.setdefault(schema, {"sources": [], "fields": {}, "extra": {}})
        entry["sources"].append(f"{fixture} {path}")
        spec = {**parse(schema + "_List"), **parse(schema)}
        previous = None
        for key, value in obj.items():
            if key not in spec and not key.startswith("_"):
                entry["extra"].setdefault(key, previous)
            if key in spec or key in entry["extra"]:
                previous = key
            if is_unset(value) and key not in entry["fields"] and (key in spec or key in entry["extra"]):
                entry["fields"][key] = {"unset": value, "source": f"recorded: {fixture} {path}.{key}"}
    schemas: dict[str, Any] = {}
    for schema in sorted({r.schema for r in RESOURCES.values() if r.schema}):
        listed = parse(schema + "_List")
        full = parse(schema)
        if not full and not listed:
            continue
        fields: dict[str, Any] = {}
        rec = recorded.get(schema)
        if rec is None:
            defaults = {"i": 0, "n": 0.0, "b": False, "d": OLD_DATE_DEFAULT}
            for name, code in listed.items():
                if code in defaults and not name.startswith("_"):
                    fields[name] = {"unset": defaults[code], "list": True, "source": f"spec type {code} (no recording)"}
            schemas[schema] = {"recorded": False, "fields": fields}
            continue
        for name, rule in rec["fields"].items():
            fields[name] = {**rule, "list": name in listed}
        for name, code in listed.items():
            if name in fields or name.startswith("_") or code not in ("i", "n", "b"):
                continue
            value = {"i": 0, "n": 0.0, "b": False}[code]
            fields[name] = {"unset": value, "list": True, "source": f"spec type {code} of {schema}_List"}
        schemas[schema] = {
            "recorded": True,
            "sources": rec["sources"],
            "fields": fields,
            "extra": rec["extra"],
        }
    return {
        "about": "Generated by scripts/gen_unset.py from tests/fixtures/recorded and the spec: do not edit.",
        "absent": "a field with no rule here is left out when it has no value (recordings: no nulls, "
        "unset dateclosed/responsedate absent)",
        "schemas": schemas,
    }


def main() -> None:
    TARGET.write_text(json.dumps(build(), indent=1, sort_keys=False) + "\n")
    print(f"wrote {TARGET.relative_to(REPO)}")


if __name__ == "__main__":
    main()

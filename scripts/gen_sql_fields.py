"""Generate the list of SQL-carrying request fields (`src/halo_mcp/data/sql_fields.json`) from Halo's OpenAPI.

Usage: python scripts/gen_sql_fields.py [SPEC] [OUT]
  SPEC defaults to ../shared/reference/halo-openapi-v2-2025-03.json (relative to the repo root),
  OUT to src/halo_mcp/data/sql_fields.json.

Why: `call_operation` can send any of Halo's operations, and some bodies carry SQL that Halo runs (a report's `sql`
with `_loadreportonly`, a custom field's `where_sql`, a lookup's `sqllookup`). Every such field is checked by the SQL
guard (`tools/sql_guard.py`) before the request leaves the server, so the list must be complete: it is found by
scanning every operation's body schema, following `$ref`s and arrays, for string properties named like SQL
(containing `sql`, or `query`), less connection settings (server, database, user, password, driver, port) and the
exceptions below. A field is listed by name per operation, and the guard checks that name at any depth of the body
(the schemas nest deeply: a ticket's asset's custom field has a `where_sql`). The spec declares no descriptions for
these properties, so names are the only evidence.

Kind: `expression` for fragments (`where_sql`, `filter_sql`, a column's or filter's `query`), which the guard
parses as one SQL condition or value; `statement` for the rest, which must be one read-only SELECT. No query
parameter is named like SQL in the spec; the scan covers them too, so a future one is not missed.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SPEC = ROOT.parent / "shared" / "reference" / "halo-openapi-v2-2025-03.json"
DEFAULT_OUT = ROOT / "src" / "halo_mcp" / "data" / "sql_fields.json"
METHODS = ("get", "post", "delete")
SQL_NAME = re.compile(r"sql|^query$|_query$", re.I)
CONNECTION = re.compile(r"server|database|user(name)?$|password|driver|port|provider|timeout|certificate|connection|"
                        r"import|_id$|^sqlid$", re.I)  # fmt: skip
FRAGMENT = re.compile(r"where|filter|^query$", re.I)
# Named like SQL, but not SQL (schema.property: why).
NOT_SQL = {
    "AIAssistantRequest.query": "a question in words for Halo's AI assistant",
    "Faults.ai_search_query": "a search in words for Halo's AI",
}


def sql_properties(schemas: dict[str, Any], name: str, seen: set[str]) -> dict[str, str]:
    """{property name: kind} of every SQL string anywhere inside schema `name` (following `$ref`s and arrays)."""
    if name in seen:
        return {}
    seen.add(name)
    found: dict[str, str] = {}
    for prop, schema in (schemas.get(name) or {}).get("properties", {}).items():
        ref = schema.get("$ref") or (schema.get("items") or {}).get("$ref")
        if ref:
            found.update(sql_properties(schemas, ref.rsplit("/", 1)[-1], seen))
        elif schema.get("type") == "string" and is_sql(prop) and f"{name}.{prop}" not in NOT_SQL:
            found[prop] = "expression" if FRAGMENT.search(prop) else "statement"
    return found


def is_sql(name: str) -> bool:
    return bool(SQL_NAME.search(name)) and not CONNECTION.search(name)


def build(spec: dict[str, Any]) -> dict[str, Any]:
    schemas = spec.get("components", {}).get("schemas", {})
    operations: dict[str, dict[str, str]] = {}
    for path, item in spec["paths"].items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            fields: dict[str, str] = {}
            for param in op.get("parameters") or []:
                string = (param.get("schema") or {}).get("type") == "string"
                if param.get("in") == "query" and string and is_sql(param["name"]):
                    fields[param["name"]] = "statement"
            schema = ((op.get("requestBody") or {}).get("content") or {}).get("application/json", {}).get("schema", {})
            ref = schema.get("$ref") or (schema.get("items") or {}).get("$ref")
            if ref:
                fields.update(sql_properties(schemas, ref.rsplit("/", 1)[-1], set()))
            if fields:
                operations[f"{method.upper()} {path}"] = dict(sorted(fields.items()))
    return {
        "source": spec.get("info", {}).get("title", ""),
        "generated_by": "scripts/gen_sql_fields.py",
        "not_sql": NOT_SQL,
        "operations": dict(sorted(operations.items())),
    }


def render(data: dict[str, Any]) -> str:
    """One operation a line: the file is reviewed in diffs."""
    ops = ",\n".join(f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in data["operations"].items())
    head = {k: v for k, v in data.items() if k != "operations"}
    return json.dumps(head, indent=1)[:-2] + ',\n "operations": {\n' + ops + "\n }\n}\n"


def main(argv: list[str]) -> int:
    spec_path = Path(argv[1]) if len(argv) > 1 else DEFAULT_SPEC
    out = Path(argv[2]) if len(argv) > 2 else DEFAULT_OUT
    if not spec_path.is_file():
        print(f"spec not found: {spec_path}", file=sys.stderr)
        return 1
    data = build(json.loads(spec_path.read_bytes()))
    out.write_text(render(data))
    fields = sum(len(f) for f in data["operations"].values())
    print(f"{len(data['operations'])} operations, {fields} SQL fields -> {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))

"""Generate the sandbox's route table (`src/halo_mcp/data/sandbox_routes.json.gz`) from Halo's OpenAPI description.

Usage: python scripts/gen_sandbox_routes.py [SPEC] [OUT]

The sandbox answers every path of the spec. For each top-level resource the table says whether it has
hand-written behaviour (`halo_mcp.sandbox.resources.RESOURCES`) or is served by the generic handler, its body
schema, and its list shape. The vendored spec declares no response schemas, so a list shape comes from the best
evidence, in this order:

1. `EVIDENCE` below: recorded payloads and client observations (halo-api-facts.md sections 4 and 17), and the
   `*_View` envelopes of the newer public specs quoted there (spec C);
2. Halo's evident convention, marked `"evidence": "convention"`: a list that declares the paging parameters
   (`pageinate`) is an envelope `{record_count, <lower-case plural>: [...]}` like every documented paged list;
   one that does not is a plain array, like every documented lookup list (facts section 4).

Per operation the table keeps the declared query parameters (what the sandbox honours; anything else is ignored
as Halo ignores unknown input) and the request body schema. Field names and JSON types of every schema are
frozen too, so POST bodies are validated without the spec at run time. The output is deterministic.
"""

from __future__ import annotations

import gzip
import io
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from halo_mcp.sandbox.resources import RESOURCES  # noqa: E402

DEFAULT_SPEC = ROOT.parent / "shared" / "reference" / "halo-openapi-v2-2025-03.json"
DEFAULT_OUT = ROOT / "src" / "halo_mcp" / "data" / "sandbox_routes.json.gz"
METHODS = ("get", "post", "delete")
CODES = {"integer": "i", "number": "n", "string": "s", "boolean": "b", "array": "a", "object": "o"}

# Resource -> (list key or None for a plain array, source). Facts section 4 unless stated.
EVIDENCE: dict[str, tuple[str | None, str]] = {
    "Tickets": ("tickets", "facts §4: spec C Faults_View"),
    "Projects": ("tickets", "facts §4: LIB homotechsual, panoramicdata"),
    "Opportunities": ("tickets", "facts §4: LIB homotechsual, panoramicdata"),
    "Actions": ("actions", "facts §4: spec C Actions_View; §17 recorded envelope"),
    "KBArticle": ("articles", "facts §4: spec C KBEntry_View"),
    "Asset": ("assets", "facts §4: spec C Device_View"),
    "Users": ("users", "facts §4: spec C Users_View; §17 recorded envelope"),
    "Attachment": ("attachments", "facts §4: spec A Attachment_View"),
    "Report": ("reports", "facts §4: LIB homotechsual, alex-thorne"),
    "Client": ("clients", "facts §4: LIB x4"),
    "Site": ("sites", "facts §4: LIB x3"),
    "Invoice": ("invoices", "facts §4: LIB x2"),
    "Item": ("items", "facts §4: LIB homotechsual"),
    "Supplier": ("suppliers", "facts §4: LIB homotechsual"),
    "Quotation": ("quotes", "facts §4: LIB homotechsual"),
    "ClientContract": ("contracts", "facts §4: LIB homotechsual"),
    "Appointment": ("appointments", "facts §4: LIB homotechsual"),
    "Service": ("services", "facts §4: LIB homotechsual"),
    "Status": (None, "facts §4: LIB panoramicdata plain array"),
    "Priority": (None, "facts §4: LIB panoramicdata plain array"),
    "Agent": (None, "facts §4: LIB redanthrax n8n plain array"),
    "TimesheetEvent": (None, "facts §4: LIB redanthrax n8n plain array; §13"),
    "Team": (None, "facts §4: probably a plain array [UNVERIFIED]"),
    "TicketType": (None, "facts §4: probably a plain array [UNVERIFIED]"),
    "Category": (None, "facts §4: probably a plain array [UNVERIFIED]"),
    "SLA": (None, "facts §4: probably a plain array [UNVERIFIED]"),
    "Workflow": (None, "facts §4: probably a plain array [UNVERIFIED]"),
    "Outcome": (None, "facts §4: probably a plain array [UNVERIFIED]"),
    "AssetType": (None, "facts §4: probably a plain array [UNVERIFIED]"),
}


def plural(name: str) -> str:
    """Halo's list keys are lower-case plurals of the resource (`clients`, `sites`, `invoices`)."""
    low = name.lower()
    if low.endswith("s"):
        return low
    if low.endswith("y") and low[-2:-1] not in "aeiou":
        return low[:-1] + "ies"
    return low + "s"


def ref_name(schema: dict[str, Any]) -> str | None:
    ref = schema.get("$ref") or (schema.get("items") or {}).get("$ref")
    return str(ref).rsplit("/", 1)[-1] if ref else None


def body_of(op: dict[str, Any]) -> tuple[str | None, bool]:
    """(schema name, is an array) of an operation's JSON request body."""
    content = (op.get("requestBody") or {}).get("content") or {}
    schema = (content.get("application/json") or next(iter(content.values()), {})).get("schema") or {}
    return ref_name(schema), schema.get("type") == "array"


def code(prop: dict[str, Any]) -> str:
    if prop.get("type") == "string" and prop.get("format") == "date-time":
        return "d"
    if "$ref" in prop:
        return "o"
    return CODES.get(str(prop.get("type", "object")), "o")


def build(spec: dict[str, Any]) -> dict[str, Any]:
    paths: dict[str, Any] = spec["paths"]
    schemas: dict[str, Any] = spec["components"]["schemas"]
    hand = {name.lower(): name for name in RESOURCES}
    resources: dict[str, dict[str, Any]] = {}
    routes = []
    for path, ops in paths.items():
        top = path.split("/")[1]
        res = resources.setdefault(top, {"schema": None, "hand": top.lower() in hand})
        for method in METHODS:
            op = ops.get(method)
            if op is None:
                continue
            params = sorted({p["name"].lower() for p in op.get("parameters", []) if p.get("in") == "query"})
            body, array = body_of(op)
            routes.append({"method": method.upper(), "path": path, "params": params, "body": body, "array": array})
            if path == f"/{top}" and method == "post" and body:
                res["schema"] = body
            if path == f"/{top}" and method == "get":
                res["paging"] = "pageinate" in params
    for name, res in resources.items():
        if name in EVIDENCE:
            key, source = EVIDENCE[name]
        else:
            key, source = (plural(name) if res.get("paging") else None), "convention"
        res["list_key"] = key
        res["evidence"] = source
        res.setdefault("paging", False)
    fields = {}
    for name, schema in sorted(schemas.items()):
        props = schema.get("properties") or {}
        fields[name] = " ".join(f"{k}:{code(v)}" for k, v in props.items())
    routes.sort(key=lambda r: (r["path"].lower(), r["method"]))
    return {"resources": dict(sorted(resources.items())), "routes": routes, "schemas": fields}


def main(spec_path: str, out: str) -> None:
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    data = json.dumps(build(spec), separators=(",", ":"), sort_keys=False).encode()
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0, compresslevel=9) as gz:
        gz.write(data)
    Path(out).write_bytes(buf.getvalue())
    print(f"wrote {out} ({len(buf.getvalue())} bytes)")


if __name__ == "__main__":
    main(
        sys.argv[1] if len(sys.argv) > 1 else str(DEFAULT_SPEC), sys.argv[2] if len(sys.argv) > 2 else str(DEFAULT_OUT)
    )

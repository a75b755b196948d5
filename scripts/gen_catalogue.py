"""Generate the API operation catalogue (`src/halo_mcp/data/operations.json.gz`) from Halo's OpenAPI description.

Usage: python scripts/gen_catalogue.py [SPEC] [OUT]
  SPEC defaults to ../shared/reference/halo-openapi-v2-2025-03.json (relative to the repo root),
  OUT to src/halo_mcp/data/operations.json.gz.

Why generated and committed: the server must know every operation (names, parameters, body fields) without the
4 MB spec at run time, and a committed compact file keeps start-up fast and the package small. The output is
deterministic (operations sorted, gzip without timestamp) so re-running on the same spec yields the same file;
`tests/tools/test_catalogue.py` checks it is up to date.

Operation names are `METHOD /Path` exactly as the spec spells the path, e.g. `GET /Tickets/{id}`: unique by
construction, and what `call_operation` takes. Spec summaries are all generic ("List of Faults"), so summaries are
generated from method and path. Body fields keep the spec's property order (identity and key fields come first)
and leave out read-only properties; parameter descriptions are cut to their first sentence.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SPEC = ROOT.parent / "shared" / "reference" / "halo-openapi-v2-2025-03.json"
DEFAULT_OUT = ROOT / "src" / "halo_mcp" / "data" / "operations.json.gz"
METHODS = ("get", "post", "delete")
DESC_CAP = 90

_PARAM_TYPES = {
    "bool": "bool", "boolean": "bool", "int": "int", "integer": "int", "string": "str", "double": "num",
    "number": "num", "DateTime": "date", "List<int>": "int[]", "obj": "obj", "array of int": "int[]",
}  # fmt: skip


def ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def field_type(schema: dict[str, Any]) -> str:
    """A short type for a body property: int, num, str, bool, date, uuid, any, a schema name, or [item]."""
    if "$ref" in schema:
        return ref_name(schema["$ref"])
    kind = schema.get("type")
    fmt = schema.get("format")
    if kind == "array":
        return f"[{field_type(schema.get('items') or {})}]"
    if kind == "string":
        return {"date-time": "date", "uuid": "uuid"}.get(fmt or "", "str")
    if kind in ("integer", "number", "boolean"):
        return {"integer": "int", "number": "num", "boolean": "bool"}[kind]
    if kind == "object":
        return "obj"
    return "any"


def param_type(param: dict[str, Any]) -> str:
    """The spec's descriptions start with a truer type than the schema ('(array of int)' typed as string)."""
    match = re.match(r"\s*\(([^)]*)\)", param.get("description") or "")
    if match and match.group(1) in _PARAM_TYPES:
        return _PARAM_TYPES[match.group(1)]
    schema = param.get("schema") or {}
    if "$ref" in schema or schema.get("type") == "array":
        return "obj"
    kind = str(schema.get("type") or "str")
    fmt = schema.get("format")
    if kind == "string" and fmt in ("date-time", "uuid"):
        return "date" if fmt == "date-time" else "uuid"
    return _PARAM_TYPES.get(kind, "str")


def short_description(text: str | None) -> str:
    text = re.sub(r"<[^>]+>", " ", text or "")
    text = re.sub(r"^\s*\([^)]*\)\s*", "", text)
    text = " ".join(text.split())
    first = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0].rstrip(".")
    if len(first) > DESC_CAP:
        first = first[: DESC_CAP - 1].rsplit(" ", 1)[0] + "…"
    return first


def words(segment: str) -> str:
    """'GetS3PresignedURL' -> 'get s3 presigned url'; path segments read as words in summaries."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", segment)
    return " ".join(spaced.replace("_", " ").replace("-", " ").split()).lower()


def summarise(method: str, path: str) -> str:
    segments = [s for s in path.strip("/").split("/") if s]
    resource = segments[0] if segments else ""
    literal = [s for s in segments[1:] if not s.startswith("{")]
    params = [s[1:-1] for s in segments[1:] if s.startswith("{")]
    if not literal:
        if method == "GET":
            return f"Get one {resource} by {params[0]}" if params else f"List {resource}"
        if method == "POST":
            return f"{resource} action ({', '.join(params)})" if params else f"Create or update {resource} (upsert)"
        return f"Delete one {resource}" if params else f"Delete {resource}"
    verb = {"GET": "Get", "POST": "Post", "DELETE": "Delete"}[method]
    what = " ".join(words(s) for s in literal)
    by = f" by {', '.join(params)}" if params else ""
    return f"{resource}: {verb.lower()} {what}{by}"


def body_of(op: dict[str, Any]) -> tuple[str, str | None]:
    """(kind, schema): kind is 'array' (Halo's upsert list), 'object', 'json' (free form), 'multipart' or ''."""
    content = (op.get("requestBody") or {}).get("content") or {}
    if not content:
        return "", None
    if "application/json" not in content:
        return ("multipart" if any("multipart" in c for c in content) else "json"), None
    schema = content["application/json"].get("schema") or {}
    if schema.get("type") == "array":
        items = schema.get("items") or {}
        return "array", ref_name(items["$ref"]) if "$ref" in items else None
    if "$ref" in schema:
        return "object", ref_name(schema["$ref"])
    return "json", None


def build(spec: dict[str, Any], source_name: str, digest: str) -> dict[str, Any]:
    schemas = spec.get("components", {}).get("schemas", {})
    operations: list[dict[str, Any]] = []
    used: set[str] = set()
    for path, item in spec["paths"].items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            m = method.upper()
            entry: dict[str, Any] = {
                "name": f"{m} {path}",
                "method": m,
                "path": path,
                "summary": summarise(m, path),
                "tag": (op.get("tags") or [""])[0],
            }
            path_params: list[list[str]] = []
            query: list[list[str]] = []
            seen: set[str] = set()
            for param in op.get("parameters") or []:
                name = param["name"]
                if (param["in"], name) in seen or param["in"] not in ("path", "query"):
                    continue
                seen.add((param["in"], name))  # type: ignore[arg-type]
                if param["in"] == "path":
                    path_params.append([name, param_type(param)])
                else:
                    query.append([name, param_type(param), short_description(param.get("description"))])
            path_params.sort(key=lambda p: path.index("{" + p[0] + "}"))
            query.sort(key=lambda p: p[0].lower())
            if path_params:
                entry["path_params"] = path_params
            if query:
                entry["query"] = query
            kind, schema = body_of(op)
            if kind:
                entry["body"] = kind
            if schema:
                entry["schema"] = schema
                used.add(schema)
            operations.append(entry)
    operations.sort(key=lambda o: (o["path"].lower(), o["path"], METHODS.index(o["method"].lower())))
    fields: dict[str, list[list[str]]] = {}
    for name in sorted(used):
        props = (schemas.get(name) or {}).get("properties") or {}
        fields[name] = [[f, field_type(p)] for f, p in props.items() if not p.get("readOnly")]
    info = spec.get("info", {})
    return {
        "source": {
            "file": source_name,
            "sha256": digest,
            "title": info.get("title", ""),
            "version": info.get("version", ""),
        },
        "operations": operations,
        "schemas": fields,
    }


def render(catalogue: dict[str, Any]) -> bytes:
    """Deterministic bytes: sorted keys, no whitespace, gzip with a zero timestamp and no file name."""
    raw = json.dumps(catalogue, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as gz:
        gz.write(raw)
    return buffer.getvalue()


def generate(spec_path: Path) -> dict[str, Any]:
    data = spec_path.read_bytes()
    return build(json.loads(data), spec_path.name, hashlib.sha256(data).hexdigest())


def main(argv: list[str]) -> int:
    spec_path = Path(argv[1]) if len(argv) > 1 else DEFAULT_SPEC
    out = Path(argv[2]) if len(argv) > 2 else DEFAULT_OUT
    if not spec_path.is_file():
        print(f"spec not found: {spec_path}", file=sys.stderr)
        return 1
    catalogue = generate(spec_path)
    blob = render(catalogue)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(blob)
    counts = f"{len(catalogue['operations'])} operations, {len(catalogue['schemas'])} body schemas"
    print(f"{counts}, {len(blob)} bytes -> {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))

"""The committed operation catalogue: up to date with the spec, deterministic, small, and its lookups."""

from __future__ import annotations

import gzip
import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

from halo_mcp.halo.catalogue import catalogue

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "src" / "halo_mcp" / "data" / "operations.json.gz"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_catalogue", ROOT / "scripts" / "gen_catalogue.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_catalogue_is_up_to_date() -> None:
    gen = _generator()
    if not gen.DEFAULT_SPEC.is_file():
        pytest.skip(f"Halo OpenAPI spec not present at {gen.DEFAULT_SPEC}; cannot check the committed catalogue")
    fresh = gen.generate(gen.DEFAULT_SPEC)
    committed = json.loads(gzip.decompress(COMMITTED.read_bytes()))
    assert committed == fresh, "src/halo_mcp/data/operations.json.gz is stale: run python scripts/gen_catalogue.py"
    assert gen.render(fresh) == gen.render(fresh)  # deterministic bytes (no timestamp)


def test_catalogue_is_small_and_names_are_unique() -> None:
    assert COMMITTED.stat().st_size < 300_000
    cat = catalogue()
    names = [op.name for op in cat.operations]
    assert len(names) == len(set(names)) > 1000
    assert all(op.name == f"{op.method} {op.path}" for op in cat.operations)
    assert {op.method for op in cat.operations} == {"GET", "POST", "DELETE"}


def test_lookups() -> None:
    cat = catalogue()
    op = cat.get("get /TICKETS/{id}")
    assert op is not None and op.name == "GET /Tickets/{id}"
    resolved = cat.resolve("GET /Tickets/42")
    assert resolved is not None and resolved[0].name == "GET /Tickets/{id}" and resolved[1] == {"id": "42"}
    me = cat.resolve("GET /agent/me")
    assert me is not None and me[0].name == "GET /Agent/me"  # a literal segment beats {id}
    assert cat.resolve("GET /Nope/1") is None
    post = cat.get("POST /Actions")
    assert post is not None and post.body == "array" and post.kind == "write"
    fields = dict(cat.fields(post))
    assert fields["note"] == "str" and fields["ticket_id"] == "int"
    tickets = cat.get("GET /Tickets")
    assert tickets is not None and ("client_ids", "int[]") in {(q[0], q[1]) for q in tickets.query}

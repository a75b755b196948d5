"""Every path of Halo's spec answers in the sandbox, with its documented shape or a documented error (issue 9).

The sweep walks the committed route table (generated from the spec by scripts/gen_sandbox_routes.py); a test
checks that table against the spec itself when the shared reference folder is present.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
from pathlib import Path
from typing import Any

import httpx2
import pytest

from halo_mcp.sandbox import Sandbox
from halo_mcp.sandbox.routes import Route, table
from tests.helpers import api_client, get_token

ROOT = Path(__file__).resolve().parents[2]
SPEC_PATH = ROOT.parent / "shared" / "reference" / "halo-openapi-v2-2025-03.json"
DOCUMENTED_ERRORS = {400, 404}  # validation (facts §6) and unknown id (facts §5)
PLAIN_GET_TARGET = 0.95
OBJECTS = {"/AuthInfo", "/InstanceInfo"}  # single objects, not lists (facts §2)


def _concrete(route: Route, item_id: str = "1") -> str:
    return "/" + "/".join(s if s is not None else item_id for s in _spelled(route))


def _spelled(route: Route) -> list[str | None]:
    return [None if "{" in s else s for s in route.path.strip("/").split("/")]


def _check_list_shape(route: Route, body: Any) -> None:
    if route.path in OBJECTS:
        assert isinstance(body, dict), route.path
        return
    g = table().resource(route.resource)
    assert g is not None
    if g.list_key is None:
        assert isinstance(body, list), (route.path, type(body))
    else:
        assert isinstance(body, dict) and isinstance(body.get(g.list_key), list), (route.path, g.list_key, body)
        assert isinstance(body.get("record_count"), int), route.path


def test_the_route_table_matches_halos_spec() -> None:
    if not SPEC_PATH.exists():
        pytest.skip(f"Halo OpenAPI spec not found at {SPEC_PATH}")
    loader = importlib.util.spec_from_file_location("gen_sandbox_routes", ROOT / "scripts" / "gen_sandbox_routes.py")
    assert loader is not None and loader.loader is not None
    module = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(module)
    fresh = module.build(json.loads(SPEC_PATH.read_text(encoding="utf-8")))
    committed = json.loads(gzip.decompress((ROOT / "src/halo_mcp/data/sandbox_routes.json.gz").read_bytes()))
    assert committed == fresh, "sandbox_routes.json.gz is stale: run python scripts/gen_sandbox_routes.py"


def test_every_plain_get_path_answers_and_lists_have_their_shape(api: httpx2.Client) -> None:
    plain = [r for r in table().routes if r.method == "GET" and None not in r.segments]
    assert len(plain) == 457  # the spec's GET paths without path parameters
    answered = 0
    refused = []
    for route in plain:
        r = api.get(route.path)
        assert r.status_code < 500, (route.path, r.status_code, r.text)
        if r.status_code // 100 == 2:
            answered += 1
            if route.kind == "list":
                _check_list_shape(route, r.json())
        else:
            assert r.status_code in DOCUMENTED_ERRORS, (route.path, r.status_code, r.text)
            refused.append((route.path, r.status_code))
    print(f"plain GET paths answering 2xx: {answered}/{len(plain)}; documented errors: {refused}")
    assert answered / len(plain) >= PLAIN_GET_TARGET, f"{answered}/{len(plain)}"


def test_every_spec_operation_answers_with_a_shape_or_a_documented_error(api: httpx2.Client) -> None:
    """Each of the 1,331 operations: 2xx with JSON (or an empty DELETE body), or a 400/404 with a message."""
    failures = []
    for route in table().routes:
        path = _concrete(route, "999999" if route.method == "DELETE" else "1")
        if route.method == "POST":
            body: Any = [{}] if route.body else {}
            r = api.post(path, json=body)
        else:
            r = api.request(route.method, path)
        if r.status_code >= 500 or r.status_code == 405:
            failures.append((route.method, route.path, r.status_code, r.text[:120]))
            continue
        if r.status_code in DOCUMENTED_ERRORS:
            error = r.json()  # Halo's error shapes: a .NET exception object or a plain string (facts §14)
            assert error.get("Message") if isinstance(error, dict) else error, (route.path, r.text)
        elif r.content and r.headers.get("content-type", "").startswith("application/json"):
            body = r.json()
            if route.method == "GET" and route.kind == "list":
                _check_list_shape(route, body)
            if route.method == "GET" and route.kind == "item":
                assert isinstance(body, dict), route.path
    assert not failures, failures[:20]


def test_fixed_segments_route_before_ids(api: httpx2.Client) -> None:
    tag = api.get("/Asset/NextTag")
    assert tag.status_code == 200 and isinstance(tag.json(), str)
    assert isinstance(api.get("/Asset/GetAllSoftwareVersions").json(), list)
    tree = api.get("/Team/Tree").json()
    assert {t.get("name") for t in tree} == {t.get("name") for t in api.get("/Team").json()}
    me = api.get("/Agent/me").json()
    mine = api.get("/TimesheetEvent/mine").json()
    assert mine and {e["agent_id"] for e in mine} == {me["id"]}
    assert {t["agent_id"] for t in api.get("/Timesheet/mine").json()} == {me["id"]}
    for path in ("/Timesheet", "/Workflow", "/Tags", "/ClientPrepay"):
        assert api.get(path).status_code == 200, path
    assert api.get("/asset/nexttag").json() == tag.json()  # routing is case-insensitive (facts §3)


def test_a_generic_resource_is_created_read_listed_and_deleted(api: httpx2.Client) -> None:
    made = api.post("/Tags", json=[{"text": "sweep-test", "no_such_field": 1}])
    assert made.status_code == 201
    tag = made.json()
    assert tag["text"] == "sweep-test" and "no_such_field" not in tag
    assert api.get(f"/Tags/{tag['id']}").json()["text"] == "sweep-test"
    assert any(t["id"] == tag["id"] for t in api.get("/Tags").json())
    api.post("/Tags", json=[{"id": tag["id"], "text": "renamed"}])
    assert api.get(f"/Tags/{tag['id']}").json()["text"] == "renamed"
    assert api.post("/Tags", json=[{"text": ["not", "a", "string"]}]).status_code == 400
    assert api.delete(f"/Tags/{tag['id']}").status_code == 200
    assert api.get(f"/Tags/{tag['id']}").status_code == 404
    assert api.delete("/Timesheet/1").status_code == 405  # the spec declares no DELETE /Timesheet/{id}


def test_a_paged_generic_list_is_an_envelope_and_honours_declared_filters(api: httpx2.Client) -> None:
    everything = api.get("/ClientPrepay").json()
    assert everything["record_count"] == len(everything["clientprepays"]) > 3  # convention: lower-case plural
    page = api.get("/ClientPrepay", params={"pageinate": "true", "page_size": 2, "page_no": 1}).json()
    assert page["page_size"] == 2 and len(page["clientprepays"]) == 2
    assert page["record_count"] == everything["record_count"]
    client_id = everything["clientprepays"][0]["client_id"]
    one = api.get("/ClientPrepay", params={"client_id": client_id}).json()["clientprepays"]
    assert one and {p["client_id"] for p in one} == {client_id}
    # `/Timesheet` declares no parameters at all: an agent filter is ignored, as Halo ignores unknown input.
    assert len(api.get("/Timesheet", params={"agent_id": 1}).json()) == len(api.get("/Timesheet").json())


def test_generic_paths_keep_the_scope_of_their_resource(sb: Sandbox) -> None:
    app = httpx2.post(sb.url + "/_sandbox/apps", json={"scopes": "read:tickets"}).json()
    token = get_token(sb, client_id=app["client_id"], client_secret=app["client_secret"])["access_token"]
    with api_client(sb, token) as limited:
        assert limited.get("/Asset/NextTag").status_code == 403  # needs read:assets
        assert limited.get("/Timesheet").status_code == 403  # needs read:timesheets
        assert limited.get("/Tags").status_code == 200  # no scope area

"""Every listed resource: list, get, create, update, delete over real HTTP, plus routing rules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx2
import pytest

from halo_mcp.sandbox import Sandbox
from tests.helpers import api_client

# resource -> (list key or None for a plain array, minimal create payload, field to update)
CASES: dict[str, tuple[str | None, dict[str, Any], tuple[str, Any]]] = {
    "Tickets": (
        "tickets",
        {"summary": "Printer on fire", "details": "Smoke", "tickettype_id": 1, "client_id": 1},
        ("summary", "Printer still on fire"),
    ),
    "Users": (
        "users",
        {"name": "Test User", "site_id": 1, "emailaddress": "t@example.com"},
        ("emailaddress", "u@example.com"),
    ),
    "Client": ("clients", {"name": "Test Client Ltd"}, ("website", "https://example.com")),
    "Site": ("sites", {"name": "Test Site", "client_id": 1}, ("phonenumber", "0123")),
    "Agent": (None, {"name": "Test Agent", "email": "agent@example.com", "team": "Network"}, ("jobtitle", "Engineer")),
    "Team": (None, {"name": "Test Team"}, ("inactive", True)),
    "Status": (None, {"name": "Test Status", "type": 0}, ("colour", "#000000")),
    "Priority": (None, {"name": "P9 - Test", "responsetime": 1, "fixtime": 2, "slaid": 1}, ("fixtime", 3)),
    "TicketType": (None, {"name": "Test Type", "use": "ticket"}, ("visible", False)),
    "Category": (None, {"value": "Test>Thing", "type_id": 1}, ("value", "Test>Other")),
    "SLA": (None, {"name": "Test SLA"}, ("name", "Test SLA 2")),
    "Outcome": (None, {"outcome": "Test Outcome"}, ("buttonname", "Test")),
    "Asset": (
        "assets",
        {"inventory_number": "TEST-1", "assettype_id": 1, "client_id": 1, "site_id": 1},
        ("notes", "n"),
    ),
    "AssetType": (None, {"name": "Test Asset Type"}, ("name", "Test Asset Type 2")),
    "KBArticle": ("articles", {"name": "How to test", "description": "d", "resolution": "r"}, ("resolution", "r2")),
    "Projects": ("tickets", {"summary": "Project X", "details": "Plan"}, ("summary", "Project Y")),
    "Opportunities": ("tickets", {"summary": "Deal X", "details": "Big"}, ("summary", "Deal Y")),
    "Appointment": (
        "appointments",
        {"subject": "Visit", "agent_id": 2, "start_date": "2030-01-01T09:00:00Z", "end_date": "2030-01-01T10:00:00Z"},
        ("subject", "Visit 2"),
    ),
    "Item": ("items", {"name": "Widget", "baseprice": 10.5}, ("baseprice", 11)),
    "Invoice": ("invoices", {"client_id": 1, "invoicenumber": "INV-T1"}, ("posted", True)),
    "Supplier": ("suppliers", {"name": "Test Supplies"}, ("phone_number", "999")),
    "Quotation": ("quotes", {"client_id": 1, "title": "Quote"}, ("title", "Quote 2")),
    "ClientContract": ("contracts", {"client_id": 1, "ref": "C-T1"}, ("ref", "C-T2")),
    "TimesheetEvent": (
        None,
        {"agent_id": 2, "subject": "Work", "start_date": "2030-01-01T09:00:00Z", "end_date": "2030-01-01T10:00:00Z"},
        ("subject", "More work"),
    ),
    "Report": ("reports", {"name": "My report", "sql": "SELECT COUNT(*) AS n FROM FAULTS"}, ("name", "My report 2")),
    "Service": ("services", {"name": "Test Service", "summary": "s"}, ("summary", "s2")),
}


def _rows(body: Any, key: str | None) -> list[dict[str, Any]]:
    if key is None:
        assert isinstance(body, list)
        return body
    assert isinstance(body, dict) and isinstance(body[key], list) and isinstance(body["record_count"], int)
    return list(body[key])


@pytest.mark.parametrize("name", list(CASES))
def test_list_get_create_update_delete(api: httpx2.Client, name: str) -> None:
    key, payload, (field, value) = CASES[name]
    listed = api.get(f"/{name}")
    assert listed.status_code == 200, listed.text
    rows = _rows(listed.json(), key)
    assert rows, f"seeded {name} expected"
    rid = "priorityid" if name == "Priority" else "id"
    one = api.get(f"/{name}/{rows[0][rid]}")
    assert one.status_code == 200 and one.json()[rid] == rows[0][rid]
    created = api.post(f"/{name}", json=[payload])
    assert created.status_code == 201, created.text
    obj = created.json()
    new_id = obj[rid]
    assert isinstance(new_id, int) and new_id > 0
    for k, v in payload.items():
        if k != "sql":
            assert obj.get(k) == v or _same_instant(obj.get(k), v), (k, obj.get(k))
    updated = api.post(f"/{name}", json=[{rid: new_id, field: value}])
    assert updated.status_code == 201 and updated.json()[field] == value
    assert api.get(f"/{name}/{new_id}").json()[field] == value
    assert api.delete(f"/{name}/{new_id}").status_code == 200
    assert api.get(f"/{name}/{new_id}").status_code == (
        200 if name in ("Tickets", "Projects", "Opportunities") else 404
    )


def test_multi_item_post_returns_array(api: httpx2.Client) -> None:
    r = api.post("/Supplier", json=[{"name": "A Supplies"}, {"name": "B Supplies"}])
    assert r.status_code == 201
    body = r.json()
    assert isinstance(body, list) and [x["name"] for x in body] == ["A Supplies", "B Supplies"]
    single = api.post("/Supplier", json={"name": "C Supplies"})
    assert isinstance(single.json(), dict) and single.json()["name"] == "C Supplies"


def test_routing_is_case_insensitive_and_counted_canonically(fresh_sandbox: Sandbox) -> None:

    with api_client(fresh_sandbox) as api:
        fresh_sandbox.reset_counters()
        assert api.get("/tickets/1").status_code == 200
        assert api.get("/TICKETS/1").status_code == 200
        assert api.get("/kbarticle").status_code == 200
        counters = fresh_sandbox.counters()
    assert counters["routes"]["GET /api/Tickets/{id}"] == 2
    assert counters["routes"]["GET /api/KBArticle"] == 1
    assert counters["total"] == 3


def test_unknown_resources_and_methods(api: httpx2.Client) -> None:
    assert api.get("/Spaceships").status_code == 404
    assert api.get("/Tickets/1/extra/deep").status_code == 404
    assert api.put("/Tickets", json=[]).status_code == 405
    assert api.patch("/Tickets/1", json={}).status_code == 405
    assert api.post("/Tickets/1", json={}).status_code == 405


def test_projects_and_opportunities_are_typed_tickets(api: httpx2.Client) -> None:
    projects = api.get("/Projects", params={"pageinate": "true"}).json()["tickets"]
    tickets = api.get("/Tickets", params={"pageinate": "true", "page_size": 100}).json()["tickets"]
    assert all(p["use"] == "project" for p in projects)
    assert all(t["use"] == "ticket" for t in tickets)
    if projects:
        assert api.get(f"/Opportunities/{projects[0]['id']}").status_code == 404


def test_agent_me_and_lookup_arrays(api: httpx2.Client) -> None:
    me = api.get("/Agent/me").json()
    assert me["id"] == 1 and "_password" not in me
    for name in ("Status", "Priority", "Agent", "Team", "TicketType", "Category", "SLA", "Outcome", "TimesheetEvent"):
        assert isinstance(api.get(f"/{name}").json(), list), name
    names = {t["name"] for t in api.get("/Team").json()}
    assert {"Service Desk", "Network", "Infrastructure", "Identity", "Security", "DevOps"} <= names


def _same_instant(got: Any, sent: Any) -> bool:
    """A date set by a write comes back as Halo writes it (`Z`, seven fraction digits; facts §17)."""
    if not (isinstance(got, str) and isinstance(sent, str)):
        return False
    return datetime.fromisoformat(got.replace("Z", "+00:00")) == datetime.fromisoformat(sent.replace("Z", "+00:00"))


def test_list_rows_are_slimmer_than_single_reads(api: httpx2.Client) -> None:
    row = api.get("/Tickets", params={"pageinate": "true", "page_size": 1}).json()["tickets"][0]
    full = api.get(f"/Tickets/{row['id']}").json()
    # facts §17: the single read nests priority/tickettype/user and lacks the flat names list rows carry
    assert set(row) - {"status_name", "agent_name", "tickettype_name"} < set(full)
    assert "priority_name" not in full and "priority_name" not in row and full["priority"]["name"]

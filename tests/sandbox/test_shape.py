"""Row shapes (shape.py), services, search semantics, `me` routes, ticket-type field config, outcome and
order filters, and the project/quote report views, over real HTTP."""

from __future__ import annotations

from typing import Any

import httpx2

from halo_mcp.sandbox import Sandbox
from halo_mcp.sandbox.shape import NEVER, item_shape, list_shape, parse
from tests.helpers import api_client


def _rows(api: httpx2.Client, path: str, key: str, **params: Any) -> list[dict[str, Any]]:
    body = api.get(path, params={"pageinate": "true", "page_size": 50, **params}).json()
    rows: list[dict[str, Any]] = body[key]
    return rows


# -- shape rule -----------------------------------------------------------------------------------------
def test_asset_rows_carry_list_schema_fields_and_defaults(api: httpx2.Client) -> None:
    rows = _rows(api, "/Asset", "assets")
    lst = parse("Device_List")
    for row in rows:
        assert None not in row.values()
        assert set(row) <= set(lst)
        assert {"warranty_start", "warranty_end", "status_name", "supplier_name"} <= set(row)
        assert row["contract_id"] == 0 and row["commissiondate"] == NEVER and row["is_template"] is False
        assert "ncentral_url" not in row  # strings only when set
        assert "notes" not in row  # a Device field, not a Device_List one
    assert any(r.get("username") for r in rows)
    owned = next(r for r in rows if r.get("username"))
    user = api.get(f"/Users/{owned['first_user_id']}").json()
    assert owned["username"] == user["name"]


def test_ticket_list_rows_have_names_but_not_priority_name(api: httpx2.Client) -> None:
    rows = _rows(api, "/Tickets", "tickets")
    assert all({"status_name", "agent_name", "client_name"} <= set(r) for r in rows if r["agent_id"])
    assert all("priority_name" not in r for r in rows)  # facts §5: only reliable on the single read
    open_rows = _rows(api, "/Tickets", "tickets", open_only="true")
    assert open_rows and all(r["dateclosed"] == NEVER and r["hasbeenclosed"] is False for r in open_rows)


def test_single_read_is_list_template_plus_record_fields(api: httpx2.Client) -> None:
    row = _rows(api, "/Asset", "assets")[0]
    one = api.get(f"/Asset/{row['id']}").json()
    assert set(row) <= set(one)
    assert {"notes", "warranty_note", "users", "fields"} & set(one)
    assert set(one) <= set(item_shape("Device").fields)
    # Single reads default only the list template, not the whole Device class.
    assert len(one) < len(parse("Device")) // 2 + len(list_shape("Device").template)
    assert None not in one.values()


def test_defaults_can_be_switched_off() -> None:
    with Sandbox(seed=1, shape_defaults=False) as plain, api_client(plain) as api:
        row = _rows(api, "/Asset", "assets")[0]
        assert "contract_id" not in row and "commissiondate" not in row
        assert {"warranty_end", "status_name"} <= set(row) and None not in row.values()


# -- services -------------------------------------------------------------------------------------------
def test_services_have_category_status_and_links(api: httpx2.Client) -> None:
    rows = _rows(api, "/Service", "services")
    cats = {c["id"]: c["name"] for c in api.get("/ServiceCategory").json()}
    assert cats
    for s in rows:
        assert s["service_category_name"] == cats[s["service_category_id"]]
        assert s["current_status"] in (1, 2)
        assert s["status_message_update_public"]
        assert s["service_url"].startswith("https://") and s["link"].startswith("https://")
    staging = next(s for s in rows if s["name"].startswith("Staging"))
    assert staging["current_status"] == 2 and "502" in staging["status_message_update_public"]


# -- search ---------------------------------------------------------------------------------------------
def test_search_matches_the_whole_string(api: httpx2.Client) -> None:
    user = api.get("/Users/20").json()
    body = api.get("/Users", params={"search": user["phonenumber"]}).json()
    assert [u["id"] for u in body["users"]] == [user["id"]]
    full = api.get("/Users", params={"search": user["name"]}).json()["users"]
    assert user["id"] in [u["id"] for u in full]
    assert all(user["name"].lower() in u["name"].lower() for u in full)
    assert api.get("/Users", params={"search": "zz_no_such"}).json()["record_count"] == 0
    assert api.get("/Users", params={"search": "%"}).json()["record_count"] == 0  # LIKE wildcards are literal


def test_kb_search_keeps_ranked_words(api: httpx2.Client) -> None:
    rows = api.get("/KBArticle", params={"search": "vpn printer"}).json()["articles"]
    assert rows
    scores = [r["search_score"] for r in rows]
    assert scores == sorted(scores, reverse=True)
    names = " ".join(r["name"].lower() for r in rows)
    assert "vpn" in names and "print" in names


# -- me routes ------------------------------------------------------------------------------------------
def test_users_me_and_client_me_for_an_agent(api: httpx2.Client) -> None:
    r = api.get("/Users/me")
    assert r.status_code == 404 and "/Agent/me" in r.text
    assert api.get("/Client/me").status_code == 404
    me = api.get("/Agent/me").json()
    assert api.post("/Users", json=[{"id": 30, "linked_agent_id": me["id"]}]).status_code == 201
    user = api.get("/Users/me").json()
    assert user["id"] == 30
    assert api.get("/Client/me").json()["id"] == user["client_id"]
    api.post("/Users", json=[{"id": 30, "linked_agent_id": 0}])


# -- ticket types and outcomes --------------------------------------------------------------------------
def test_ticket_type_field_config(api: httpx2.Client) -> None:
    types = {t["name"]: t for t in api.get("/TicketType").json()}
    problem = api.get(f"/TicketType/{types['Problem']['id']}", params={"includedetails": "true"}).json()
    mandatory = {f["fieldname"] for f in problem["fields"] if f["fieldinfo"]["mandatory"]}
    assert mandatory == {"summary", "details", "category_1"}
    assert all(f["technew"] == 2 for f in problem["fields"] if f["fieldname"] in mandatory)
    assert "fields" not in api.get(f"/TicketType/{types['Problem']['id']}").json()
    # The config matches what POST /Tickets enforces.
    r = api.post("/Tickets", json=[{"summary": "x", "details": "y", "tickettype_id": types["Problem"]["id"]}])
    assert r.status_code == 400 and "Category" in r.text


def test_outcome_tickettype_filter(api: httpx2.Client) -> None:
    types = {t["name"]: t["id"] for t in api.get("/TicketType").json()}
    every = {o["outcome"] for o in api.get("/Outcome").json()}
    for_project = {o["outcome"] for o in api.get("/Outcome", params={"tickettype_id": types["Project"]}).json()}
    for_incident = {o["outcome"] for o in api.get("/Outcome", params={"tickettype_id": types["Incident"]}).json()}
    assert "Resolve" in every and "Resolve" in for_incident and "Resolve" not in for_project
    assert {"Log Time", "Close", "Private Note"} <= for_project
    assert for_incident == every


# -- order ----------------------------------------------------------------------------------------------
def test_order_by_derived_name(api: httpx2.Client) -> None:
    for desc in (False, True):
        rows = _rows(api, "/Tickets", "tickets", order="client_name", orderdesc=str(desc).lower(), page_size=100)
        names = [r["client_name"].lower() for r in rows]
        assert names == sorted(names, reverse=desc)
    r = api.get("/Tickets", params={"order": "no_such_field"})
    assert r.status_code == 400 and "no_such_field" in r.text


# -- reports --------------------------------------------------------------------------------------------
def _report_id(api: httpx2.Client, name: str) -> int:
    return int(next(r["id"] for r in api.get("/Report").json()["reports"] if r["name"] == name))


def test_quote_and_project_views(api: httpx2.Client) -> None:
    sql = (
        "SELECT QUOTATIONHEADER.QHid, QUOTATIONHEADER.QHtitle, FAULTS.Areaint, FAULTS.FOppValue, "
        "SUM(QUOTATIONDETAIL.QDPrice * QUOTATIONDETAIL.QDQuantity) AS total FROM QUOTATIONHEADER "
        "JOIN FAULTS ON FAULTS.Faultid = QUOTATIONHEADER.QHfaultID "
        "JOIN QUOTATIONDETAIL ON QUOTATIONDETAIL.QDQHid = QUOTATIONHEADER.QHid GROUP BY QUOTATIONHEADER.QHid"
    )
    rep = api.post("/Report", json=[{"_loadreportonly": True, "sql": sql}]).json()["report"]
    assert rep["load_error"] is None and rep["rows"]
    quote = api.get(f"/Quotation/{rep['rows'][0]['QHid']}").json()
    assert round(rep["rows"][0]["total"], 2) == round(quote["total"], 2)
    sql = "SELECT Faultid, FProjectTimeBudget, FTargetDate FROM FAULTS WHERE FProjectTimeBudget > 0"
    rows = api.post("/Report", json=[{"_loadreportonly": True, "sql": sql}]).json()["report"]["rows"]
    assert rows and all(r["FTargetDate"] for r in rows)


def test_saved_report_binds_client_and_period(api: httpx2.Client) -> None:
    rid = _report_id(api, "Project health")
    everything = api.get(f"/Report/{rid}", params={"loadreport": "true"}).json()["report"]
    assert everything["load_error"] is None and len(everything["rows"]) > 2
    client = everything["rows"][0]["Client"]
    cid = next(c["id"] for c in api.get("/Client").json()["clients"] if c["name"] == client)
    one = api.get(f"/Report/{rid}", params={"loadreport": "true", "client_id": cid}).json()["report"]
    assert one["rows"] and {r["Client"] for r in one["rows"]} == {client}
    none = api.get(
        f"/Report/{rid}",
        params={"loadreport": "true", "reportingperiodstartdate": "1990-01-01", "reportingperiodenddate": "1990-12-31"},
    ).json()["report"]
    assert none["load_error"] is None and none["rows"] == []
    quotes = api.get(f"/Report/{_report_id(api, 'Open quotes')}", params={"loadreport": "true"}).json()["report"]
    assert quotes["load_error"] is None and quotes["rows"]

"""Row shapes (shape.py), services, search semantics, `me` routes, ticket-type field config, outcome and
order filters, and the project/quote report views, over real HTTP."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2

from halo_mcp.sandbox import Sandbox, shape
from halo_mcp.sandbox.shape import NEVER, item_shape, list_shape, parse
from tests.helpers import api_client


def _rows(api: httpx2.Client, path: str, key: str, **params: Any) -> list[dict[str, Any]]:
    body = api.get(path, params={"pageinate": "true", "page_size": 50, **params}).json()
    rows: list[dict[str, Any]] = body[key]
    return rows


# -- shape rule (facts §17: the recordings in tests/fixtures/recorded) ------------------------------------------
RECORDED = Path(__file__).resolve().parents[1] / "fixtures" / "recorded"
NAIVE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?$")  # stored: naive, 0-3 trimmed digits
JUST_SET = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z$")  # set by the request: Z, 7 digits
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
MARKERS = ("1899-12-30T00:00:00", "0001-01-01T00:00:00", "1900-01-01T00:00:00", -1, -3, "")


def _recorded(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((RECORDED / name).read_text())
    return data


def _walk(value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield k, v
            yield from _walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v)


def _new_ticket(api: httpx2.Client) -> dict[str, Any]:
    r = api.post("/Tickets", json=[{"summary": "Printer jam", "details": "Tray 2", "user_id": 20, "priority_id": 3}])
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def test_ids_typed_number_are_doubles_with_site_id_int_carrying_the_id(api: httpx2.Client) -> None:
    recorded = _recorded("user.json")
    assert recorded["site_id"] == 18.0 and recorded["site_id_int"] == 18 and recorded["site"]["client_id"] == 12.0
    for user in [api.get("/Users/20").json(), *_rows(api, "/Users", "users")]:
        assert isinstance(user["site_id"], float) and user["site_id_int"] == int(user["site_id"]) > 0
    for site in [api.get("/Site/1").json(), *_rows(api, "/Site", "sites")]:
        assert isinstance(site["client_id"], float) and site["client_id"].is_integer()
    assert re.search(r'"site_id":\s*15\.0[,}]', api.get("/Users/20").text)  # on the wire, not only after parsing


def test_priorities_have_guid_ids_and_unit_codes(api: httpx2.Client) -> None:
    recorded = _recorded("ticket_create_reply.json")["priority"]
    assert GUID.match(recorded["id"]) and {recorded["fixunits"], recorded["responseunits"]} == {"D", "H"}
    rows = api.get("/Priority").json()
    assert rows and all(GUID.match(p["id"]) and isinstance(p["priorityid"], int) for p in rows)
    assert all(p["fixunits"] in ("H", "D") and p["responseunits"] in ("H", "D") for p in rows)
    nested = api.get("/Tickets/1").json()["priority"]
    assert GUID.match(nested["id"]) and nested["id"] in {p["id"] for p in rows}
    assert api.get(f"/Priority/{rows[0]['priorityid']}").json()["id"] == rows[0]["id"]


def test_stored_dates_are_naive_and_dates_set_now_carry_z_and_seven_digits(api: httpx2.Client) -> None:
    recorded = _recorded("ticket_create_reply.json")
    assert JUST_SET.match(recorded["dateoccurred"]) and NAIVE.match(recorded["user"]["datecreated"])
    created = _new_ticket(api)
    assert JUST_SET.match(created["dateoccurred"]) and JUST_SET.match(created["fixbydate"])
    assert NAIVE.match(created["user"]["site"]["client"].get("datecreated") or "2019-01-09T09:37:08.62")
    again = api.get(f"/Tickets/{created['id']}").json()
    assert NAIVE.match(again["dateoccurred"]) and NAIVE.match(again["fixbydate"])
    stored = [v for row in _rows(api, "/Tickets", "tickets") for k, v in row.items() if k.endswith("date")]
    assert stored and all(NAIVE.match(v) for v in stored)
    # No fraction is invented: the sandbox stores whole seconds, and a date read back must order and filter as stored.
    assert all("." not in v for v in stored)


def test_unset_values_are_the_recorded_markers_field_by_field(api: httpx2.Client) -> None:
    recorded = _recorded("ticket_create_reply.json")
    created = _new_ticket(api)
    one = api.get(f"/Tickets/{created['id']}").json()
    for key in ("auditdate", "laststatuschangestatusdate", "reviewed_date", "lastincomingemail", "targetdate",
                "deadlinedate", "contract_id", "chargerate", "autotask_id", "category_2", "userdef1"):  # fmt: skip
        assert one[key] == recorded[key], key
    assert (one["auditdate"], one["lastincomingemail"], one["targetdate"]) == (*MARKERS[:3],)
    assert "dateclosed" not in one and "responsedate" not in one  # absent on an open ticket, not a sentinel
    site = one["user"]["site"]
    assert site["contractlastchecked"] == "1899-12-30T00:00:00" and site["site_item_tax_code"] == -3
    assert one["user"]["delegation_start"] == "1899-12-30T00:00:00" and one["user"]["autotaskid"] == -1
    assert one["user"]["messagegroup_id"] == -1 and site["maincontact_id"] == -1 and site["messagegroup_id"] == -1
    assert created["slaactiondate"] == created["respondbydate"]  # recorded on a new ticket
    # Every marker the recording shows for a field the sandbox also sends unset is the same marker.
    for rec_obj, ours in ((recorded, one), (recorded["user"], one["user"]), (recorded["user"]["site"], site)):
        for key, value in rec_obj.items():
            if value in MARKERS and not isinstance(value, bool) and ours.get(key) in MARKERS:
                assert ours[key] == value, key
    assert not [k for k, v in _walk(one) if v is None]  # no null anywhere


def test_unset_table_gives_a_source_for_every_rule_and_marks_unrecorded_schemas() -> None:
    schemas = shape.table()
    for name in ("Faults", "Actions", "Users", "Site", "Area", "Policy", "RequestType", "Attachment"):
        assert schemas[name]["recorded"] is True, name
    for name in ("KBEntry", "InvoiceHeader", "QuotationHeader", "Uname", "SectionDetail", "TStatus"):
        assert schemas[name]["recorded"] is False, name
    assert all(rule["source"] for s in schemas.values() for rule in s["fields"].values())
    assert schemas["Faults"]["fields"]["auditdate"]["source"].startswith("recorded: ticket_create_reply.json")
    assert schemas["Actions"]["extra"]["who"] == "outcome"


def test_single_ticket_nests_related_records_and_lacks_list_names(api: httpx2.Client) -> None:
    recorded = _recorded("ticket_create_reply.json")
    lacks = {"status_name", "agent_name", "tickettype_name", "priority_name"}
    assert not lacks & set(recorded)
    one = api.get("/Tickets/1").json()
    assert not lacks & set(one)
    assert list(one)[:3] == ["id", "dateoccurred", "summary"] == list(recorded)[:3]
    assert one["priority"]["name"] and one["tickettype"]["id"] == one["tickettype_id"]
    assert one["tickettype"]["fields"][0]["fieldid"] == 0  # with its form
    assert one["user"]["id"] == one["user_id"] and one["user"]["site"]["client"]["id"] == one["client_id"]
    assert one["team_id"] and one["details_html"] and GUID.match(one["guid"])
    assert re.match(r"^[A-Z]{2}-\d{7}$", one["reference"]) and re.match(r"^[A-Z]{2}-\d{7}$", recorded["reference"])
    assert isinstance(one["tags"], list) and isinstance(one["customfields"], list)
    row = _rows(api, "/Tickets", "tickets")[0]
    assert {"status_name", "agent_name"} <= set(row) and "user" not in row and "priority" not in row


def test_actions_carry_who_and_the_recorded_fields(api: httpx2.Client) -> None:
    recorded = _recorded("ticket_create_reply.json")["extra_actions"][0]
    fields = {"who", "who_type", "important", "attachment_count", "old_status", "new_status", "unread",
              "actiondatecreated", "note_html", "guid", "actionby_application_id", "customfields"}  # fmt: skip
    assert fields <= set(recorded) and "timetaken" not in recorded and recorded["who"] == "System"
    body = api.get("/Actions", params={"ticket_id": 1}).json()
    assert set(body) == {"record_count", "actions", "ticket_id"}
    agents = {a["id"]: a["name"] for a in api.get("/Agent").json()}
    for action in body["actions"]:
        assert fields - {"old_status", "new_status"} <= set(action), set(action) ^ fields
        assert action["who"] and GUID.match(action["guid"])
        if action.get("who_agentid"):
            assert action["who"] == agents[action["who_agentid"]]
    posted = api.post("/Actions", json=[{"ticket_id": 1, "note": "Checked the logs", "outcome": "Private Note"}])
    assert posted.status_code == 201 and posted.json()["who"] == agents[1]
    assert {"old_status", "new_status"} <= set(posted.json())


def test_lean_shape_leaves_every_unset_field_out() -> None:
    with Sandbox(seed=1, shape_defaults=False) as plain, api_client(plain) as api:
        row = _rows(api, "/Asset", "assets")[0]
        assert "contract_id" not in row and "commissiondate" not in row
        assert {"warranty_end", "status_name"} <= set(row) and None not in row.values()
        one = api.get("/Tickets/1").json()
        assert "auditdate" not in one and "lastincomingemail" not in one and one["user"]["id"]


def test_unrecorded_schemas_keep_the_spec_driven_defaults(api: httpx2.Client) -> None:
    rows = _rows(api, "/Asset", "assets")
    lst = parse("Device_List")
    for row in rows:
        assert None not in row.values() and set(row) <= set(lst)
        assert row["contract_id"] == 0 and row["commissiondate"] == NEVER and row["is_template"] is False
        assert "ncentral_url" not in row  # strings only when set
    one = api.get(f"/Asset/{rows[0]['id']}").json()
    assert set(rows[0]) <= set(one) <= set(item_shape("Device").fields)
    assert len(one) < len(parse("Device")) // 2 + len(list_shape("Device").template)


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
def test_ticket_type_form_is_grouped_with_database_columns_and_recorded_codes(api: httpx2.Client) -> None:
    recorded = _recorded("ticket_create_reply.json")["tickettype"]["fields"][0]
    assert recorded["fieldid"] == 0 and recorded["group"]["header"]
    assert [f["fieldinfo"]["name"] for f in recorded["group"]["fields"]][:3] == ["symptom", "symptom2", "assignedtoint"]
    types = {t["name"]: t for t in api.get("/TicketType").json()}
    problem = api.get(f"/TicketType/{types['Problem']['id']}", params={"includedetails": "true"}).json()
    groups = problem["fields"]
    assert groups and all(g["fieldid"] == 0 and g["group"]["header"] for g in groups)
    rows = [f for g in groups for f in g["group"]["fields"]]
    assert all(f["technew"] in (0, 1, 2) and 0 <= f["techdetail"] <= 4 for f in rows)
    mandatory = {f["fieldinfo"]["name"] for f in rows if f["technew"] == 2}  # 2 = mandatory (recorded codes)
    assert mandatory == {"symptom", "symptom2", "category2"}
    assert {"assignedtoint", "sectio_"} <= {f["fieldinfo"]["name"] for f in rows}
    assert "fields" not in api.get(f"/TicketType/{types['Problem']['id']}").json()
    # The config matches what POST /Tickets enforces.
    r = api.post("/Tickets", json=[{"summary": "x", "details": "y", "tickettype_id": types["Problem"]["id"]}])
    assert r.status_code == 400 and "Category" in r.text


def test_attachment_upload_reply_has_the_recorded_fields(api: httpx2.Client) -> None:
    recorded = _recorded("attachment_upload_reply.json")
    r = api.post("/Attachment", json=[{"ticket_id": 1, "filename": "short-text.txt", "data": recorded["data"]}])
    assert r.status_code == 201, r.text
    reply = r.json()
    for key in ("content_type", "desc", "note", "data", "user_id", "action_id", "third_party_id"):
        assert reply[key] == recorded[key], key
    assert GUID.match(reply["guid"]) and reply["agent_id"] == 1 and JUST_SET.match(reply["datecreated"])
    listed = api.get("/Attachment", params={"ticket_id": 1}).json()["attachments"]
    assert "data" not in listed[-1]


def test_users_sites_and_clients_carry_the_recorded_fields(api: httpx2.Client) -> None:
    recorded = _recorded("user.json")
    assert recorded["use"] == "user" and recorded["site"]["use"] == "site" and recorded["site"]["client"]["use"]
    user = api.get("/Users/20").json()
    assert user["use"] == "user" and user["initials"] == "NM" and user["sitephonenumber"] == ""
    assert user["site"]["use"] == "site" and user["site"]["client"]["use"] == "client"
    assert user["colour"] == user["site"]["colour"] == user["site"]["client"]["colour"]  # as recorded
    row = _rows(api, "/Users", "users")[0]
    assert {"initials", "use", "sitephonenumber", "site_id_int", "colour"} <= set(row) and "site" not in row
    assert recorded["site"]["client"]["toplevel_name"] == "UK"
    assert all(c["toplevel_name"] for c in _rows(api, "/Client", "clients"))


def test_a_zero_time_system_action_has_no_timetaken() -> None:
    recorded = _recorded("ticket_create_reply.json")["extra_actions"][0]
    assert recorded["who"] == "System" and "timetaken" not in recorded
    rec = {"ticket_id": 1, "id": 9, "outcome": "Rule Applied", "who_agentid": 0, "timetaken": 0.0, "note": "x"}
    out = dict(rec)
    shape.decorate("Actions", rec, out, True, lambda name, key: None)
    assert out["who"] == "System" and "timetaken" not in out and out["note_html"] == "x"


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

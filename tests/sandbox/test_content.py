"""Knowledge base search, attachments round trip, SQL reports (read-only), runbooks."""

from __future__ import annotations

import base64
import time

import httpx2


def test_kb_search_ranks_title_first(api: httpx2.Client) -> None:
    api.post("/KBArticle", json=[
        {"name": "Zebra printer jams", "description": "Labels stuck", "resolution": "Clean the head"},
        {"name": "Label stock", "description": "How to order more", "resolution": "zebra labels come from stores"},
    ])  # fmt: skip
    rows = api.get("/KBArticle", params={"search": "zebra"}).json()["articles"]
    names = [r["name"] for r in rows]
    assert names.index("Zebra printer jams") < names.index("Label stock")
    assert rows[0]["search_score"] >= rows[-1]["search_score"]


def test_attachment_round_trip(api: httpx2.Client) -> None:
    payload = bytes(range(256)) * 4
    for key in ("data", "data_base64"):
        r = api.post(
            "/Attachment",
            json=[{"ticket_id": 1, "filename": f"dump-{key}.bin", key: base64.b64encode(payload).decode()}],
        )
        assert r.status_code == 201, r.text
        meta = r.json()
        # facts §17: the upload reply echoes the file as base64 in `data`
        assert meta["filesize"] == len(payload) and meta["data"] == base64.b64encode(payload).decode()
        assert "data_base64" not in meta
        raw = api.get(f"/Attachment/{meta['id']}")
        assert raw.status_code == 200 and raw.content == payload
        assert f'filename="dump-{key}.bin"' in raw.headers["content-disposition"]
    listed = api.get("/Attachment", params={"ticket_id": 1}).json()
    assert listed["ticket_id"] == 1 and {"dump-data.bin", "dump-data_base64.bin"} <= {
        a["filename"] for a in listed["attachments"]
    }
    assert api.get("/Tickets/1").json()["attachment_count"] == listed["record_count"]
    bad = api.post("/Attachment", json=[{"ticket_id": 1, "filename": "x", "data": "!!!not base64"}])
    assert bad.status_code == 400
    assert api.post("/Attachment", json=[{"ticket_id": 1, "filename": "x"}]).status_code == 400


def test_saved_report_and_adhoc_sql(api: httpx2.Client) -> None:
    reports = api.get("/Report").json()["reports"]
    assert reports and "_sql" not in reports[0]
    loaded = api.get(f"/Report/{reports[0]['id']}", params={"loadreport": "true"}).json()
    assert loaded["report"]["loaded"] is True and loaded["report"]["load_error"] is None and loaded["report"]["rows"]
    r = api.post("/Report", json=[{"_loadreportonly": True, "sql": (
        "SELECT TOP 5 f.Faultid, f.Symptom, a.aareadesc, s.tstatusdesc, u.uname FROM FAULTS f "
        "JOIN AREA a ON a.Aarea = f.Areaint JOIN TSTATUS s ON s.Tstatus = f.Status "
        "LEFT JOIN UNAME u ON u.Unum = f.Assignedtoint ORDER BY f.Faultid")}])  # fmt: skip
    rows = r.json()["report"]["rows"]
    assert len(rows) == 5 and rows[0]["Faultid"] == 1 and rows[0]["aareadesc"]
    one = api.get("/Tickets/1").json()
    assert rows[0]["Symptom"] == one["summary"] and rows[0]["aareadesc"] == one["client_name"]
    count = api.post(
        "/Report", json=[{"_loadreportonly": True, "sql": "SELECT COUNT(*) AS n FROM ACTIONS WHERE Faultid = 1"}]
    )
    assert count.json()["report"]["rows"][0]["n"] == api.get("/Actions", params={"ticket_id": 1}).json()["record_count"]
    for table in ("SITE", "USERS", "KBENTRY", "DEVICE"):
        rep = api.post("/Report", json=[{"_loadreportonly": True, "sql": f"SELECT TOP 1 * FROM {table}"}]).json()
        assert rep["report"]["loaded"] and rep["report"]["rows"], table


def test_report_sql_is_read_only(api: httpx2.Client) -> None:
    bad = [
        "DELETE FROM FAULTS",
        "UPDATE FAULTS SET Symptom = 'x'",
        "DROP VIEW FAULTS",
        "INSERT INTO r_Tickets(id, data) VALUES (1, '{}')",
        "SELECT data FROM r_Agent",
        "PRAGMA table_info(FAULTS)",
        "ATTACH DATABASE ':memory:' AS x",
        "SELECT 1; DELETE FROM FAULTS",
        "SELEKT nonsense",
    ]
    before = api.get("/Tickets/1").json()["summary"]
    for sql in bad:
        r = api.post("/Report", json=[{"_loadreportonly": True, "sql": sql}])
        assert r.status_code == 201, sql
        rep = r.json()["report"]
        assert rep["loaded"] is False and rep["load_error"], sql
    assert api.get("/Tickets/1").json()["summary"] == before


def test_runbook_completes_after_its_duration(api: httpx2.Client) -> None:
    books = api.get("/Automation").json()
    r = api.post(f"/Automation/{books[0]['id']}", json={"ticket_id": 1})
    assert r.status_code == 201 and r.json()["status"] == "running"
    time.sleep(0.35)
    runs = api.get(f"/Automation/{books[0]['id']}").json()["runs"]
    assert runs[-1]["id"] == r.json()["id"] and runs[-1]["status"] == "completed"
    assert api.post("/Automation/99999", json={}).status_code == 404


def test_a_runbook_starts_by_its_guid_as_the_spec_types_it(api: httpx2.Client) -> None:
    book = api.get("/Automation").json()[1]
    run = api.post(f"/Automation/{book['guid']}", json={})
    assert run.status_code == 201 and run.json()["runbook_id"] == book["id"]
    assert api.post("/Automation/00000000-0000-0000-0000-000000000000", json={}).status_code == 404

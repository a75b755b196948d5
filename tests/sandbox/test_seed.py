"""Seed data checks: deterministic, well-formed, faithful to Halo's schema, and rich enough for the demos."""

from __future__ import annotations

import base64
import json
import re
import sqlite3
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from halo_mcp.sandbox import tsql
from halo_mcp.sandbox.seed import NEVER, PRIORITY_TIMES, RESOURCES, generate
from halo_mcp.sandbox.seed_text import FAMILIES

NOW = datetime(2026, 3, 16, 10, 0, tzinfo=UTC)
REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference"
SPEC = REFERENCE / "halo-openapi-v2-2025-03.json"
SQL_SCHEMA = REFERENCE / "halo-sql-schema.sql"

SCHEMA_OF = {
    "Client": "Area", "Site": "Site", "Users": "Users", "Agent": "Uname", "Team": "SectionDetail",
    "Status": "TStatus", "Priority": "Policy", "TicketType": "RequestType", "Category": "CategoryDetail",
    "SLA": "SlaHead", "Outcome": "TOutcome", "Tickets": "Faults", "Actions": "Actions", "Asset": "Device",
    "AssetType": "Xtype", "KBArticle": "KBEntry", "Appointment": "Appointment", "Attachment": "Attachment",
    "Item": "Item", "Invoice": "InvoiceHeader", "Supplier": "Company", "Quotation": "QuotationHeader",
    "ClientContract": "ContractHeader", "TimesheetEvent": "TimesheetEvent", "Report": "AnalyzerProfile",
    "Service": "ServSite",
}  # fmt: skip
# Fields the sandbox contract requires although spec B lacks them (both appear in Halo's newer spec C).
CONTRACT_EXTRAS = {"Tickets": {"team_id"}, "Actions": {"who"}}

# (resource, field) -> referenced resource; 0 means "none" where Halo uses 0.
REFS = {
    "Site": {"client_id": "Client", "sla_id": "SLA"},
    "Client": {"main_site_id": "Site"},
    "Users": {"site_id": "Site", "client_id": "Client"},
    "Priority": {"slaid": "SLA"},
    "TicketType": {"initial_status": "Status", "default_sla": "SLA", "default_priority": "Priority"},
    "Outcome": {"newstatus": "Status"},
    "Tickets": {
        "tickettype_id": "TicketType", "client_id": "Client", "site_id": "Site", "user_id": "Users",
        "team_id": "Team", "agent_id": "Agent", "status_id": "Status", "priority_id": "Priority",
        "sla_id": "SLA", "categoryid_1": "Category",
    },
    "Actions": {"ticket_id": "Tickets", "outcome_id": "Outcome", "who_agentid": "Agent", "new_status": "Status"},
    "Asset": {"assettype_id": "AssetType", "client_id": "Client", "site_id": "Site", "supplier_id": "Supplier",
              "first_user_id": "Users"},
    "KBArticle": {"creator_id": "Agent", "editor_id": "Agent"},
    "Appointment": {"agent_id": "Agent", "ticket_id": "Tickets", "user_id": "Users", "client_id": "Client",
                    "site_id": "Site"},
    "Attachment": {"ticket_id": "Tickets"},
    "Item": {"supplier_id": "Supplier", "assettype_id": "AssetType"},
    "Invoice": {"client_id": "Client", "contract_id": "ClientContract"},
    "Quotation": {"ticket_id": "Tickets", "client_id": "Client", "site_id": "Site", "user_id": "Users",
                  "agent_id": "Agent"},
    "ClientContract": {"client_id": "Client", "site_id": "Site", "sla_id": "SLA"},
    "TimesheetEvent": {"agent_id": "Agent", "ticket_id": "Tickets", "client_id": "Client", "site_id": "Site"},
}  # fmt: skip

ISO_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def _dt(s: str) -> datetime:
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


@pytest.fixture(scope="module")
def data() -> dict[str, list[dict[str, Any]]]:
    return generate(1, "small", NOW)


def test_deterministic_for_same_seed_and_now() -> None:
    a, b = generate(7, 300, NOW), generate(7, 300, NOW)
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    c = generate(8, 300, NOW)
    assert [t["summary"] for t in a["Tickets"]] != [t["summary"] for t in c["Tickets"]]


def test_default_now_is_current_hour() -> None:
    d = generate(1, 200)
    newest = max(_dt(t["dateoccurred"]) for t in d["Tickets"])
    now = datetime.now(UTC)
    assert now - timedelta(days=2) < newest <= now


def test_every_resource_present_with_sequential_ids(data: dict[str, list[dict[str, Any]]]) -> None:
    assert set(data) == set(RESOURCES)
    for name, rows in data.items():
        assert rows, f"{name} is empty"
        if name == "Actions":
            continue
        assert [r["id"] for r in rows] == list(range(1, len(rows) + 1)), name
    per_ticket: dict[int, list[int]] = defaultdict(list)
    for a in data["Actions"]:
        per_ticket[a["ticket_id"]].append(a["id"])
    assert all(ids == list(range(1, len(ids) + 1)) for ids in per_ticket.values())


def test_counts_per_scale(data: dict[str, list[dict[str, Any]]]) -> None:
    assert len(data["Tickets"]) == 2000
    assert len(data["Client"]) == 8
    assert 55 <= len(data["Users"]) <= 80
    assert 10 <= len([a for a in data["Agent"] if not a["isapiagent"]]) <= 14
    assert len(data["Asset"]) == 400
    assert len(data["KBArticle"]) >= 50
    assert len(data["Actions"]) > 3 * len(data["Tickets"])
    small = generate(1, 500, NOW)
    assert len(small["Tickets"]) == 500
    assert len(generate(1, "300", NOW)["Tickets"]) == 300
    for lookup in ("Status", "Priority", "TicketType", "Team", "Outcome", "KBArticle", "Category"):
        assert len(small[lookup]) == len(data[lookup]), lookup
    with pytest.raises(ValueError):
        generate(1, "huge", NOW)


def test_client_names_and_teams(data: dict[str, list[dict[str, Any]]]) -> None:
    clients = {c["name"] for c in data["Client"]}
    assert {"Wayne Enterprises", "Stark Industries", "Acme Corp"} <= clients
    teams = {t["name"] for t in data["Team"]}
    assert {"Service Desk", "Network", "Infrastructure", "Identity", "Security", "DevOps"} <= teams
    assert {p["name"] for p in data["Priority"]} == {"P1 - Critical", "P2 - High", "P3 - Medium", "P4 - Low"}
    emails = [u["emailaddress"] for u in data["Users"]]
    assert len(set(emails)) == len(emails) and all("@" in e for e in emails)
    assert all(a["_password"] == "sandbox" for a in data["Agent"])


@pytest.mark.skipif(not SPEC.exists(), reason="Halo OpenAPI spec not available at ../shared/reference")
def test_field_names_exist_in_spec(data: dict[str, list[dict[str, Any]]]) -> None:
    schemas = json.loads(SPEC.read_text())["components"]["schemas"]
    for name, schema in SCHEMA_OF.items():
        allowed = set(schemas[schema]["properties"]) | CONTRACT_EXTRAS.get(name, set())
        used = {k for row in data[name] for k in row if not k.startswith("_")}
        assert used <= allowed, f"{name}: not in {schema}: {sorted(used - allowed)}"


def test_referential_integrity(data: dict[str, list[dict[str, Any]]]) -> None:
    ids = {name: {r["id"] for r in rows} for name, rows in data.items()}
    for name, refs in REFS.items():
        for row in data[name]:
            for field, target in refs.items():
                value = row.get(field)
                if value in (None, 0):
                    continue
                assert value in ids[target], f"{name} {row['id']}.{field}={value} missing in {target}"
    action_keys = {(a["ticket_id"], a["id"]) for a in data["Actions"]}
    for t in data["Tickets"]:
        assert all(a["id"] in ids["Asset"] for a in t["assets"])
        site = data["Site"][t["site_id"] - 1]
        assert site["client_id"] == t["client_id"]
        assert data["Users"][t["user_id"] - 1]["client_id"] == t["client_id"]
        assert data["Team"][t["team_id"] - 1]["name"] == t["team"]
        assert data["Category"][t["categoryid_1"] - 1]["value"] == t["category_1"]
    for e in data["TimesheetEvent"]:
        if e["ticket_id"]:
            assert (e["ticket_id"], e["action_number"]) in action_keys


def test_ticket_time_is_sum_of_actions(data: dict[str, list[dict[str, Any]]]) -> None:
    sums: dict[int, float] = defaultdict(float)
    for a in data["Actions"]:
        sums[a["ticket_id"]] += a["timetaken"]
    for t in data["Tickets"]:
        assert t["timetaken"] == pytest.approx(sums[t["id"]], abs=0.011), t["id"]
    assert sum(t["timetaken"] for t in data["Tickets"]) > 1000


def test_closed_tickets_have_resolution(data: dict[str, list[dict[str, Any]]]) -> None:
    closed_ids = {s["id"] for s in data["Status"] if s["type"] == 2}
    last: dict[int, dict[str, Any]] = {}
    for a in data["Actions"]:
        last[a["ticket_id"]] = a
    closed = [t for t in data["Tickets"] if t["status_id"] in closed_ids]
    assert 0.8 < len(closed) / len(data["Tickets"]) < 0.97
    for t in closed:
        assert t["closure_note"], t["id"]
        assert t["dateclosed"] != NEVER and _dt(t["dateclosed"]) >= _dt(t["dateoccurred"])
        assert last[t["id"]]["outcome"] in ("Resolve", "Close", "Cancel")
        assert last[t["id"]].get("new_status") == t["status_id"]
    resolve_note = {a["ticket_id"]: a["note"] for a in data["Actions"] if a["outcome"] == "Resolve"}
    incidents = [t for t in closed if t["tickettype_id"] == 1 and t["status_id"] != 10]
    assert incidents and all(resolve_note[t["id"]] == t["closure_note"] for t in incidents)
    open_ = [t for t in data["Tickets"] if t["status_id"] not in closed_ids]
    assert all(t["dateclosed"] == NEVER and not t["closure_note"] for t in open_)


def test_sla_dates_follow_priority(data: dict[str, list[dict[str, Any]]]) -> None:
    sla_tickets = [t for t in data["Tickets"] if t["sla_id"] == 1]
    assert len(sla_tickets) > 1900
    for t in sla_tickets:
        _, resp, fix, _ = PRIORITY_TIMES[t["priority_id"]]
        occurred = _dt(t["dateoccurred"])
        assert _dt(t["respondbydate"]) - occurred == timedelta(hours=resp)
        assert _dt(t["fixbydate"]) - occurred == timedelta(hours=fix)
    open_ids = {s["id"] for s in data["Status"] if s["type"] != 2}
    open_sla = [t for t in sla_tickets if t["status_id"] in open_ids]
    breached = [t for t in open_sla if _dt(t["fixbydate"]) < NOW]
    near = [t for t in open_sla if NOW <= _dt(t["fixbydate"]) < NOW + timedelta(hours=6)]
    assert 0.15 < len(breached) / len(open_sla) < 0.6
    assert near
    onhold_ids = {s["id"] for s in data["Status"] if s["type"] == 1}
    assert all(t["onhold"] == (t["status_id"] in onhold_ids) for t in data["Tickets"])


def test_dates_are_iso_utc_and_not_in_future(data: dict[str, list[dict[str, Any]]]) -> None:
    for t in data["Tickets"]:
        for f in ("dateoccurred", "lastactiondate", "respondbydate", "fixbydate", "targetdate"):
            if f in t:
                assert ISO_RE.match(t[f]), (t["id"], f, t[f])
        assert _dt(t["dateoccurred"]) <= NOW and _dt(t["lastactiondate"]) <= NOW
        assert _dt(t["dateoccurred"]) >= NOW - timedelta(days=560)
    for a in data["Actions"]:
        assert ISO_RE.match(a["datetime"]) and _dt(a["datetime"]) <= NOW
    ids_by_time = [t["id"] for t in sorted(data["Tickets"], key=lambda t: t["dateoccurred"])]
    assert ids_by_time == sorted(ids_by_time)


def test_hook_london_vpn(data: dict[str, list[dict[str, Any]]]) -> None:
    london = {s["id"] for s in data["Site"] if "London" in s["name"]}
    assert london
    open_ids = {s["id"] for s in data["Status"] if s["type"] != 2}
    vpn = [
        t
        for t in data["Tickets"]
        if t["site_id"] in london and t["category_1"] == "Network>VPN" and t["status_id"] in open_ids
    ]
    assert len(vpn) >= 3
    assert sum("london" in t["summary"].lower() for t in vpn) >= 3
    assert any(t["name"] == "Log Time" for t in [{"name": o["outcome"]} for o in data["Outcome"]])
    london_users = [u for u in data["Users"] if u["site_id"] in london]
    assert len(london_users) >= 5


def test_hook_near_duplicate_open_tickets(data: dict[str, list[dict[str, Any]]]) -> None:
    clusters: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for t in data["Tickets"]:
        if t.get("_hook", "").startswith("dup-"):
            clusters[t["_hook"]].append(t)
    assert {"dup-london-vpn", "dup-staging-502", "dup-mailbox", "dup-printer"} <= set(clusters)
    for name, ts in clusters.items():
        assert len(ts) >= 2, name
        assert len({t["category_1"] for t in ts}) == 1
        assert len({t["client_id"] for t in ts}) == 1
        assert all(t["status_id"] in (1, 2) for t in ts)
        newest = max(_dt(t["dateoccurred"]) for t in ts)
        oldest = min(_dt(t["dateoccurred"]) for t in ts)
        assert newest - oldest < timedelta(days=2)
    assert len({t["user_id"] for t in clusters["dup-mailbox"]}) == 1


def test_hook_warranty_audit(data: dict[str, list[dict[str, Any]]]) -> None:
    laptops = [a for a in data["Asset"] if a["assettype_id"] == 1 and not a["inactive"] and a["first_user_id"]]
    expired = [a for a in laptops if _dt(a["warranty_end"]) < NOW]
    soon = [a for a in laptops if NOW <= _dt(a["warranty_end"]) <= NOW + timedelta(days=90)]
    assert len(expired) >= 8 and len(soon) >= 8
    assert all(_dt(a["warranty_start"]) < _dt(a["warranty_end"]) for a in data["Asset"])
    hooked_assets = {a["id"] for a in data["Asset"] if a.get("_hook", "").startswith("warranty")}
    tickets = [t for t in data["Tickets"] if t.get("_hook") == "warranty-ticket"]
    assert tickets and all(t["assets"][0]["id"] in hooked_assets for t in tickets)
    kinds = Counter(a["assettype_id"] for a in data["Asset"])
    assert kinds[5] >= 20 and kinds[6] + kinds[7] + kinds[8] >= 40  # servers and network gear


def test_hook_projects_and_quotes(data: dict[str, list[dict[str, Any]]]) -> None:
    projects = [t for t in data["Tickets"] if t["tickettype_id"] == 5]
    opps = [t for t in data["Tickets"] if t["tickettype_id"] == 6]
    assert len(projects) >= 6 and len(opps) >= 8
    over = [p for p in projects if p["projecttimeactual"] > p["projecttimebudget"]]
    late = [p for p in projects if p["status_id"] == 2 and _dt(p["targetdate"]) < NOW]
    assert over and late
    for p in projects:
        assert p["projecttimeactual"] == pytest.approx(p["timetaken"])
    assert all(o["oppvalue"] > 0 for o in opps)
    expiring = [
        q for q in data["Quotation"] if q["status"] == 1 and NOW <= _dt(q["expiry_date"]) <= NOW + timedelta(days=7)
    ]
    assert len(expiring) >= 4
    for q in data["Quotation"]:
        assert q["total"] == pytest.approx(sum(line["net_total"] for line in q["lines"]))
    assert any(i["amountdue"] > 0 and _dt(i["duedate"]) < NOW for i in data["Invoice"])


def test_kb_covers_every_family(data: dict[str, list[dict[str, Any]]]) -> None:
    by_family = Counter(k["_family"] for k in data["KBArticle"])
    assert set(by_family) == {f.key for f in FAMILIES}
    assert len(FAMILIES) >= 30
    for k in data["KBArticle"]:
        assert k["resolution"].startswith("1. ") and "<ol>" in k["resolution_html"]
        assert k["tags"] and k["tag_string"]
    vpn = [k for k in data["KBArticle"] if "vpn" in k["tag_string"]]
    assert vpn and any("keepalive" in k["resolution"] for k in vpn)


def test_ticket_text_is_filled(data: dict[str, list[dict[str, Any]]]) -> None:
    for t in data["Tickets"]:
        assert "{" not in t["summary"] and "{" not in t["details"], t["id"]
        assert len(t["details"]) > 40
    assert all("{" not in a["note"] for a in data["Actions"])
    assert len({t["summary"] for t in data["Tickets"]}) > 150


def test_attachments_are_real_files(data: dict[str, list[dict[str, Any]]]) -> None:
    assert len(data["Attachment"]) >= 40
    for att in data["Attachment"]:
        raw = base64.b64decode(att["_data_b64"])
        assert len(raw) == att["filesize"]
        if att["isimage"]:
            assert raw.startswith(b"\x89PNG\r\n\x1a\n")
        else:
            assert raw.decode().strip()


def _sql_columns(sql: str) -> dict[str, set[str]]:
    cols: dict[str, set[str]] = defaultdict(set)
    for table, col in re.findall(r"\b([A-Z]+)\.(\w+)", sql):
        cols[table].add(col)
    return cols


def test_report_sql_runs_on_halo_named_tables(data: dict[str, list[dict[str, Any]]]) -> None:
    needed: dict[str, set[str]] = defaultdict(set)
    for r in data["Report"]:
        assert r["_sql"].lstrip().upper().startswith("SELECT")
        for table, cols in _sql_columns(r["_sql"]).items():
            needed[table] |= cols
    db = sqlite3.connect(":memory:")
    tsql.register_functions(db)
    for table, cols in needed.items():
        db.execute(f"CREATE TABLE {table} ({', '.join(sorted(cols))})")
    for r in data["Report"]:  # T-SQL, as on Halo: transpiled as the sandbox runs it
        db.execute(tsql.translate(r["_sql"]), {"startdate": None, "enddate": None, "client_id": None}).fetchall()
    if SQL_SCHEMA.exists():
        schema = SQL_SCHEMA.read_text()
        for table, cols in needed.items():
            block = schema.split(f"CREATE TABLE [{table}](", 1)[1].split("CONSTRAINT", 1)[0]
            real = {c.lower() for c in re.findall(r"\[(\w+)\]", block)}
            assert {c.lower() for c in cols} <= real, (table, cols - real)


def test_small_generation_is_fast() -> None:
    start = time.perf_counter()
    generate(3, "small", NOW)
    assert time.perf_counter() - start < 1.0


def test_prepay_timesheets_and_contracts_agree_with_logged_time(data: dict[str, list[dict[str, Any]]]) -> None:
    """Issue 9 item 4: prepay deductions, timesheets and contract totals all come from the actions' time."""
    ticket_client = {t["id"]: t["client_id"] for t in data["Tickets"]}
    for contract in (c for c in data["ClientContract"] if c.get("allowprepay")):
        entries = [p for p in data["ClientPrepay"] if p["client_id"] == contract["client_id"]]
        bought = sum(p["hours"] for p in entries if p["hours"] > 0)
        used = -sum(p["hours"] for p in entries if p["hours"] < 0)
        assert contract["contract_prepaytotal"] == pytest.approx(bought)
        assert contract["contract_prepayused"] == pytest.approx(used, abs=0.05)
        assert contract["contract_prepaybalance"] == pytest.approx(bought - used, abs=0.05)
        assert contract["contract_prepaybalance"] >= 0
        first = min(p["date"] for p in entries)
        logged = sum(
            a["timetaken"]
            for a in data["Actions"]
            if ticket_client[a["ticket_id"]] == contract["client_id"] and a["who_agentid"] and a["datetime"] >= first
        )
        assert used == pytest.approx(logged, abs=0.1)
    by_day: dict[tuple[int, str], float] = defaultdict(float)
    for e in data["TimesheetEvent"]:
        by_day[(e["agent_id"], e["start_date"][:10])] += e["timetaken"]
    assert len(data["Timesheet"]) == len(by_day)
    for sheet in data["Timesheet"]:
        assert sheet["actual_hours"] == pytest.approx(by_day[(sheet["agent_id"], sheet["date"][:10])], abs=0.01)


def test_hours_logged_for_a_client_this_month_agree_between_actions_and_timesheets(
    data: dict[str, list[dict[str, Any]]],
) -> None:
    month_start = NOW.replace(day=1, hour=0, minute=0, second=0, microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    ticket_client = {t["id"]: t["client_id"] for t in data["Tickets"]}
    from_actions: dict[int, float] = defaultdict(float)
    for a in data["Actions"]:
        if a["who_agentid"] and a["timetaken"] > 0 and a["datetime"] >= month_start:
            from_actions[ticket_client[a["ticket_id"]]] += a["timetaken"]
    from_events: dict[int, float] = defaultdict(float)
    for e in data["TimesheetEvent"]:
        if e["ticket_id"] and e["end_date"] >= month_start:
            from_events[e["client_id"]] += e["timetaken"]
    assert from_actions and set(from_actions) == set(from_events)
    for client_id, hours in from_actions.items():
        assert from_events[client_id] == pytest.approx(hours, abs=0.01)
    ends = {c["client_id"]: c["end_date"] for c in data["ClientContract"] if c.get("allowprepay")}
    assert ends and all(end > month_start for end in ends.values())  # "when does it end" has an answer

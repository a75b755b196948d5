"""Issue 11, "fewer calls per job": each job that took several tool calls takes one, checked against Halo's state.

Every scenario runs through the MCP client against the sandbox; `counted` reads the sandbox's request counters around
one tool call, so each test also pins what the call costs in Halo requests (token requests excluded).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import mcp_types as types
import pytest
from mcp import Client

from halo_mcp.config import ServerSettings
from halo_mcp.costs import compact_json, count, result_tokens
from halo_mcp.sandbox import Sandbox
from halo_mcp.server.surface import Surface
from tests.helpers import Raw, api_calls, failed, halo_settings_for, ok, rows, text

pytestmark = pytest.mark.anyio
SENTINELS = ("1899", "1900", "0001")


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    """A private sandbox: these tests write, and read its request counters."""
    with Sandbox(seed=1) as sandbox:
        yield sandbox


@pytest.fixture
def raw(sb: Sandbox) -> Iterator[Raw]:
    ground_truth = Raw(sb)
    yield ground_truth
    ground_truth.close()


@pytest.fixture
async def client(sb: Sandbox) -> AsyncIterator[Client]:
    surface = Surface(halo_settings_for(sb), ServerSettings(toolsets="all", structured_output="always"))
    async with Client(surface.server) as c:
        yield c
    await surface.aclose()


async def counted(sb: Sandbox, call: Awaitable[types.CallToolResult]) -> tuple[types.CallToolResult, int]:
    """A tool call and the Halo API requests it cost."""
    sb.reset_counters()
    result = await call
    return result, api_calls(sb.counters())


def halo_date(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value or value.startswith(SENTINELS):
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# -- 1. counting and grouping -------------------------------------------------------------------------------------


async def test_one_call_counts_tickets_per_client_over_a_period_with_halos_sql(
    sb: Sandbox, client: Client, raw: Raw
) -> None:
    start, end = date.today() - timedelta(days=90), date.today() - timedelta(days=1)
    args = {"group_by": "client", "state": "all", "created_from": start.isoformat(), "created_to": end.isoformat()}
    result, cost = await counted(sb, client.call_tool("list_tickets", args))
    body = ok(result)
    assert "reporting SQL" in body and "now " in body
    truth = Counter(
        t["client_name"]
        for t in raw.all("Tickets", "tickets")
        if start <= (halo_date(t["dateoccurred"]) or datetime.min.replace(tzinfo=UTC)).date() <= end
    )
    assert {r["client"]: r["tickets"] for r in rows(result)} == dict(truth)
    assert cost == 3  # the status and ticket-type tables (open/closed, tickets only), then one SQL query
    again, warm = await counted(sb, client.call_tool("list_tickets", args))
    assert rows(again) == rows(result) and warm == 1


async def test_grouping_by_sla_state_or_without_report_rights_counts_by_bounded_paging(
    sb: Sandbox, client: Client, raw: Raw
) -> None:
    by_sla, cost = await counted(sb, client.call_tool("list_tickets", {"group_by": "sla"}))
    assert "paging GET /Tickets" in ok(by_sla)
    open_total = raw.get("Tickets", pageinate=True, page_size=1, open_only=True)["record_count"]
    assert sum(r["tickets"] for r in rows(by_sla)) == open_total
    assert {r["sla"] for r in rows(by_sla)} <= {"breached", "at risk", "ok"}
    assert cost <= 3  # two pages of 100 open tickets (plus nothing else: SLA state needs no names)

    # A connection scoped to tickets only may not run reports: the same question is answered by paging, exactly.
    scoped = Surface(halo_settings_for(sb), ServerSettings(toolsets="tickets", structured_output="always"))
    try:
        async with Client(scoped.server) as tickets_only:
            paged = await tickets_only.call_tool("list_tickets", {"group_by": "priority"})
            sql = await client.call_tool("list_tickets", {"group_by": "priority"})
    finally:
        await scoped.aclose()
    assert "paging GET /Tickets" in ok(paged) and "reporting SQL" in ok(sql)
    assert sorted(rows(paged), key=str) == sorted(rows(sql), key=str)


# -- 2. names scoped by the other arguments ------------------------------------------------------------------------


async def test_a_site_named_with_a_client_is_found_within_that_client(sb: Sandbox, client: Client, raw: Raw) -> None:
    wayne = next(c for c in raw.get("Client")["clients"] if c["name"] == "Wayne Enterprises")
    # "Data Centre" alone names two clients' sites; with the client it is Wayne's one.
    result, cost = await counted(
        sb, client.call_tool("list_tickets", {"client": "Wayne", "site": "Data Centre", "state": "all", "limit": 20})
    )
    listed = rows(result)
    site = next(s for s in raw.get("Site", client_id=wayne["id"])["sites"] if "Data Centre" in s["name"])
    assert listed and {r["site"] for r in listed} == {site["name"]}
    assert all(raw.get(f"Tickets/{r['id']}")["site_id"] == site["id"] for r in listed[:3])
    assert cost == 4  # the client, then the site within it, the list, and the priority names its rows lack

    before = raw.get("Tickets", pageinate=True, page_size=1, state="all")["record_count"]
    message = failed(
        await client.call_tool("create_ticket", {"summary": "Printer jam", "client": "Globex", "site": "Office"})
    )
    assert "Dublin Office" in message and "Edinburgh Office" in message and "Globex Corporation" in message
    assert "London Office" not in message  # another client's site is never a candidate
    assert raw.get("Tickets", pageinate=True, page_size=1, state="all")["record_count"] == before

    sites = rows(await client.call_tool("lookup", {"kind": "site", "client": "Acme Corp"}))
    assert {s["name"] for s in sites} == {"Manchester HQ", "London Office", "Leeds Warehouse"}
    assert {s["client_name"] for s in sites} == {"Acme Corp"}


# -- 3. duplicates first ---------------------------------------------------------------------------------------------


async def test_find_similar_puts_the_clients_open_near_identical_ticket_first(
    sb: Sandbox, client: Client, raw: Raw
) -> None:
    created = await client.call_tool(
        "create_ticket",
        {"summary": "Badge reader at the loading dock rejects every card", "client": "Stark Industries",
         "details": "Since the firmware update no badge opens the loading dock door.", "ticket_type": "Incident"},
    )  # fmt: skip
    original = int((created.structured_content or {})["id"])
    text_now = "The badge reader at the loading dock rejects every card"
    result, cost = await counted(sb, client.call_tool("find_similar", {"text": text_now, "client": "Stark"}))
    found = rows(result)
    assert found[0]["id"] == original and "likely duplicate" in found[0]["state"]
    assert raw.get(f"Tickets/{original}")["client_name"] == "Stark Industries"
    resolved = [r for r in found[1:] if r["type"] == "ticket" and r.get("resolution")]
    assert all("duplicate" not in r["state"] for r in resolved)
    assert cost <= 40  # a cold index: recent tickets and KB pages, the client's open tickets, a few resolutions
    # Another client's near-identical ticket is no duplicate.
    other = rows(await client.call_tool("find_similar", {"text": text_now, "client": "Acme Corp"}))
    assert not any("duplicate" in str(r.get("state")) for r in other)


# -- 4. SLA that means something -------------------------------------------------------------------------------------


async def test_both_sla_targets_count_and_rows_show_the_deadlines(sb: Sandbox, client: Client, raw: Raw) -> None:
    now = datetime.now(UTC)
    open_rows = raw.all("Tickets", "tickets", open_only=True)
    unanswered_late = [
        t["id"] for t in open_rows
        if halo_date(t.get("responsedate")) is None and (halo_date(t.get("respondbydate")) or now) < now
        and (halo_date(t.get("fixbydate")) or now) > now
    ]  # fmt: skip
    assert unanswered_late, "the seed has never-answered tickets past their respond-by time"
    breached, cost = await counted(sb, client.call_tool("list_tickets", {"sla": "breached", "limit": 100}))
    body = ok(breached)
    assert f"now {now:%Y-%m-%d}" in body
    flagged = {r["id"]: r for r in rows(breached)}
    assert set(unanswered_late) <= set(flagged)
    hours = {i: (int(flagged[i]["respond_by"][:-1]), int(flagged[i]["fix_by"][:-1])) for i in unanswered_late}
    assert all(respond <= 0 <= fix for respond, fix in hours.values()), hours
    assert cost <= 3  # open tickets in pages of 100, and the priority names the rows lack

    # A ticket answered in time whose fix-by is 1h away is at risk (under 2h left).
    created = await client.call_tool(
        "create_ticket", {"summary": "Core switch fan alarm", "client": "Oscorp", "priority": "P1", "details": "x"}
    )
    ticket_id = int((created.structured_content or {})["id"])
    soon = datetime.now(UTC) + timedelta(hours=1)
    raw.post("Tickets", [{"id": ticket_id, "fixbydate": soon.isoformat(timespec="seconds").replace("+00:00", "Z")}])
    ok(await client.call_tool("add_action", {"ticket_id": ticket_id, "outcome": "Email User", "note": "On it"}))
    fix_by = halo_date(raw.get(f"Tickets/{ticket_id}")["fixbydate"])
    assert fix_by is not None and timedelta(0) < fix_by - datetime.now(UTC) < timedelta(hours=2)
    at_risk = rows(await client.call_tool("list_tickets", {"sla": "at_risk", "client": "Oscorp", "limit": 50}))
    row = next(r for r in at_risk if r["id"] == ticket_id)
    assert row["sla"] == "at risk" and row["fix_by"] in ("0h", "1h", "2h") and "respond_by" not in row


# -- 5. unassigned and "me" ------------------------------------------------------------------------------------------


async def test_unassigned_is_a_filter_value_and_me_names_the_connections_agent(
    sb: Sandbox, client: Client, raw: Raw
) -> None:
    result, cost = await counted(sb, client.call_tool("list_tickets", {"agent": "unassigned", "limit": 10}))
    listed = rows(result)
    assert listed and all("agent" not in r for r in listed)
    assert all(raw.get(f"Tickets/{r['id']}")["agent_id"] in (0, None) for r in listed)
    assert cost == 2  # one page of 100 open tickets, filtered here, and the priority names its rows lack
    no_team = await client.call_tool("list_tickets", {"team": "unassigned", "limit": 5})
    assert all(not r.get("team") for r in rows(no_team)), text(no_team)

    me = rows(await client.call_tool("lookup", {"kind": "agent", "query": "me"}))
    assert [a["id"] for a in me] == [raw.get("Agent/me")["id"]]

    # Under client credentials "me" is the API application's agent: the result says so.
    api_agent = next(a for a in raw.get("Agent", includeapiagents=True) if a.get("isapiagent"))
    client_id, secret = sb.create_app(scopes="all", agent_id=api_agent["id"])
    surface = Surface(halo_settings_for(sb, client_id=client_id, client_secret=secret), ServerSettings())
    try:
        async with Client(surface.server) as as_app:
            ticket = listed[0]["id"]
            assigned = await as_app.call_tool("assign_ticket", {"ticket_id": ticket, "agent": "me"})
    finally:
        await surface.aclose()
    assert "API application" in ok(assigned) and "halo-mcp login" in text(assigned)
    assert raw.get(f"Tickets/{ticket}")["agent_id"] == api_agent["id"]


# -- 6. closing a ticket ---------------------------------------------------------------------------------------------


async def test_closing_is_one_call_with_a_resolution_and_logs_no_time_unasked(
    sb: Sandbox, client: Client, raw: Raw
) -> None:
    ticket = raw.get("Tickets", pageinate=True, page_size=1, open_only=True, client_id=3)["tickets"][0]
    before = raw.get(f"Tickets/{ticket['id']}")
    resolve = next(o for o in raw.get("Outcome") if o["outcome"] == "Resolve")
    assert resolve["defaultmanhrs"] > 0  # the outcome Halo picks for closing has a default time
    note = "Replaced the charger; battery holds a full day again."
    result, cost = await counted(
        sb, client.call_tool("add_action", {"ticket_id": ticket["id"], "close": True, "note": note})
    )
    state = result.structured_content or {}
    assert ok(result) and state["minutes_logged"] == 0
    after = raw.get(f"Tickets/{ticket['id']}")
    closed = {s["id"] for s in raw.get("Status") if s["type"] == 2}
    assert after["status_id"] in closed and float(after["timetaken"]) == float(before["timetaken"])
    action = raw.get("Actions", ticket_id=ticket["id"])["actions"][-1]
    assert action["note"] == note and float(action["timetaken"]) == 0
    assert cost <= 5  # cold name tables (outcomes, statuses, agents...), then one POST /Actions with the ticket
    reopen = {"ticket_id": ticket["id"], "outcome": "Private Note", "note": "Customer confirmed.", "new_status": "New"}
    _, warm = await counted(sb, client.call_tool("add_action", reopen))
    assert warm == 1  # warm: the action alone, the ticket's new state included in the same response
    assert "close=true" in failed(await client.call_tool("add_action", {"ticket_id": ticket["id"]}))


# -- 7. rows that answer the next question ---------------------------------------------------------------------------


async def test_rows_carry_site_authors_asset_names_counts_and_what_teams_handle(
    sb: Sandbox, client: Client, raw: Raw
) -> None:
    listed = rows(await client.call_tool("list_tickets", {"limit": 10}))
    for r in listed[:3]:
        site_id = raw.get(f"Tickets/{r['id']}")["site_id"]
        assert r.get("site") == (raw.get(f"Site/{site_id}")["name"] if site_id else None)

    candidates = raw.get("Tickets", pageinate=True, page_size=30, client_id=3, search="laptop")["tickets"]
    with_asset = next(t for t in (raw.get(f"Tickets/{c['id']}") for c in candidates) if t.get("assets"))
    got = (
        await client.call_tool("get_ticket", {"id": with_asset["id"], "actions": 5, "assets": True})
    ).structured_content
    assert got is not None
    assert all(a.get("who") and a.get("when") for a in got["actions"])
    asset = raw.get(f"Asset/{with_asset['assets'][0]['id']}")
    assert got["assets"][0]["name"] == asset["key_field"]

    clients, cost = await counted(sb, client.call_tool("find_clients", {}))
    truth = Counter(t["client_id"] for t in raw.all("Tickets", "tickets", open_only=True))
    assert {r["id"]: r["open_ticket_count"] for r in rows(clients)} == {c: truth.get(c, 0) for c in range(1, 9)}
    assert max(truth.values()) > 0 and cost <= 4  # clients, status and type tables, one SQL count

    teams = {r["name"]: r["handles"] for r in rows(await client.call_tool("lookup", {"kind": "team"}))}
    assert "Network>VPN" in teams["Network"] and "Hardware>Laptop" in teams["Service Desk"]
    _, warm = await counted(sb, client.call_tool("lookup", {"kind": "team", "query": "netwrk"}))
    assert warm == 0  # the team table and what each team handles are cached together

    quotes = await client.call_tool(
        "call_operation", {"operation": "GET /Quotation", "arguments": {"client_id": "Stark"}}
    )
    stark = next(c["id"] for c in raw.get("Client")["clients"] if c["name"] == "Stark Industries")
    assert {int(r["client_id"]) for r in rows(quotes)} == {stark}


# -- 8. every copy counts --------------------------------------------------------------------------------------------


async def test_by_default_only_tools_with_an_output_schema_send_a_structured_copy(sb: Sandbox) -> None:
    surface = Surface(halo_settings_for(sb), ServerSettings(structured_output="declared"))  # the default
    try:
        async with Client(surface.server) as default:
            page = await default.call_tool("list_tickets", {"limit": 50})
    finally:
        await surface.aclose()
    assert page.structured_content is None and len(text(page).splitlines()) == 52  # header, columns, 50 rows
    raw = Raw(sb)
    try:
        theirs = count(compact_json(raw.get("Tickets", pageinate=True, page_size=50, open_only=True, order="id")))
    finally:
        raw.close()
    assert result_tokens(page) <= 0.10 * theirs


async def test_without_asset_or_report_rights_the_extras_degrade_to_what_the_token_can_read(sb: Sandbox) -> None:
    """A tickets-only token: linked assets stay ids, client counts come from Halo's own fields; nothing fails."""
    scoped = Surface(halo_settings_for(sb), ServerSettings(toolsets="tickets,directory", structured_output="always"))
    raw = Raw(sb)
    try:
        candidates = raw.get("Tickets", pageinate=True, page_size=30, client_id=3, search="laptop")["tickets"]
        with_asset = next(t for t in (raw.get(f"Tickets/{c['id']}") for c in candidates) if t.get("assets"))
        async with Client(scoped.server) as limited:
            read = await limited.call_tool("get_ticket", {"id": with_asset["id"], "assets": True})
            clients = await limited.call_tool("find_clients", {})
    finally:
        raw.close()
        await scoped.aclose()
    assert ok(read) and (read.structured_content or {})["assets"][0]["id"] == with_asset["assets"][0]["id"]
    assert ok(clients) and rows(clients)

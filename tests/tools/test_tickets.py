"""Ticket tools over real MCP (in memory) and real HTTP to the sandbox: filters, paging, writes, actions, costs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from mcp import Client

from halo_mcp.config import ServerSettings
from halo_mcp.costs import count, result_tokens, tool_tokens
from halo_mcp.sandbox import Sandbox
from halo_mcp.server.surface import Surface
from tests.helpers import Raw, api_calls, failed, halo_settings_for, ok, rows, run, text

pytestmark = pytest.mark.anyio

TICKET_TOOLS = [
    "list_tickets", "get_ticket", "create_ticket", "update_ticket", "add_action", "add_note", "log_time",
    "assign_ticket",
]  # fmt: skip
TOOLS_BUDGET = 1_500  # measured 1,467 tokens (o200k_base) for the eight tools


# -- raw Halo access, to check what the tools did without going through them ------------------------------


@pytest.fixture
def raw(sandbox: Sandbox) -> Iterator[Raw]:
    r = Raw(sandbox)
    yield r
    r.close()


async def some_open_ticket(client: Client) -> dict[str, Any]:
    result = await run(client, "list_tickets", limit=1, ticket_type="Incident")
    return rows(result)[0]


async def new_ticket(client: Client, **extra: Any) -> int:
    args = {
        "summary": "Printer on 3rd floor jams",
        "details": "Paper jams every few pages.",
        "client": "Acme Corp",
        "ticket_type": "Incident",
        **extra,
    }
    result = await run(client, "create_ticket", **args)
    ok(result)
    assert result.structured_content is not None
    return int(result.structured_content["id"])


# -- tools/list ----------------------------------------------------------------------------------------------


async def test_ticket_tools_are_listed_within_their_token_budget(client: Client) -> None:
    listing = {t.name: t for t in (await client.list_tools()).tools}
    assert all(name in listing for name in TICKET_TOOLS)
    costs = {name: tool_tokens(listing[name]) for name in TICKET_TOOLS}
    assert sum(costs.values()) <= TOOLS_BUDGET, costs
    assert all(cost <= (400 if name == "list_tickets" else 300) for name, cost in costs.items()), costs
    # The model is taught that notes, status and time are actions, not ticket edits.
    assert "add_action" in (listing["update_ticket"].description or "")
    assert "actions" in (listing["add_action"].description or "")
    assert listing["list_tickets"].annotations and listing["list_tickets"].annotations.read_only_hint
    assert listing["create_ticket"].annotations and not listing["create_ticket"].annotations.read_only_hint


# -- list_tickets --------------------------------------------------------------------------------------------


async def test_list_tickets_default_is_compact_open_and_newest_first(client: Client, raw: Raw) -> None:
    result = await run(client, "list_tickets", limit=10)
    body = ok(result)
    assert body.startswith("10 tickets of ")
    assert "cursor=" in body
    data = rows(result)
    assert len(data) == 10
    ids = [r["id"] for r in data]
    assert ids == sorted(ids, reverse=True)
    closed = {s["name"] for s in raw.get("Status") if s.get("type") == 2}
    assert not any(r.get("status") in closed for r in data)
    columns = result.structured_content["columns"]  # type: ignore[index]
    assert columns[:3] == ["id", "summary", "status"]
    assert not any(c.endswith("_id") for c in columns)  # names, not ids
    assert "\n  " not in body and "{" not in body.split("\n", 1)[1]  # no indentation, no JSON in the text
    assert "«" in body  # ticket summaries are user-written: delimited


async def test_list_tickets_pages_with_a_cursor_without_overlap(client: Client) -> None:
    first = await run(client, "list_tickets", team="Network", limit=5)
    cursor = first.structured_content["next_cursor"]  # type: ignore[index]
    second = await run(client, "list_tickets", team="Network", limit=5, cursor=cursor)
    a, b = [r["id"] for r in rows(first)], [r["id"] for r in rows(second)]
    assert len(b) == 5 and not set(a) & set(b)
    assert max(b) < min(a)


async def test_list_tickets_rejects_a_bad_or_foreign_cursor(client: Client) -> None:
    assert "invalid cursor" in failed(await run(client, "list_tickets", cursor="not-a-cursor!"))
    first = await run(client, "list_tickets", team="Network", limit=2)
    cursor = first.structured_content["next_cursor"]  # type: ignore[index]
    message = failed(await run(client, "list_tickets", team="Security", limit=2, cursor=cursor))
    assert "different list_tickets query" in message


@pytest.mark.parametrize(
    ("arguments", "column", "expected"),
    [
        ({"team": "Network", "fields": ["team"]}, "team", {"Network"}),
        ({"team": "network", "fields": ["team"]}, "team", {"Network"}),
        ({"priority": "P2"}, "priority", {"P2"}),
        ({"priority": "P1 - Critical"}, "priority", {"P1"}),
        ({"client": "Acme Corp"}, "client", {"Acme Corp"}),
        ({"status": "In Progress"}, "status", {"In Progress"}),
    ],
)
async def test_list_tickets_filters_by_name(
    client: Client, arguments: dict[str, Any], column: str, expected: set[str]
) -> None:
    data = rows(await run(client, "list_tickets", limit=40, **arguments))
    assert data
    assert {r[column] for r in data} == expected


async def test_list_tickets_filters_by_ids_too(client: Client, raw: Raw) -> None:
    team = next(t for t in raw.get("Team") if t["name"] == "Network")
    data = rows(await run(client, "list_tickets", team=team["id"], limit=10, fields=["team"]))
    assert data and {r["team"] for r in data} == {"Network"}


async def test_list_tickets_agent_me_site_user_type_and_category(client: Client, raw: Raw) -> None:
    me = raw.get("Agent/me")
    mine = rows(await run(client, "list_tickets", agent="me", state="all", limit=20))
    assert mine and {r["agent"] for r in mine} == {me["name"]}

    ticket = (raw.get("Tickets", pageinate=True, page_size=1, open_only=True))["tickets"][0]
    by_site = await run(client, "list_tickets", site=ticket["site_id"], state="all", limit=100)
    assert ticket["id"] in [r["id"] for r in rows(by_site)]
    by_user = rows(await run(client, "list_tickets", user=ticket["user_id"], state="all", limit=100, fields=["user"]))
    assert by_user and {r["user"] for r in by_user} == {ticket["user_name"]}

    problems = await run(
        client, "list_tickets", ticket_type="Problem", state="all", limit=50, fields=["tickettype_name"]
    )
    assert {r["tickettype_name"] for r in rows(problems)} == {"Problem"}

    vpn = await run(client, "list_tickets", category="Network>VPN", state="all", limit=50, fields=["category_1"])
    assert rows(vpn) and {r["category_1"] for r in rows(vpn)} == {"Network>VPN"}


async def test_list_tickets_state_closed_and_all(client: Client, raw: Raw) -> None:
    closed_names = {s["name"] for s in raw.get("Status") if s.get("type") == 2}
    closed = rows(await run(client, "list_tickets", state="closed", limit=30))
    assert closed and {r["status"] for r in closed} <= closed_names
    everything = await run(client, "list_tickets", state="all", limit=1)
    opened = await run(client, "list_tickets", limit=1)
    assert everything.structured_content["total"] > opened.structured_content["total"]  # type: ignore[index]


async def test_list_tickets_free_text_and_date_ranges(client: Client) -> None:
    vpn = rows(await run(client, "list_tickets", search="VPN", state="all", limit=20))
    assert vpn and all("vpn" in r["summary"].lower() or "VPN" for r in vpn)
    recent = rows(await run(client, "list_tickets", state="all", created_from="2000-01-01", limit=5, fields=["opened"]))
    assert recent
    opened = recent[-1]["opened"]
    window = rows(
        await run(
            client, "list_tickets", state="all", created_from=opened, created_to=f"{opened}T23:59:59", limit=100,
            fields=["opened"],
        )
    )  # fmt: skip
    assert window and {r["opened"] for r in window} == {opened}
    none = await run(client, "list_tickets", state="all", updated_to="2001-01-01")
    assert "no tickets found" in ok(none)
    assert "not an ISO date" in failed(await run(client, "list_tickets", created_from="last tuesday"))


async def test_list_tickets_sla_breached_and_at_risk(client: Client, raw: Raw) -> None:
    breached = await run(client, "list_tickets", sla="breached", limit=10)
    data = rows(breached)
    assert data and {r["sla"] for r in data} == {"breached"}
    for row in data[:3]:  # past fix-by (Halo's slastate), or past respond-by while unanswered
        ticket = raw.get(f"Tickets/{row['id']}")
        unanswered = str(ticket.get("responsedate") or "1900").startswith(("1899", "1900", "0001"))
        respond_by = datetime.fromisoformat(ticket["respondbydate"].replace("Z", "+00:00"))
        late_answer = unanswered and respond_by.replace(tzinfo=respond_by.tzinfo or UTC) < datetime.now(UTC)
        assert ticket["slastate"] == "breached" or late_answer, ticket
    # the scan resumes where it stopped: page two continues without overlap
    cursor = breached.structured_content.get("next_cursor")  # type: ignore[union-attr]
    if cursor:
        more = rows(await run(client, "list_tickets", sla="breached", limit=10, cursor=cursor))
        assert not {r["id"] for r in more} & {r["id"] for r in data}
        assert {r["sla"] for r in more} <= {"breached"}
    at_risk = rows(await run(client, "list_tickets", sla="at_risk", limit=5))
    assert {r["sla"] for r in at_risk} <= {"at risk"}


async def test_list_tickets_unknown_and_ambiguous_names_give_candidates(client: Client) -> None:
    typo = failed(await run(client, "list_tickets", team="Netwrok"))
    assert "Network" in typo and "id" in typo
    ambiguous = failed(await run(client, "list_tickets", site="Sunnyvale"))
    assert "Sunnyvale Campus" in ambiguous and "Sunnyvale Data Centre" in ambiguous


async def test_list_tickets_empty_result_says_so(client: Client) -> None:
    result = await run(client, "list_tickets", search="zzqx-no-such-words")
    assert "no tickets found" in ok(result)
    assert result.structured_content == {"columns": [], "rows": []}


async def test_list_tickets_extra_fields(client: Client) -> None:
    result = await run(client, "list_tickets", limit=3, fields=["impact", "details", "not_a_field"])
    body = ok(result)
    columns = result.structured_content["columns"]  # type: ignore[index]
    assert "details" in columns
    assert "not_a_field" in body.split("\n", 1)[0]  # the header says it is not in list rows


async def test_list_tickets_page_costs_a_fraction_of_halo_json(client: Client, raw: Raw) -> None:
    halo = raw.response(
        "Tickets", pageinate=True, page_size=50, page_no=1, open_only=True, order="id", orderdesc=True
    ).text
    result = await run(client, "list_tickets", limit=50)
    assert len(rows(result)) == 50
    ours, theirs = result_tokens(result), count(halo)
    ratio = ours / theirs
    print(f"list_tickets 50 rows: {ours} tokens vs Halo raw {theirs} tokens = {ratio:.3f}x")
    assert ratio <= 0.25
    # the same tickets: our rows are Halo's rows
    assert [r["id"] for r in rows(result)] == [t["id"] for t in json.loads(halo)["tickets"]]


# -- get_ticket ----------------------------------------------------------------------------------------------


async def test_get_ticket_in_full_with_actions_and_assets(client: Client, raw: Raw) -> None:
    listing = raw.get("Tickets", pageinate=True, page_size=100)
    ticket: dict[str, Any] = {}
    for candidate in listing["tickets"]:
        if (raw.get(f"Tickets/{candidate['id']}")).get("assets"):
            ticket = candidate
            break
    assert ticket, "the seed links assets to some tickets"
    halo = raw.get(f"Tickets/{ticket['id']}", includedetails=True)
    halo_actions = (raw.get("Actions", ticket_id=ticket["id"]))["actions"]
    result = await run(client, "get_ticket", id=ticket["id"], actions=3, assets=True)
    body = ok(result)
    record = result.structured_content
    assert record is not None
    assert record["id"] == ticket["id"]
    assert record["status"].startswith(ticket["status_name"])  # the list row names it; the single read does not
    assert f"(id {halo['status_id']})" in record["status"]  # names beside ids
    assert record["summary"] == halo["summary"] and f"summary: «{halo['summary']}»" in body
    assert "details: «" in body
    assert len(record["actions"]) == min(3, len(halo_actions))
    numbers = [a["n"] for a in record["actions"]]
    assert numbers == sorted(numbers, reverse=True)  # newest first
    assert record["assets"] and record["assets"][0]["id"] == halo["assets"][0]["id"]
    assert "1900-01-01" not in body and "null" not in body
    assert "\n  " in body  # the nested actions table


async def test_get_ticket_truncates_long_details_with_a_way_to_get_more(client: Client) -> None:
    long_details = "The VPN drops. " * 500
    ticket_id = await new_ticket(client, details=long_details)
    short = await run(client, "get_ticket", id=ticket_id)
    assert "full=true" in ok(short) and "…[+" in text(short)
    assert len(short.structured_content["details"]) < 4200  # type: ignore[index]
    full = await run(client, "get_ticket", id=ticket_id, full=True)
    assert full.structured_content["details"] == long_details.strip()  # type: ignore[index]


async def test_get_ticket_unknown_id(client: Client) -> None:
    assert "no ticket 99999999" in failed(await run(client, "get_ticket", id=99999999))


# -- create_ticket -------------------------------------------------------------------------------------------


async def test_create_ticket_by_names_sends_ids(client: Client, raw: Raw) -> None:
    result = await run(
        client,
        "create_ticket",
        summary="Laptop will not boot",
        details="Black screen after update.",
        client="Stark Industries",
        ticket_type="Service Request",
        team="Service Desk",
        agent="me",
        priority="P3",
        impact=2,
        urgency=2,
    )
    body = ok(result)
    record = result.structured_content
    assert record is not None and body.startswith(f"created ticket {record['id']}")
    assert record["client"].startswith("Stark Industries") and record["team"] == "Service Desk"
    halo = raw.get(f"Tickets/{record['id']}")
    me = raw.get("Agent/me")
    assert halo["client_name"] == "Stark Industries"
    assert halo["tickettype"]["name"] == "Service Request"  # single reads nest the type (facts §17)
    assert halo["team"] == "Service Desk"
    assert halo["agent_id"] == me["id"]
    assert halo["priority"]["name"] == "P3 - Medium"
    assert (halo["impact"], halo["urgency"]) == (2, 2)


async def test_create_ticket_user_site_category_and_custom_fields(client: Client, raw: Raw) -> None:
    user = (raw.get("Users", pageinate=True, page_size=1))["users"][0]
    result = await run(
        client,
        "create_ticket",
        summary="Need VPN access",
        details="Starting next week.",
        user=user["id"],
        category="Network>VPN",
        ticket_type="Problem",
        custom_fields={"CFReference": "ABC-1"},
    )
    ok(result)
    halo = raw.get(f"Tickets/{result.structured_content['id']}")  # type: ignore[index]
    assert halo["user_id"] == user["id"]
    assert halo["site_id"] == user["site_id"]  # Halo derives site and client from the user
    assert halo["category_1"] == "Network>VPN"
    assert {"name": "CFReference", "value": "ABC-1"} in halo["customfields"]


async def test_create_ticket_validation_error_says_what_to_pass(client: Client) -> None:
    message = failed(
        await run(client, "create_ticket", summary="Root cause of outages", details="x", ticket_type="Problem")
    )
    assert "Halo needs category for ticket type 'Problem'" in message
    assert "pass category" in message


async def test_create_ticket_typo_yields_candidates_and_creates_nothing(fresh_sandbox: Sandbox) -> None:
    surface = Surface(halo_settings_for(fresh_sandbox), ServerSettings(toolsets="all"))
    try:
        async with Client(surface.server) as c:
            fresh_sandbox.reset_counters()
            message = failed(await run(c, "create_ticket", summary="VPN down", team="Netwrok"))
            assert "did you mean" in message and "Network" in message
            routes = fresh_sandbox.counters()["routes"]
            assert not [r for r in routes if r.startswith("POST /api")], routes
    finally:
        await surface.aclose()


async def test_warm_create_ticket_by_names_costs_at_most_two_requests(fresh_sandbox: Sandbox) -> None:
    surface = Surface(halo_settings_for(fresh_sandbox), ServerSettings(toolsets="all"))
    names = {"client": "Wayne Enterprises", "team": "Network", "priority": "P2", "ticket_type": "Incident"}
    try:
        async with Client(surface.server) as c:
            fresh_sandbox.reset_counters()
            ok(await run(c, "create_ticket", summary="Cold", details="first", **names))
            cold = api_calls(fresh_sandbox.counters())
            fresh_sandbox.reset_counters()
            ok(await run(c, "create_ticket", summary="Warm", details="second", **names))
            warm = api_calls(fresh_sandbox.counters())
    finally:
        await surface.aclose()
    print(f"create_ticket Halo requests: cold {cold}, warm {warm}")
    assert warm <= 2
    assert cold <= 6


async def test_write_is_denied_with_a_read_only_app(sandbox: Sandbox) -> None:
    client_id, secret = sandbox.create_app(scopes="read:tickets")
    settings = halo_settings_for(sandbox, client_id=client_id, client_secret=secret)
    surface = Surface(settings, ServerSettings(toolsets="tickets"))
    try:
        async with Client(surface.server) as c:
            assert rows(await run(c, "list_tickets", limit=1))  # reading is allowed
            message = failed(await run(c, "create_ticket", summary="x", details="y", ticket_type=1))
            assert "denied" in message.lower() or "403" in message
            message = failed(await run(c, "add_note", ticket_id=1, note="hello"))
            assert "denied" in message.lower() or "403" in message
    finally:
        await surface.aclose()


# -- update_ticket -------------------------------------------------------------------------------------------


async def test_update_ticket_edits_fields(client: Client, raw: Raw) -> None:
    ticket_id = await new_ticket(client)
    result = await run(client, "update_ticket", id=ticket_id, summary="Printer jams (3rd floor)", priority="P1")
    assert f"updated ticket {ticket_id} (summary, priority)" in ok(result)
    halo = raw.get(f"Tickets/{ticket_id}")
    assert halo["summary"] == "Printer jams (3rd floor)"
    assert halo["priority"]["name"] == "P1 - Critical"


async def test_update_ticket_cannot_create(client: Client, raw: Raw) -> None:
    before = (raw.get("Tickets", pageinate=True, page_size=1, order="id", orderdesc=True))["tickets"][0]["id"]
    message = failed(await run(client, "update_ticket", id=before + 1000, summary="ghost"))
    assert f"no ticket {before + 1000}" in message
    after = (raw.get("Tickets", pageinate=True, page_size=1, order="id", orderdesc=True))["tickets"][0]["id"]
    assert after == before


async def test_update_ticket_points_status_notes_time_and_assignment_to_actions(client: Client) -> None:
    assert "add_action" in failed(await run(client, "update_ticket", id=1, status="Closed"))
    assert "add_note" in failed(await run(client, "update_ticket", id=1, note="hello"))
    assert "log_time" in failed(await run(client, "update_ticket", id=1, timetaken=1))
    assert "assign_ticket" in failed(await run(client, "update_ticket", id=1, agent="me"))
    assert "nothing to change" in failed(await run(client, "update_ticket", id=1))


# -- actions -------------------------------------------------------------------------------------------------


async def test_add_action_changes_status_agent_and_time(client: Client, raw: Raw) -> None:
    ticket_id = await new_ticket(client)
    me = raw.get("Agent/me")
    result = await run(
        client,
        "add_action",
        ticket_id=ticket_id,
        outcome="Private Note",
        note="Looking into it",
        new_status="In Progress",
        new_agent="me",
        new_team="Infrastructure",
        new_priority="P2",
        minutes=15,
    )
    body = ok(result)
    state = result.structured_content
    assert state is not None and body.startswith(f"action {state['action']} added to ticket {ticket_id}")
    assert state["status"] == "In Progress" and state["agent"] == me["name"] and state["time_minutes"] == 15
    got = (await run(client, "get_ticket", id=ticket_id, actions=1)).structured_content
    assert got is not None
    assert got["status"].startswith("In Progress") and got["agent"].startswith(me["name"])
    assert got["team"] == "Infrastructure" and got["priority"].startswith("P2 - High")
    assert got["time_minutes"] == 15
    assert got["actions"][0]["note"] == "Looking into it" and got["actions"][0]["private"] is True
    action = (raw.get("Actions", ticket_id=ticket_id))["actions"][-1]
    assert action["timetaken"] == 0.25 and action["hiddenfromuser"] is True


async def test_add_action_email_user_is_visible_and_sends(client: Client, raw: Raw) -> None:
    ticket_id = await new_ticket(client, user=(raw.get("Users", pageinate=True, page_size=1))["users"][0]["id"])
    ok(await run(client, "add_action", ticket_id=ticket_id, outcome="Email User", note="We are on it", email_user=True))
    action = (raw.get("Actions", ticket_id=ticket_id))["actions"][-1]
    assert action["sendemail"] is True and action["hiddenfromuser"] is False


async def test_add_action_resolve_by_outcome_id(client: Client, raw: Raw) -> None:
    ticket_id = await new_ticket(client)
    resolve = next(o for o in raw.get("Outcome") if o["outcome"] == "Resolve")
    result = await run(client, "add_action", ticket_id=ticket_id, outcome=resolve["id"], note="Fixed")
    assert ok(result) and result.structured_content["status"] == "Resolved"  # type: ignore[index]


async def test_add_action_errors(client: Client) -> None:
    ticket_id = (await some_open_ticket(client))["id"]
    message = failed(await run(client, "add_action", ticket_id=ticket_id, outcome="Privat Note"))
    assert "Private Note" in message
    assert "no ticket 99999999" in failed(await run(client, "add_note", ticket_id=99999999, note="x"))
    assert "'minutes'" in failed(await run(client, "log_time", ticket_id=ticket_id, minutes=0))


async def test_add_note_is_private(client: Client, raw: Raw) -> None:
    ticket_id = await new_ticket(client)
    result = await run(client, "add_note", ticket_id=ticket_id, note="Checked the toner")
    assert ok(result).startswith("note ")
    action = (raw.get("Actions", ticket_id=ticket_id))["actions"][-1]
    assert action["note"] == "Checked the toner" and action["hiddenfromuser"] is True
    assert action["outcome"] == "Private Note"


async def test_log_time_converts_minutes_to_hours(client: Client, raw: Raw) -> None:
    ticket_id = await new_ticket(client)
    before = float((raw.get(f"Tickets/{ticket_id}")).get("timetaken") or 0)
    result = await run(client, "log_time", ticket_id=ticket_id, minutes=45, note="Replaced the fuser")
    assert ok(result) and result.structured_content["minutes_logged"] == 45  # type: ignore[index]
    halo = raw.get(f"Tickets/{ticket_id}")
    assert halo["timetaken"] == pytest.approx(before + 0.75)
    action = (raw.get("Actions", ticket_id=ticket_id))["actions"][-1]
    assert action["timetaken"] == 0.75 and action["note"] == "Replaced the fuser"


async def test_assign_ticket_to_me_and_a_team(client: Client, raw: Raw) -> None:
    ticket_id = await new_ticket(client)
    me = raw.get("Agent/me")
    ok(await run(client, "assign_ticket", ticket_id=ticket_id, agent="me", team="Security"))
    halo = raw.get(f"Tickets/{ticket_id}")
    assert halo["agent_id"] == me["id"] and halo["team"] == "Security"
    ok(await run(client, "assign_ticket", ticket_id=ticket_id, team="Identity"))
    assert (raw.get(f"Tickets/{ticket_id}"))["team"] == "Identity"
    assert "pass agent" in failed(await run(client, "assign_ticket", ticket_id=ticket_id))
    assert "Security" in failed(await run(client, "assign_ticket", ticket_id=ticket_id, team="Secruity"))


async def test_writes_are_audited_with_the_records_they_touched(client: Client, surface: Surface) -> None:
    ticket_id = await new_ticket(client)
    result = await run(client, "add_note", ticket_id=ticket_id, note="audited")
    action = result.structured_content["action"]  # type: ignore[index]
    assert surface.audit is not None
    entry = surface.audit.entries(tool="add_note")[0]
    assert entry.outcome == "ok"
    assert entry.affected == [f"ticket:{ticket_id}", f"action:{ticket_id}/{action}"]


async def test_a_warm_action_costs_one_halo_request(fresh_sandbox: Sandbox) -> None:
    surface = Surface(halo_settings_for(fresh_sandbox), ServerSettings(toolsets="all"))
    async with Client(surface.server) as mcp:
        ok(await run(mcp, "add_note", ticket_id=5, note="warming the outcome table"))
        fresh_sandbox.reset_counters()
        result = await run(mcp, "log_time", ticket_id=5, minutes=15)
    await surface.aclose()
    ok(result)
    assert fresh_sandbox.counters()["total"] == 1  # the POST; the ticket's new state comes back with it
    assert result.structured_content["status"] and result.structured_content["time_minutes"] >= 15  # type: ignore[index]

"""Issue 12 items 2 and 3: time logged over a period and a client's contracts, each answered in one call.

Ground truth is read over plain HTTP (timesheet events, which the seed derives from the same logged time, and the
contract and prepay records); Halo requests are counted with the sandbox counters.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import pytest
from mcp import Client

from halo_mcp.config import ServerSettings
from halo_mcp.sandbox import Sandbox
from halo_mcp.server.surface import Surface
from tests.helpers import Raw, api_calls, failed, halo_settings_for, ok, run

pytestmark = pytest.mark.anyio


@pytest.fixture
def raw(fresh_sandbox: Sandbox) -> Iterator[Raw]:
    r = Raw(fresh_sandbox)
    yield r
    r.close()


@pytest.fixture
async def billing(fresh_sandbox: Sandbox) -> AsyncIterator[Client]:
    surface = Surface(
        halo_settings_for(fresh_sandbox), ServerSettings(toolsets="billing,tickets,reports", structured_output="always")
    )
    async with Client(surface.server) as c:
        yield c
    await surface.aclose()


def month_start() -> str:
    return datetime.now(UTC).date().replace(day=1).isoformat()


def timesheet_hours(raw: Raw, client_id: int, since: str) -> float:
    agents = ",".join(str(a["id"]) for a in raw.get("Agent"))
    events = raw.get("TimesheetEvent", agents=agents, start_date=since, end_date="2100-01-01")
    return sum(e["timetaken"] for e in events if e.get("ticket_id") and e.get("client_id") == client_id)


async def test_hours_for_a_client_this_month_are_one_report_query_and_match_the_timesheets(
    billing: Client, fresh_sandbox: Sandbox, raw: Raw
) -> None:
    expected = timesheet_hours(raw, 3, month_start())
    await run(billing, "time_logged", start=month_start(), client="3")  # warm the (cached) lookups
    fresh_sandbox.reset_counters()
    result = await run(billing, "time_logged", start=month_start(), client="Acme Corp", by="ticket")
    out = ok(result)
    assert api_calls(fresh_sandbox.counters()) <= 2  # the report query (+ the client name search, if cold)
    assert fresh_sandbox.counters()["routes"].get("POST /api/Report") == 1
    totals = (result.structured_content or {})["totals"]
    assert totals["hours"] == pytest.approx(expected, abs=0.05)
    assert totals["source"] == "reporting SQL over ACTIONS" and "source=reporting SQL over ACTIONS" in out
    assert "ticket|summary|hours" in out


async def test_time_counts_when_it_was_logged_with_the_non_billable_part_apart(
    billing: Client, fresh_sandbox: Sandbox, raw: Raw
) -> None:
    """An old ticket (opened months ago) gets 1.5 h today, 0.5 h of it non-billable."""
    old = raw.get("Tickets", pageinate=True, page_size=1, page_no=1, order="id")["tickets"][0]
    assert old["dateoccurred"][:7] < month_start()[:7]
    raw.post("Actions", [{"ticket_id": old["id"], "outcome": "Private Note", "note": "Late work",
                          "timetaken": 1.5, "nonbilltime": 0.5}])  # fmt: skip
    today = datetime.now(UTC).date().isoformat()
    fresh_sandbox.reset_counters()
    one = await run(billing, "time_logged", start=today, ticket_id=old["id"])
    totals = (one.structured_content or {})["totals"]
    assert (totals["hours"], totals["billable"], totals["non_billable"]) == (1.5, 1.0, 0.5)
    assert "GET /Actions" in totals["source"] and api_calls(fresh_sandbox.counters()) == 1
    across = await run(billing, "time_logged", start=today, client=str(old["client_id"]), by="ticket")
    mine = [r for r in (across.structured_content or {})["rows"] if r[0] == old["id"]]
    assert mine and mine[0][2:5] == [1.5, 0.5, 1]  # hours, non_billable, entries


async def test_without_the_reporting_permission_time_comes_from_timesheets_and_says_so(
    fresh_sandbox: Sandbox, raw: Raw
) -> None:
    cid, secret = fresh_sandbox.create_app(scopes="read:tickets read:timesheets read:customers read:contracts")
    settings = halo_settings_for(fresh_sandbox, client_id=cid, client_secret=secret)
    surface = Surface(settings, ServerSettings(toolsets="billing", structured_output="always"))
    async with Client(surface.server) as c:
        result = await run(c, "time_logged", start=month_start(), client="Acme Corp", by="agent")
        out = ok(result)
        totals = (result.structured_content or {})["totals"]
        assert totals["hours"] == pytest.approx(timesheet_hours(raw, 3, month_start()), abs=0.05)
        assert "timesheet events" in out and "billable" not in totals  # no split: timesheets do not record it
        refused = failed(await run(c, "time_logged", start=month_start(), team="Network"))
        assert "timesheets do not record teams" in refused
    await surface.aclose()


async def test_a_clients_contracts_show_period_allowance_and_prepay_left_in_one_call(
    billing: Client, fresh_sandbox: Sandbox, raw: Raw
) -> None:
    contracts = raw.get("ClientContract", client_id=1)["contracts"]
    running = next(raw.get(f"ClientContract/{c['id']}") for c in contracts if c["active"])
    fresh_sandbox.reset_counters()
    result = await run(billing, "client_contracts", client="Wayne Enterprises")
    out = ok(result)
    data = result.structured_content or {}
    [row] = data["contracts"]  # the ended agreement is left out unless asked for
    assert row["ref"] == running["ref"] and row["period"] == "running" and row["to"] == running["end_date"][:10]
    assert row["prepay_left"] == running["contract_prepaybalance"] and row["prepay_unit"] == "hours"
    assert row["prepay_bought"] == running["contract_prepaytotal"]
    assert row["hours_per_period"] == running["chargehoursperperiod"] and "used_this_month" in row
    assert data["prepay"]["balance_hours"] == pytest.approx(running["contract_prepaybalance"], abs=0.05)
    assert "1 ended (include_ended=true shows them)" in out
    assert api_calls(fresh_sandbox.counters()) <= 6  # client search, list, prepay, one read per contract, SQL


async def test_an_ended_contract_still_labelled_active_is_shown_with_both_and_the_period_decides(
    billing: Client,
) -> None:
    result = await run(billing, "client_contracts", client="1", include_ended=True)
    out = ok(result)
    ended = next(r for r in (result.structured_content or {})["contracts"] if r["period"] == "ended")
    assert ended["contract_status"] == "Active" and ended["active"] is False
    assert ended["halo_says"] == "disagrees with period"
    assert "the spec documents neither field, so the period decides" in out


async def test_an_agents_and_a_teams_hours_come_from_the_same_report_and_add_up(
    billing: Client, fresh_sandbox: Sandbox, raw: Raw
) -> None:
    events = raw.get("TimesheetEvent", agent_id=2, start_date=month_start(), end_date="2100-01-01")
    priya = sum(e["timetaken"] for e in events if e.get("ticket_id"))
    mine = await run(billing, "time_logged", start=month_start(), agent="Priya Nair", by="client")
    totals = (mine.structured_content or {})["totals"]
    assert totals["agent"] == "Priya Nair" and totals["hours"] == pytest.approx(priya, abs=0.05)
    team = await run(billing, "time_logged", start=month_start(), team="Network", by="agent")
    data = team.structured_content or {}
    hours = data["columns"].index("hours")
    assert data["totals"]["hours"] == pytest.approx(sum(r[hours] for r in data["rows"]), abs=0.05)
    assert data["totals"]["source"] == "reporting SQL over ACTIONS"

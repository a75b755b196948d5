"""Issue 12 item 1: one change to many tickets in one call, previewed, bounded, and honest about partial failure.

Each scenario runs through the MCP client against its own sandbox, checks Halo's end state over plain HTTP and
counts Halo requests with the sandbox counters. Faults are injected on POST only, so reads (the selection and the
read-back that settles a lost answer) are unaffected.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from mcp import Client

from halo_mcp.config import ServerSettings
from halo_mcp.sandbox import Sandbox
from halo_mcp.server.surface import Surface
from halo_mcp.tools.actions import BULK_LIMIT
from tests.helpers import Raw, failed, halo_settings_for, ok, run

pytestmark = pytest.mark.anyio


@pytest.fixture
async def bulk_client(fresh_sandbox: Sandbox) -> AsyncIterator[Client]:
    surface = Surface(halo_settings_for(fresh_sandbox), ServerSettings(toolsets="all", structured_output="always"))
    async with Client(surface.server) as c:
        yield c
    await surface.aclose()


@pytest.fixture
def raw(fresh_sandbox: Sandbox) -> Iterator[Raw]:
    r = Raw(fresh_sandbox)
    yield r
    r.close()


def open_tickets_of(raw: Raw, agent_id: int) -> list[int]:
    return [int(t["id"]) for t in raw.all("Tickets", "tickets", agent_id=agent_id, open_only=True)]


def posts(sb: Sandbox) -> int:
    return int(sb.counters().get("routes", {}).get("POST /api/Actions", 0))


def actions_with_note(raw: Raw, ticket_id: int, note: str) -> list[dict[str, Any]]:
    return [a for a in raw.get("Actions", ticket_id=ticket_id)["actions"] if a.get("note") == note]


async def test_handing_over_an_agents_open_tickets_is_one_call_with_one_write_per_ticket(
    bulk_client: Client, fresh_sandbox: Sandbox, raw: Raw
) -> None:
    theirs = open_tickets_of(raw, 2)
    assert 3 <= len(theirs) <= BULK_LIMIT
    fresh_sandbox.reset_counters()
    result = await run(bulk_client, "add_action", where={"agent": "Priya Nair"}, new_agent="Tom Hughes",
                       note="Handover: Priya is on leave")  # fmt: skip
    out = ok(result)
    assert f"{len(theirs)} tickets, {len(theirs)} done" in out
    assert posts(fresh_sandbox) == len(theirs)  # one POST /Actions per ticket, nothing retried
    assert open_tickets_of(raw, 2) == []
    for tid in theirs:
        assert raw.get(f"Tickets/{tid}")["agent_id"] == 3
        [note] = actions_with_note(raw, tid, "Handover: Priya is on leave")
        assert note["hiddenfromuser"] is True  # a reassignment without an outcome is private, as assign_ticket's


async def test_a_dry_run_shows_each_change_and_writes_nothing(
    bulk_client: Client, fresh_sandbox: Sandbox, raw: Raw
) -> None:
    theirs = open_tickets_of(raw, 2)
    fresh_sandbox.reset_counters()
    result = await run(bulk_client, "add_action", where={"agent": "2"}, outcome="Private Note", note="Chased",
                       new_priority="P1", dry_run=True)  # fmt: skip
    out = ok(result)
    assert out.startswith(f"dry run, nothing written: {len(theirs)} tickets")
    assert "priority P3 - Medium -> P1 - Critical" in out or "-> P1" in out
    assert posts(fresh_sandbox) == 0
    assert open_tickets_of(raw, 2) == theirs
    assert all(not actions_with_note(raw, tid, "Chased") for tid in theirs)


async def test_more_tickets_than_the_bound_are_refused_before_anything_is_written(
    bulk_client: Client, fresh_sandbox: Sandbox
) -> None:
    fresh_sandbox.reset_counters()
    result = await run(bulk_client, "add_action", where={"state": "all"}, outcome="Private Note", note="Mass note")
    out = failed(result)
    assert f"one call changes at most {BULK_LIMIT}; nothing was changed" in out and "narrow the filters" in out
    assert posts(fresh_sandbox) == 0


async def test_status_and_a_note_on_listed_ids_give_per_ticket_results_and_name_a_missing_ticket(
    bulk_client: Client, fresh_sandbox: Sandbox, raw: Raw
) -> None:
    ids = open_tickets_of(raw, 2)[:3]
    result = await run(bulk_client, "add_action", where={"ids": [*ids, 999999]}, outcome="Private Note",
                       note="Waiting on the vendor", new_status="Waiting on User")  # fmt: skip
    out = ok(result)
    assert "3 done, 1 failed" in out and "999999|failed|no such ticket" in out
    for tid in ids:
        assert raw.get(f"Tickets/{tid}")["status_id"] == raw_status_id(raw, "Waiting on User")
        assert len(actions_with_note(raw, tid, "Waiting on the vendor")) == 1


def raw_status_id(raw: Raw, name: str) -> int:
    return next(int(s["id"]) for s in raw.get("Status") if s["name"] == name)


async def test_a_lost_answer_and_a_5xx_mid_batch_are_settled_and_a_repeat_duplicates_nothing(
    bulk_client: Client, fresh_sandbox: Sandbox, raw: Raw
) -> None:
    """The first write's connection drops after Halo applied it; the second gets a 503 and is not applied."""
    theirs = open_tickets_of(raw, 2)
    fresh_sandbox.set_faults(
        drop_next=1, drop_when="after", error_next=1, error_status=503, methods=["POST"], paths=["/api/Actions"]
    )
    result = await run(bulk_client, "add_action", where={"ids": theirs}, new_agent="Tom Hughes", note="Handover")
    out = ok(result)
    first, second = theirs[0], theirs[1]
    assert f"{len(theirs) - 1} done, 1 failed" in out
    assert f"PARTIAL: done {first}," in out and f"not done {second}." in out
    assert f"{first}|done|agent Priya Nair -> Tom Hughes (confirmed by reading back" in out
    assert f"where={{'ids': [{second}]}}" in out
    assert raw.get(f"Tickets/{second}")["agent_id"] == 2  # not applied
    fresh_sandbox.clear_faults()

    # The model repeats the whole call: only the ticket left behind is changed.
    fresh_sandbox.reset_counters()
    again = ok(await run(bulk_client, "add_action", where={"ids": theirs}, new_agent="Tom Hughes", note="Handover"))
    assert f"{len(theirs)} tickets, {len(theirs) - 1} skipped, 1 done" in again
    assert posts(fresh_sandbox) == 1
    for tid in theirs:
        assert raw.get(f"Tickets/{tid}")["agent_id"] == 3
        assert len(actions_with_note(raw, tid, "Handover")) == 1  # exactly once, never twice


async def test_one_ticket_or_many_not_both(bulk_client: Client) -> None:
    out = failed(await run(bulk_client, "add_action", ticket_id=1, where={"ids": [2]}, new_agent="me"))
    assert "ticket_id for one ticket or where=" in out
    out = failed(await run(bulk_client, "add_action", where={"agnet": "2"}, new_agent="me"))
    assert "Filters are those of list_tickets" in out and "agent" in out


async def test_closing_several_tickets_resolves_each_once_with_the_note(
    bulk_client: Client, fresh_sandbox: Sandbox, raw: Raw
) -> None:
    ids = open_tickets_of(raw, 2)[:3]
    out = ok(await run(bulk_client, "add_action", where={"ids": ids}, close=True, note="Fixed by the firmware update"))
    assert f"{len(ids)} tickets, {len(ids)} done" in out
    closed = {int(s["id"]) for s in raw.get("Status") if s.get("type") == 2}
    for tid in ids:
        assert raw.get(f"Tickets/{tid}")["status_id"] in closed
        assert len(actions_with_note(raw, tid, "Fixed by the firmware update")) == 1


async def test_unassigned_tickets_are_chosen_row_by_row_like_list_tickets_does(
    bulk_client: Client, fresh_sandbox: Sandbox, raw: Raw
) -> None:
    unassigned = [int(t["id"]) for t in raw.all("Tickets", "tickets", open_only=True)
                  if t.get("agent_id") in (None, 0, -1)]  # fmt: skip
    assert 0 < len(unassigned) <= BULK_LIMIT
    preview = ok(await run(bulk_client, "add_action", where={"agent": "unassigned"}, new_agent="me", dry_run=True))
    assert f"dry run, nothing written: {len(unassigned)} tickets" in preview
    ok(await run(bulk_client, "add_action", where={"agent": "unassigned"}, new_agent="me"))
    assert all(raw.get(f"Tickets/{tid}")["agent_id"] not in (None, 0, -1) for tid in unassigned)


async def test_when_neither_the_answer_nor_the_read_back_comes_the_ticket_is_unknown_and_not_offered_for_retry(
    fresh_sandbox: Sandbox, raw: Raw
) -> None:
    [tid] = open_tickets_of(raw, 2)[:1]
    surface = Surface(halo_settings_for(fresh_sandbox, max_retry_wait=0.5),
                      ServerSettings(toolsets="all", structured_output="always"))  # fmt: skip
    async with Client(surface.server) as c:
        ok(await run(c, "lookup", kind="outcome"))  # warm: only the write and its read-back meet the faults
        fresh_sandbox.set_faults(drop_next=1, drop_when="after", error_rate=1.0, methods=["POST", "GET"],
                                 paths=["/api/Actions"])  # fmt: skip
        result = await run(c, "add_action", where={"ids": [tid]}, outcome="Private Note", note="Checked")
        fresh_sandbox.clear_faults()
    await surface.aclose()
    out = ok(result)
    assert f"UNKNOWN: check tickets {tid} in Halo" in out and "Repeat with" not in out
    assert (result.structured_content or {})["unknown"] == [tid]
    assert len(actions_with_note(raw, tid, "Checked")) == 1  # it was applied: a blind retry would have doubled it


async def test_a_change_without_a_note_is_settled_by_the_tickets_state_after_a_lost_answer(
    bulk_client: Client, fresh_sandbox: Sandbox, raw: Raw
) -> None:
    ids = open_tickets_of(raw, 2)[:2]
    fresh_sandbox.set_faults(drop_next=1, drop_when="after", error_next=1, error_status=502, methods=["POST"],
                             paths=["/api/Actions"])  # fmt: skip
    result = await run(bulk_client, "add_action", where={"ids": ids}, outcome="Private Note", new_priority="P1")
    fresh_sandbox.clear_faults()
    out = ok(result)
    assert f"{ids[0]}|done|" in out and "confirmed by reading back" in out
    assert f"{ids[1]}|failed|not applied" in out
    assert [raw.get(f"Tickets/{tid}")["priority_id"] == 1 for tid in ids] == [True, False]

"""Custom tools through the MCP client against the sandbox: each kind, and each kind's error paths."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from halo_mcp.config import CustomToolConfig, ServerSettings
from halo_mcp.sandbox import Sandbox
from halo_mcp.server.surface import Surface
from tests.helpers import Raw, api_calls, failed, halo_settings_for, ok, rows

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(60)]

Connect = Callable[..., Any]
PROBLEM = {"name": "log_problem", "kind": "ticket", "description": "Use when a fault recurs.", "ticket_type": "Problem"}
RESET = {
    "name": "log_password_reset",
    "kind": "ticket",
    "description": "Use when a user asks for a password reset.",
    "ticket_type": "Service Request",
    "parameters": "summary_details",
}
MFA = {"name": "reset_mfa", "kind": "runbook", "description": "Use when a user lost their MFA device.",
       "runbook": "Reset MFA registration"}  # fmt: skip


@pytest.fixture
async def custom(sandbox: Sandbox) -> AsyncIterator[Connect]:
    """Connect an SDK client to a surface serving the given custom tools (tagging as collection 'desk')."""
    surfaces: list[Surface] = []

    def connect(*tools: dict[str, Any], sb: Sandbox | None = None) -> Client:
        surface = Surface(halo_settings_for(sb or sandbox), ServerSettings(toolsets="all"), created_tag="AI: desk")
        surfaces.append(surface)
        configs = [CustomToolConfig(**t) for t in tools]

        class Connected(Client):
            async def __aenter__(self) -> Client:
                await surface.reselect(await surface.customise(surface.selection, configs))
                return await super().__aenter__()

        return Connected(surface.server)

    yield connect
    for s in surfaces:
        await s.aclose()


async def test_a_ticket_tool_takes_its_parameters_from_the_types_field_configuration(custom: Connect) -> None:
    async with custom(PROBLEM) as client:
        listed = {t.name: t for t in (await client.list_tools()).tools}
        schema = listed["log_problem"].input_schema
        assert listed["log_problem"].description == "Use when a fault recurs."
        assert set(schema["required"]) == {"summary", "details", "category"}  # technew 2 on Problem's form
        assert "enum" in schema["properties"]["priority"]  # a small choice table is an enum
        assert schema["properties"]["details"]["type"] == "string"


async def test_a_ticket_tool_refuses_a_missing_required_field_before_sending_anything(
    custom: Connect, fresh_sandbox: Sandbox
) -> None:
    async with custom(PROBLEM, sb=fresh_sandbox) as client:
        fresh_sandbox.reset_counters()
        message = failed(await client.call_tool("log_problem", {"summary": "Printer jams", "details": "again"}))
        assert "'category' is required" in message
        bad = failed(await client.call_tool("log_problem", {"summary": "x", "details": "y", "category": "Nope"}))
        assert "category" in bad
        assert api_calls(fresh_sandbox.counters()) == 0


async def test_a_ticket_tool_creates_the_ticket_of_its_type_tagged_with_the_collection(
    custom: Connect, fresh_sandbox: Sandbox
) -> None:
    raw = Raw(fresh_sandbox)
    category = raw.get("/Category")[0]["value"]
    async with custom(PROBLEM, RESET, sb=fresh_sandbox) as client:
        made = ok(
            await client.call_tool(
                "log_problem", {"summary": "Printer jams", "details": "Tray 2", "category": category}
            )
        )
        reset = ok(await client.call_tool("log_password_reset", {"summary": "Forgot my password", "details": "Locked"}))
    for text, type_id in ((made, 3), (reset, 2)):
        ticket_id = int(text.split()[2])
        ticket = raw.get(f"/Tickets/{ticket_id}")
        assert ticket["tickettype_id"] == type_id
        assert [t.get("text") for t in ticket.get("tags") or []] == ["AI: desk"]
    raw.close()


async def test_any_type_ticket_tool_takes_the_type_as_an_enum(custom: Connect, fresh_sandbox: Sandbox) -> None:
    anytype = {**RESET, "name": "log_any", "ticket_type": "*"}
    async with custom(anytype, sb=fresh_sandbox) as client:
        tool = (await client.list_tools()).tools[-1]
        assert "Incident" in tool.input_schema["properties"]["ticket_type"]["enum"]
        failed(await client.call_tool("log_any", {"summary": "x", "ticket_type": "Nonsense"}))
        ok(await client.call_tool("log_any", {"summary": "Laptop", "details": "Dark", "ticket_type": "Incident"}))


async def test_a_report_tool_returns_the_saved_reports_rows(custom: Connect) -> None:
    report = {"name": "open_by_team", "kind": "report", "description": "Use when asked about team workload.",
              "report": "Open tickets by team"}  # fmt: skip
    async with custom(report) as client:
        tool = next(t for t in (await client.list_tools()).tools if t.name == "open_by_team")
        assert tool.annotations is not None and tool.annotations.read_only_hint
        result = await client.call_tool("open_by_team", {"start": "-30d"})
        assert rows(result) and "Open Tickets" in rows(result)[0]


async def test_a_runbook_fired_and_forgotten_returns_at_once(custom: Connect) -> None:
    with Sandbox(seed=1, runbook_seconds=5) as sb:
        async with custom(MFA, sb=sb) as client:
            started = time.monotonic()
            text = ok(await client.call_tool("reset_mfa", {}))
            assert time.monotonic() - started < 2
        assert text.startswith("started runbook") and "fire and forget" in text
        assert Raw(sb).get("/Automation/1")["runs"][0]["status"] == "running"


async def test_an_awaited_runbook_waits_for_completion_within_its_bound(custom: Connect) -> None:
    with Sandbox(seed=1, runbook_seconds=0.5) as sb:
        async with custom({**MFA, "mode": "await", "timeout_s": 5}, sb=sb) as client:
            text = ok(await client.call_tool("reset_mfa", {}))
    assert "completed in" in text


async def test_an_awaited_runbook_reports_the_seconds_it_has_waited_of_its_bound(custom: Connect) -> None:
    updates: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        updates.append((progress, total, message))

    with Sandbox(seed=1, runbook_seconds=1.5) as sb:
        async with custom({**MFA, "mode": "await", "timeout_s": 5}, sb=sb) as client:
            ok(await client.call_tool("reset_mfa", {}, progress_callback=on_progress))
    waited = [u[0] for u in updates]
    assert len(updates) >= 3 and waited == sorted(set(waited)) and 1.0 < waited[-1] < 5
    assert all(total == 5 and message and message.endswith("s of at most 5 s") for _, total, message in updates)


async def test_a_report_says_it_is_running_in_halo_then_how_many_rows_came_back(custom: Connect) -> None:
    updates: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        updates.append((progress, total, message))

    report = {"name": "open_by_team", "kind": "report", "description": "Use when asked about team workload.",
              "report": "Open tickets by team"}  # fmt: skip
    async with custom(report) as client:
        found = rows(await client.call_tool("open_by_team", {}, progress_callback=on_progress))
    (first, last) = updates
    assert first[:2] == (1, 2) and first[2] is not None and first[2].endswith(" in Halo")
    assert last[:2] == (2, 2) and last[2] is not None and last[2].endswith(f": {len(found):,} rows")


async def test_a_runbook_that_outlasts_its_bound_says_it_was_started_once(custom: Connect) -> None:
    with Sandbox(seed=1, runbook_seconds=30) as sb:
        async with custom({**MFA, "mode": "await", "timeout_s": 1}, sb=sb) as client:
            started = time.monotonic()
            message = failed(await client.call_tool("reset_mfa", {}))
            assert time.monotonic() - started < 5
    assert "still running after 1 s" in message and "do not run it again" in message


async def test_a_runbook_that_fails_in_halo_is_an_error_result(custom: Connect, fresh_sandbox: Sandbox) -> None:
    async with custom(MFA, sb=fresh_sandbox) as client:
        Raw(fresh_sandbox).http.delete("/Automation/1").raise_for_status()  # gone after the tool was built
        message = failed(await client.call_tool("reset_mfa", {}))
    assert "not found" in message.lower()


async def test_an_operation_tool_sends_its_fixed_arguments_with_the_exposed_ones(
    custom: Connect, fresh_sandbox: Sandbox
) -> None:
    quote = {"name": "quote_for_client", "kind": "operation", "description": "Use when a client asks for a quote.",
             "operation": "POST /Quotation", "arguments": {"note": "drafted by the assistant"},
             "expose": ["client_id", "title"]}  # fmt: skip
    async with custom(quote, sb=fresh_sandbox) as client:
        schema = next(t for t in (await client.list_tools()).tools if t.name == "quote_for_client").input_schema
        assert set(schema["properties"]) == {"client_id", "title"}
        failed(await client.call_tool("quote_for_client", {"title": "x", "note": "overridden?"}))
        ok(await client.call_tool("quote_for_client", {"client_id": 1, "title": "Ten laptops"}))
    quotes = Raw(fresh_sandbox).all("/Quotation", "quotes")
    made = [q for q in quotes if q.get("title") == "Ten laptops"]
    assert made and made[0].get("note") == "drafted by the assistant"


async def test_a_prompt_is_an_mcp_prompt_of_its_collection(custom: Connect) -> None:
    triage = {"name": "triage_vip", "kind": "prompt", "description": "Use for a VIP's ticket.",
              "prompt": "Triage ticket {ticket} for a VIP: read it, set P1.", "expose": ["ticket"]}  # fmt: skip
    async with custom(triage) as client:
        names = [p.name for p in (await client.list_prompts()).prompts]
        got = await client.get_prompt("triage_vip", {"ticket": "42"})
        with pytest.raises(MCPError):
            await client.get_prompt("triage_vip", {})
    assert "triage_vip" in names
    assert "Triage ticket 42 for a VIP" in got.messages[0].content.text  # type: ignore[union-attr]


async def test_the_single_endpoint_tags_what_it_creates_by_default(fresh_sandbox: Sandbox) -> None:
    surface = Surface(halo_settings_for(fresh_sandbox), ServerSettings(toolsets="tickets"))
    async with Client(surface.server) as client:
        made = ok(await client.call_tool("create_ticket", {"summary": "Mouse broken", "details": "Left button"}))
    await surface.aclose()
    ticket = Raw(fresh_sandbox).get(f"/Tickets/{int(made.split()[2])}")
    assert [t["text"] for t in ticket["tags"]] == ["AI: default"]


async def test_an_awaited_runbook_that_fails_in_halo_says_why_and_not_to_rerun_blindly(
    custom: Connect, fresh_sandbox: Sandbox
) -> None:
    runbook = Raw(fresh_sandbox).get("/Automation")[0]
    # What a failing run would look like under the sandbox convention, replayed verbatim (PUT /_sandbox/recorded).
    replies = {
        f"POST /Automation/{runbook['guid']}": {"id": 7, "runbook_id": runbook["id"], "status": "running"},
        f"GET /Automation/{runbook['id']}": {"id": runbook["id"], "runs": [
            {"id": 7, "status": "failed", "error": "Connector to Entra ID timed out"}]},
    }  # fmt: skip
    httpx2.put(f"{fresh_sandbox.url}/_sandbox/recorded", json=replies).raise_for_status()
    async with custom({**MFA, "mode": "await", "timeout_s": 5}, sb=fresh_sandbox) as client:
        message = failed(await client.call_tool("reset_mfa", {}))
    assert "(run 7) failed" in message and "Connector to Entra ID timed out" in message
    assert "before running it again" in message


async def test_the_readmes_saved_report_counts_ai_created_tickets_per_collection(fresh_sandbox: Sandbox) -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    sql = readme.split("counts AI-created tickets per collection", 1)[1].split("```sql\n", 1)[1].split("```", 1)[0]
    for tag, n in (("AI: selfservice", 2), ("AI: servicedesk", 1)):
        surface = Surface(halo_settings_for(fresh_sandbox), ServerSettings(toolsets="all"), created_tag=tag)
        async with Client(surface.server) as client:
            for i in range(n):
                ok(await client.call_tool("create_ticket", {"summary": f"Printer {i}", "details": "Jammed"}))
            if n == 1:
                counted = rows(await client.call_tool("query_sql", {"sql": sql}))
        await surface.aclose()
    assert {r["Collection tag"]: r["AI-created tickets"] for r in counted} == {
        "AI: selfservice": 2,
        "AI: servicedesk": 1,
    }


async def test_a_ticket_tool_may_name_a_template_whose_type_it_takes(custom: Connect, fresh_sandbox: Sandbox) -> None:
    raw = Raw(fresh_sandbox)
    template = raw.post("/Template", [{"name": "Password reset", "tickettype_id": 2}])
    tool = {"name": "log_from_template", "kind": "ticket", "description": "Use when a user forgot their password.",
            "template": "Password reset", "parameters": "summary_details"}  # fmt: skip
    async with custom(tool, sb=fresh_sandbox) as client:
        made = ok(await client.call_tool("log_from_template", {"summary": "Forgot it", "details": "Locked out"}))
    ticket = raw.get(f"/Tickets/{int(made.split()[2])}")
    assert ticket["template_id"] == template["id"] and ticket["tickettype_id"] == 2
    raw.close()


async def test_a_custom_tool_halo_cannot_back_is_left_out_and_logged_and_the_others_served(
    custom: Connect, caplog: pytest.LogCaptureFixture
) -> None:
    missing = {**MFA, "name": "run_missing", "runbook": "No such runbook"}
    with caplog.at_level("ERROR", logger="halo_mcp.server"):
        async with custom(missing, RESET) as client:
            names = [t.name for t in (await client.list_tools()).tools]
    assert "log_password_reset" in names and "run_missing" not in names
    assert "custom tool run_missing not served: runbook 'No such runbook' not found in Halo" in caplog.text

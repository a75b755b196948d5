"""A custom ticket tool called without a mandatory field asks the person for it (form elicitation) and logs the
ticket in the same call, in memory, over stdio and over streamable HTTP, in both protocol eras. Declining sends
nothing to Halo; a client that cannot be asked gets the error naming the field."""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx2
import mcp_types as types
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from halo_mcp.config import CustomToolConfig, ServerSettings
from halo_mcp.sandbox import Sandbox
from halo_mcp.server.surface import Surface
from tests.helpers import Raw, failed, halo_settings_for, mcp_at, ok, subprocess_env

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(90)]

PROBLEM = {"name": "log_problem", "kind": "ticket", "description": "Use when a fault recurs.", "ticket_type": "Problem"}
PROBLEM_TYPE = 3  # the seed's Problem type: summary, details and category are mandatory on its form
MEMORY = [("memory", "auto"), ("memory", "legacy")]
HTTP = [("http", "auto"), ("http", "legacy")]
STDIO = [("stdio", "auto"), ("stdio", "legacy")]
RECORDED = Path(__file__).resolve().parents[1] / "fixtures" / "recorded"

TOML = """
[tenants.acme]
url = "{url}"
client_id_env = "ACME_ID"
client_secret_env = "ACME_SECRET"
rate_limit = "off"

[[collections]]
name = "desk"
tenant = "acme"
toolsets = ["knowledge"]

[[collections.custom_tools]]
{tool}
"""


@asynccontextmanager
async def connect(
    where: str, mode: str, sandbox: Sandbox, tool: dict[str, Any], tmp_path: Path, serve: Any, **options: Any
) -> AsyncIterator[Client]:
    """An SDK client on collection `desk` serving the one custom `tool`, over `where`, in `mode`'s era."""
    if where == "memory":
        surface = Surface(halo_settings_for(sandbox), ServerSettings(toolsets="all"), created_tag="AI: desk")
        try:
            await surface.reselect(await surface.customise(surface.selection, [CustomToolConfig(**tool)]))
            async with Client(surface.server, mode=mode, **options) as client:
                yield client
        finally:
            await surface.aclose()
    elif where == "http":
        server = serve([{"name": "desk", "tenant": "acme", "toolsets": ["knowledge"], "custom_tools": [tool]}],
                       {"acme": sandbox})  # fmt: skip
        async with mcp_at(f"{server.url}/mcp/desk", mode=mode, **options) as client:
            yield client
    else:
        path = tmp_path / "halo-mcp.toml"
        lines = "\n".join(f"{key} = {json.dumps(value)}" for key, value in tool.items())
        path.write_text(TOML.format(url=sandbox.url, tool=lines))
        env = subprocess_env(
            None, ACME_ID=sandbox.client_id, ACME_SECRET=sandbox.client_secret,
            HALO_MCP_STATE_DB=str(tmp_path / "state.db"),
        )  # fmt: skip
        command = ["-m", "halo_mcp", "serve", "--config", str(path), "--collection", "desk"]
        async with Client(StdioServerParameters(command=sys.executable, args=command, env=env), mode=mode,
                          **options) as client:  # fmt: skip
            yield client


def fills(**values: Any) -> Any:
    """An elicitation callback that fills the form with `values` (a choice field: its first choice when not given),
    and records what it was asked."""
    seen: list[types.ElicitRequestFormParams] = []

    async def answer(context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        assert isinstance(params, types.ElicitRequestFormParams)
        seen.append(params)
        properties = params.requested_schema["properties"]
        content = {name: values.get(name, (field.get("enum") or [None])[0]) for name, field in properties.items()}
        return types.ElicitResult(action="accept", content=content)

    answer.seen = seen  # type: ignore[attr-defined]
    return answer


def declines() -> Any:
    seen: list[str] = []

    async def answer(context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        seen.append(params.message)
        return types.ElicitResult(action="decline")

    answer.seen = seen  # type: ignore[attr-defined]
    return answer


def writes(sb: Sandbox) -> int:
    """Requests that could change Halo (anything but a GET or a sign-in) the sandbox served."""
    routes = sb.counters().get("routes", {})
    return sum(n for route, n in routes.items() if not route.startswith("GET ") and "auth" not in route.lower())


def problems(sb: Sandbox, summary: str) -> list[dict[str, Any]]:
    return [t for t in Raw(sb).all("/Tickets", "tickets", search=summary) if t["summary"] == summary]


@pytest.mark.parametrize(("where", "mode"), [*MEMORY, *HTTP, *STDIO])
async def test_a_ticket_tool_missing_required_fields_asks_for_them_and_logs_the_ticket_in_one_call(
    fresh_sandbox: Sandbox, serve_collections: Any, tmp_path: Path, where: str, mode: str
) -> None:
    fill = fills(details="Tray 2 jams on every job")
    async with connect(where, mode, fresh_sandbox, PROBLEM, tmp_path, serve_collections,
                       elicitation_callback=fill) as client:  # fmt: skip
        fresh_sandbox.reset_counters()
        made = ok(await client.call_tool("log_problem", {"summary": "Printer jams again"}))
    (asked,) = fill.seen
    properties = asked.requested_schema["properties"]
    assert asked.message == "Log problem: Halo needs Details, Category to go on."
    assert set(properties) == {"details", "category"} == set(asked.requested_schema["required"])
    assert properties["details"] == {"type": "string", "title": "Details", "minLength": 1}
    categories = properties["category"]["enum"]
    assert properties["category"]["type"] == "string" and len(categories) > 1
    (ticket,) = problems(fresh_sandbox, "Printer jams again")
    assert made.split()[2] == str(ticket["id"]) and ticket["tickettype_id"] == PROBLEM_TYPE
    assert ticket["category_1"] == categories[0] and ticket["details"] == "Tray 2 jams on every job"
    assert writes(fresh_sandbox) == 1  # one POST /Tickets, not repeated by the 2026-07-28 retry


@pytest.mark.parametrize(("where", "mode"), [*MEMORY, *HTTP, ("stdio", "auto")])
async def test_declining_to_give_a_missing_field_creates_nothing_in_halo(
    fresh_sandbox: Sandbox, serve_collections: Any, tmp_path: Path, where: str, mode: str
) -> None:
    decline = declines()
    arguments = {"summary": "Printer jams again", "details": "Tray 2"}
    async with connect(where, mode, fresh_sandbox, PROBLEM, tmp_path, serve_collections,
                       elicitation_callback=decline) as client:  # fmt: skip
        fresh_sandbox.reset_counters()
        message = failed(await client.call_tool("log_problem", arguments))
    assert decline.seen == ["Log problem: Halo needs Category to go on."]
    assert message.startswith("the person was asked for category and declined, so nothing was sent to Halo")
    assert writes(fresh_sandbox) == 0
    assert problems(fresh_sandbox, "Printer jams again") == []


@pytest.mark.parametrize(("where", "mode"), [("memory", "auto"), ("http", "legacy")])
async def test_without_the_elicitation_capability_a_missing_field_is_an_error_naming_it(
    fresh_sandbox: Sandbox, serve_collections: Any, tmp_path: Path, where: str, mode: str
) -> None:
    async with connect(where, mode, fresh_sandbox, PROBLEM, tmp_path, serve_collections) as client:
        fresh_sandbox.reset_counters()
        message = failed(await client.call_tool("log_problem", {"summary": "Printer jams again", "details": "x"}))
    assert message == "invalid arguments for log_problem: 'category' is required"
    assert writes(fresh_sandbox) == 0


async def test_a_wrong_value_is_not_asked_about_but_refused(fresh_sandbox: Sandbox, tmp_path: Path) -> None:
    """Only missing fields are asked for: an impossible value beside a missing one is the model's to fix."""
    fill = fills()
    async with connect("memory", "auto", fresh_sandbox, PROBLEM, tmp_path, None, elicitation_callback=fill) as client:
        message = failed(await client.call_tool("log_problem", {"summary": "x", "category": "No such category"}))
    assert "category" in message and "'details' is required" in message and fill.seen == []


async def test_a_selection_custom_field_is_asked_as_a_choice_and_sent_as_its_lookup_id(
    fresh_sandbox: Sandbox, tmp_path: Path
) -> None:
    """The recorded General Purpose form (facts §17) on the seed's Service Request type: CFService is mandatory with
    Halo lookup values, so the form offers their names and the ticket carries the chosen lookup's id."""
    form = json.loads((RECORDED / "ticket_create_reply.json").read_text())["tickettype"]
    httpx2.put(f"{fresh_sandbox.url}/_sandbox/recorded", json={"GET /TicketType/2": form}).raise_for_status()
    service = {"name": "log_service_fault", "kind": "ticket", "description": "Use when a service fails.",
               "ticket_type": "Service Request"}  # fmt: skip
    fill = fills()
    arguments = {"summary": "Sign-in broken", "details": "Since 9:00", "agent": "Priya Nair"}
    async with connect("memory", "auto", fresh_sandbox, service, tmp_path, None, elicitation_callback=fill) as client:
        listed = {t.name: t for t in (await client.list_tools()).tools}["log_service_fault"]
        made = ok(await client.call_tool("log_service_fault", arguments))
    assert listed.input_schema["properties"]["cfservice"]["const"] == "Auth broker"  # a choice of one
    (asked,) = fill.seen
    assert asked.requested_schema["properties"] == {
        "cfservice": {"type": "string", "title": "Service", "enum": ["Auth broker"]}
    }
    ticket = Raw(fresh_sandbox).get(f"/Tickets/{int(made.split()[2])}")
    assert [(f.get("name"), f.get("value")) for f in ticket["customfields"]] == [("CFService", 1)]

"""Policy applies to the request actually sent: path parameters stay one segment, `op:` deny entries are read as
the README writes them, and a denied operation is refused whichever tool would send it (counted at the sandbox)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from halo_mcp.cli import main
from halo_mcp.config import ConfigError, ServerSettings
from halo_mcp.sandbox import Sandbox
from halo_mcp.server.surface import Surface
from halo_mcp.tools.errors import ToolError
from halo_mcp.tools.toolsets import selection_from, selection_from_settings
from tests.helpers import call, failed, halo_settings_for, ok

pytestmark = pytest.mark.anyio


def sent(counters: dict[str, Any], method: str, path: str) -> int:
    """Requests the sandbox served for `method /api/path...` (any id below it)."""
    prefix = f"{method} /api/{path}".lower()
    return sum(n for route, n in counters.get("routes", {}).items() if route.lower().startswith(prefix))


@pytest.fixture
async def denying(fresh_sandbox: Sandbox) -> AsyncIterator[Client]:
    """All toolsets with writes, minus the README's `op:` entries (as one would type them in the environment)."""
    settings = ServerSettings(toolsets="all", exclude_tools="op:GET /Users, op:POST /Tickets,op:GET:/Agent/{id}")
    s = Surface(halo_settings_for(fresh_sandbox), settings)
    try:
        async with Client(s.server) as c:
            fresh_sandbox.reset_counters()
            yield c
    finally:
        await s.aclose()


@pytest.mark.parametrize(
    ("operation", "arguments"),
    [
        ("GET /Users/.", {}),
        ("GET /Users/{id}", {"id": "."}),
        ("GET /Users/{id}", {"id": ".."}),
        ("GET /Mailbox/../OutlookContacts", {}),
        ("GET /Mailbox/{id}/OutlookContacts", {"id": "../.."}),
        ("GET /Tickets/{id}", {"id": "1\\..\\2"}),
        ("GET /Tickets/{id}", {"id": "1\n"}),
    ],
)
async def test_dot_segments_and_separators_in_path_parameters_are_refused_before_sending(
    denying: Client, fresh_sandbox: Sandbox, operation: str, arguments: dict[str, Any]
) -> None:
    message = failed(await call(denying, "call_operation", operation=operation, arguments=arguments))
    assert "is not valid" in message and "pass the record's id" in message
    assert fresh_sandbox.counters()["total"] == 0


async def test_other_path_values_are_percent_encoded_into_one_segment(denying: Client, fresh_sandbox: Sandbox) -> None:
    message = failed(await call(denying, "call_operation", operation="GET /Tickets/{id}", arguments={"id": "1 ?x=%2e"}))
    assert "not found" in message.lower()
    routes = fresh_sandbox.counters()["routes"]
    assert sent(fresh_sandbox.counters(), "GET", "Tickets/") == 1, routes
    assert sent(fresh_sandbox.counters(), "GET", "Users") == 0


async def test_the_readme_form_of_an_operation_deny_is_accepted_with_and_without_the_space() -> None:
    for written in ("op:GET /Users", "op:GET/Users", "op:GET:/Users", "op:get  /users,list_tickets"):
        selection = selection_from_settings(ServerSettings(toolsets="all", exclude_tools=written))
        assert any(entry.lower().replace(" ", "").replace(":/", "/") == "op:get/users" for entry in selection.deny)
    with pytest.raises(ConfigError, match="op:FROB is not an operation; write op:METHOD /Path"):
        selection_from(["all"], exclude_tools=["op:FROB"])


def test_the_cli_flag_takes_the_readme_form(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in [n for n in os.environ if n.startswith("HALO_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no .env picked up
    assert main(["tools", "--toolsets", "api", "--exclude-tools", "op:GET /Users"]) == 0
    assert "search_operations" in capsys.readouterr().out


async def test_a_denied_operation_is_refused_for_every_tool_that_would_send_it(
    denying: Client, fresh_sandbox: Sandbox
) -> None:
    message = failed(await call(denying, "create_ticket", summary="printer on fire", client="1"))
    assert "POST /Tickets is denied by this server's configuration (op:POST /Tickets)" in message
    by_api = await call(denying, "call_operation", operation="POST /Tickets", arguments={"summary": "x"})
    assert "denied" in failed(by_api)
    assert "denied" in failed(await call(denying, "find_users", query="a"))
    assert "denied" in failed(await call(denying, "call_operation", operation="GET /Agent/1"))
    counters = fresh_sandbox.counters()
    assert sent(counters, "POST", "Tickets") == 0 and sent(counters, "GET", "Users") == 0
    assert sent(counters, "GET", "Agent/") == 0
    # Operations not denied still go out: a note is POST /Actions, the agent list is GET /Agent.
    ok(await call(denying, "add_note", ticket_id=1, note="checked the printer"))
    ok(await call(denying, "call_operation", operation="GET /Agent"))
    assert sent(fresh_sandbox.counters(), "POST", "Actions") == 1


async def test_a_read_only_surface_sends_no_write_whatever_asks_for_it(fresh_sandbox: Sandbox) -> None:
    """The request layer holds read-only on its own: even a write its tools never send is refused before sending,
    while the reads Halo takes as a POST (a report's SQL) go through."""
    settings = ServerSettings(toolsets="all", read_only=True, read_only_edit_scopes="edit:reporting")
    s = Surface(halo_settings_for(fresh_sandbox), settings)
    try:
        fresh_sandbox.reset_counters()
        for method, path in (("POST", "Tickets"), ("DELETE", "Tickets/1"), ("POST", "Actions")):
            with pytest.raises(ToolError, match="this server is read-only"):
                await s.halo.request(method, path, json=[{"id": 1, "summary": "changed"}])
        assert fresh_sandbox.counters()["total"] == 0
        rows = await s.halo.post("Report", [{"_loadreportonly": True, "sql": "SELECT Faultid FROM FAULTS"}])
        assert rows
    finally:
        await s.aclose()

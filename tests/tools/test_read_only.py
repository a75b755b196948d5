"""Read-only mode tells the truth: call_operation is listed as a read tool that refuses writes, read-only mode asks
Halo for read scopes only, and query_sql (which needs edit:reporting to read) is listed only when granted."""

from __future__ import annotations

import json
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path

import mcp_types as types
import pytest
from mcp import Client

from halo_mcp.cli import main
from halo_mcp.config import ConfigError, ServerSettings
from halo_mcp.sandbox import Sandbox
from halo_mcp.server.surface import Surface
from halo_mcp.tools import load_all
from halo_mcp.tools.framework import registry
from halo_mcp.tools.toolsets import TOOL_SCOPES, required_scope, selection_from, selection_from_settings
from tests.helpers import call, halo_settings_for, ok

pytestmark = pytest.mark.anyio
README = Path(__file__).resolve().parents[2] / "README.md"


async def listed(sandbox: Sandbox, settings: ServerSettings) -> dict[str, types.Tool]:
    s = Surface(halo_settings_for(sandbox), settings)
    try:
        async with Client(s.server) as c:
            return {t.name: t for t in (await c.list_tools()).tools}
    finally:
        await s.aclose()


@pytest.fixture
async def read_only_reports(sandbox: Sandbox) -> AsyncIterator[tuple[Surface, Client]]:
    settings = ServerSettings(toolsets="reports,api", read_only=True, read_only_edit_scopes="edit:reporting")
    s = Surface(halo_settings_for(sandbox), settings)
    try:
        async with Client(s.server) as c:
            yield s, c
    finally:
        await s.aclose()


async def test_call_operation_is_annotated_and_described_as_read_only_in_read_only_mode(sandbox: Sandbox) -> None:
    tool = (await listed(sandbox, ServerSettings(toolsets="api", read_only=True)))["call_operation"]
    assert tool.annotations is not None
    assert tool.annotations.read_only_hint is True and not tool.annotations.destructive_hint
    assert tool.description is not None
    assert "read-only: only GET operations run; POST and DELETE are refused" in tool.description
    assert "POST writes" not in tool.description and "DELETE deletes" not in tool.description
    writable = (await listed(sandbox, ServerSettings(toolsets="api")))["call_operation"]
    # destructive: omitted, MCP's default (true); only hints that differ from the defaults are sent
    assert writable.annotations is not None and writable.annotations.destructive_hint is not False
    assert writable.description is not None and "POST writes, DELETE deletes" in writable.description


async def test_read_only_mode_hides_query_sql_and_requests_read_scopes_only(sandbox: Sandbox) -> None:
    load_all()
    for toolsets in ("reports", "reports,api"):
        settings = ServerSettings(toolsets=toolsets, read_only=True)
        names = set(await listed(sandbox, settings))
        assert "query_sql" not in names and {"list_reports", "run_report"} <= names
        scopes = required_scope(selection_from_settings(settings)).split()
        assert scopes and all(s.startswith("read:") for s in scopes), scopes
    assert "query_sql" in await listed(sandbox, ServerSettings(toolsets="reports"))  # writes allowed: listed


async def test_granting_edit_reporting_lists_query_sql_and_it_runs_in_read_only_mode(
    read_only_reports: tuple[Surface, Client],
) -> None:
    surface, client = read_only_reports
    scopes = required_scope(surface.selection).split()
    assert "edit:reporting" in scopes and all(s.startswith("read:") for s in scopes if s != "edit:reporting")
    body = ok(await call(client, "query_sql", sql="SELECT Faultid AS id FROM FAULTS WHERE Faultid = 5"))
    assert "5" in body
    assert "edit:reporting" in (surface.halo.tokens.granted_scope or "")


def test_only_edit_scopes_a_read_tool_needs_can_be_granted_in_read_only_mode() -> None:
    load_all()
    with pytest.raises(ConfigError, match="HALO_MCP_READ_ONLY_EDIT_SCOPES: edit:tickets is not needed"):
        selection_from(["all"], read_only=True, read_only_edit_scopes=["edit:tickets"])


def test_doctor_says_which_read_tool_read_only_mode_hides_and_how_to_grant_it(
    monkeypatch: pytest.MonkeyPatch, sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in [n for n in os.environ if n.startswith("HALO_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HALO_MCP_AUDIT_DB", ":memory:")
    for name, value in (("URL", sandbox.url), ("CLIENT_ID", sandbox.client_id)):
        monkeypatch.setenv(f"HALO_{name}", value)
    monkeypatch.setenv("HALO_CLIENT_SECRET", sandbox.client_secret)
    monkeypatch.setenv("HALO_RATE_LIMIT", "off")
    assert main(["doctor", "--toolsets", "reports", "--read-only"]) == 0
    out = capsys.readouterr().out
    assert (
        "query_sql is hidden: it needs edit:reporting to read; set HALO_MCP_READ_ONLY_EDIT_SCOPES=edit:reporting" in out
    )
    monkeypatch.setenv("HALO_MCP_READ_ONLY_EDIT_SCOPES", "edit:reporting")
    assert main(["doctor", "--toolsets", "reports", "--read-only"]) == 0
    assert "read-only mode also requests edit:reporting" in capsys.readouterr().out


def test_every_tool_has_its_halo_scopes_in_the_table_and_the_readme() -> None:
    load_all()
    assert set(TOOL_SCOPES) == set(registry.names())
    readme = README.read_text()
    for name, scopes in TOOL_SCOPES.items():
        documented = re.search(rf"^\| `{name}` \| ([^|]*) \|$", readme, re.MULTILINE)
        assert documented, f"README lacks the scopes of {name}"
        assert documented.group(1).strip() == (" ".join(f"`{s}`" for s in scopes) or "none"), name


def test_the_tools_command_lists_what_read_only_mode_serves(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in [n for n in os.environ if n.startswith("HALO_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    assert main(["tools", "--json", "--toolsets", "api,reports", "--read-only"]) == 0
    listed = {t["name"]: t for t in json.loads(capsys.readouterr().out)}
    assert "query_sql" not in listed
    assert listed["call_operation"]["annotations"]["readOnlyHint"] is True
    assert "POST and DELETE are refused" in listed["call_operation"]["description"]

"""Custom tools in halo-mcp.toml: validated with the collection (one line naming the key), served over real HTTP by
their collection only, created and removed through the same service as collections."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from halo_mcp.cli import main
from halo_mcp.config import ConfigError, ServerSettings, parse_file, tenant_halo_settings
from halo_mcp.halo.client import HaloClient
from halo_mcp.sandbox import Sandbox
from halo_mcp.server.collections.marking import ensure_virtual_agent
from halo_mcp.server.collections.service import CollectionService
from halo_mcp.state.embedded import EmbeddedState
from tests.helpers import CollectionsServer, Raw, failed, halo_settings_for, mcp_at, ok

USER_PASSWORD = "sandbox"  # the sandbox's shared sign-in password, for its end users as for its agents

TENANT = {"url": "https://acme.halopsa.com", "client_id_env": "ACME_ID", "client_secret_env": "ACME_SECRET"}
RESET = {"name": "log_password_reset", "kind": "ticket", "description": "Use when a user asks for a password reset.",
         "ticket_type": "Service Request", "parameters": "summary_details"}  # fmt: skip
REPORT = {"name": "open_by_team", "kind": "report", "description": "Use when asked about team workload.",
          "report": "Open tickets by team"}  # fmt: skip
Serve = Callable[..., CollectionsServer]


def error(*tools: dict[str, Any], **collection: Any) -> str:
    desk = {"name": "desk", "tenant": "acme", "custom_tools": list(tools), **collection}
    with pytest.raises(ConfigError) as caught:
        file = parse_file({"tenants": {"acme": TENANT}, "collections": [desk]})
        asyncio.run(CollectionService(file, EmbeddedState(), loopback=True).specs())
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_a_custom_tool_may_not_take_a_built_in_name() -> None:
    assert error({**RESET, "name": "create_ticket"}) == (
        "collections[0].custom_tools[0].name: 'create_ticket' is a built-in tool; name it differently, "
        "e.g. cf_create_ticket"
    )


def test_a_custom_tools_kind_must_pass_the_collections_method_filter() -> None:
    assert "need 'custom' in collections[0].methods" in error(RESET, methods=["read", "write"])
    assert "a ticket tool is a write tool and methods lack 'write'" in error(RESET, methods=["read", "custom"])
    assert "read_only is set" in error(RESET, read_only=True)
    # a report tool is a read tool, so a read-only collection may serve it
    desk = {"name": "desk", "tenant": "acme", "read_only": True, "toolsets": ["knowledge"], "custom_tools": [REPORT]}
    file = parse_file({"tenants": {"acme": TENANT}, "collections": [desk]})
    assert asyncio.run(CollectionService(file, EmbeddedState(), loopback=True).specs())


def test_a_custom_tools_description_says_when_to_use_it() -> None:
    assert error({**RESET, "description": "Password reset"}) == (
        "collections[0].custom_tools[0].description: say when to use the tool, e.g. 'Use when a user asks for a "
        "password reset.'"
    )


def test_each_kind_names_what_it_lacks() -> None:
    assert error({"name": "x", "kind": "runbook", "description": "Use when."}) == (
        "collections[0].custom_tools[0]: a runbook tool needs runbook"
    )
    assert "timeout_s: Input should be less than or equal to 60" in error(
        {"name": "x", "kind": "runbook", "description": "Use when.", "runbook": "r", "timeout_s": 120}
    )


def test_an_operation_tool_exposes_only_the_operations_own_names() -> None:
    bad = {"name": "q", "kind": "operation", "description": "Use when.", "operation": "POST /Quotation",
           "expose": ["client_id", "colour"]}  # fmt: skip
    assert "colour is not a parameter or field of POST /Quotation" in error(bad)
    assert "unknown operation 'POST /Quotations'" in error({**bad, "operation": "POST /Quotations", "expose": []})


def test_a_prompts_placeholders_are_its_arguments() -> None:
    bad = {"name": "p", "kind": "prompt", "description": "Use when.", "prompt": "Look at {ticket}", "expose": []}
    assert "placeholders (ticket) must be exactly its expose list (none)" in error(bad)


@pytest.mark.anyio
@pytest.mark.timeout(90)
async def test_a_collection_serves_its_custom_tools_and_no_other_collection_does(
    serve_collections: Serve, fresh_sandbox: Sandbox
) -> None:
    sandbox = fresh_sandbox  # it logs tickets: other modules count the shared sandbox's
    selfservice = {"name": "selfservice", "tenant": "acme", "toolsets": ["knowledge"], "custom_tools": [RESET],
                   "virtual_agent": True}  # fmt: skip
    desk = {"name": "desk", "tenant": "acme", "toolsets": ["knowledge"], "methods": ["read", "custom"],
            "custom_tools": [REPORT]}  # fmt: skip
    server = serve_collections([selfservice, desk], {"acme": sandbox})
    async with mcp_at(f"{server.url}/mcp/selfservice") as client:
        names = [t.name for t in (await client.list_tools()).tools]
        made = ok(await client.call_tool("log_password_reset", {"summary": "Reset my password", "details": "Locked"}))
        failed(await client.call_tool("log_password_reset", {"details": "no summary"}))
    assert names[-1] == "log_password_reset" and "open_by_team" not in names
    ticket = Raw(sandbox).get(f"/Tickets/{int(made.split()[2])}")
    assert [t["text"] for t in ticket["tags"]] == ["AI: selfservice"]
    async with mcp_at(f"{server.url}/mcp/desk") as client:
        names = [t.name for t in (await client.list_tools()).tools]
        ok(await client.call_tool("open_by_team", {}))
    assert "open_by_team" in names and "log_password_reset" not in names
    agents = [a for a in Raw(sandbox).get("/VirtualAgent") if a["name"] == "halo-mcp: selfservice"]
    assert len(agents) == 1  # the opt-in record, named for the collection (desk did not opt in)
    assert not [a for a in Raw(sandbox).get("/VirtualAgent") if a["name"] == "halo-mcp: desk"]
    audit = server.host.audit
    assert audit is not None
    (entry, *_) = [e for e in audit.entries(collection="selfservice") if e.outcome == "ok"]
    assert entry.tool == "log_password_reset" and entry.affected == [f"ticket:{int(made.split()[2])}"]


DESK_TOML = """
[tenants.acme]
url = "{url}"
client_id_env = "ACME_ID"
client_secret_env = "ACME_SECRET"

[[collections]]
name = "selfservice"
tenant = "acme"
toolsets = ["knowledge"]

[[collections.custom_tools]]
name = "log_password_reset"
kind = "ticket"
description = "Use when a user asks for a password reset."
ticket_type = "Service Request"
parameters = "summary_details"

[[collections]]
name = "quiet"
tenant = "acme"
toolsets = ["knowledge"]
created_tag = ""
"""


def test_doctor_states_each_collections_ai_created_marking(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    for key in [k for k in os.environ if k.startswith("HALO_")]:
        monkeypatch.delenv(key)
    path = tmp_path / "halo-mcp.toml"
    path.write_text(DESK_TOML.format(url=sandbox.url))
    monkeypatch.setenv("HALO_MCP_STATE_DB", str(tmp_path / "state.db"))
    monkeypatch.setenv("ACME_ID", sandbox.client_id)
    monkeypatch.setenv("ACME_SECRET", sandbox.client_secret)
    assert main(["doctor", "--config", str(path)]) == 0
    out = capsys.readouterr().out
    assert "1 custom tool(s); tickets it creates are tagged 'AI: selfservice'" in out
    assert "PASS  collection quiet" in out and "AI-created marking off (created_tag)" in out


PERSON = {**TENANT, "username_env": "ACME_USER", "password_env": "ACME_PASSWORD"}


def user_specs(**collection: Any) -> list[Any]:
    selfservice = {"name": "me", "tenant": "acme", "audience": "user", **collection}
    file = parse_file({"tenants": {"acme": PERSON}, "collections": [selfservice]})
    return asyncio.run(CollectionService(file, EmbeddedState(), loopback=True).specs())


def test_a_user_collection_serves_the_persona_unless_it_names_toolsets() -> None:
    (spec,) = user_specs()
    assert {t.toolset for t in spec.selection.tools()} == {"selfservice", "knowledge", "services"}


def test_a_user_collection_admits_only_user_tools() -> None:
    (spec,) = user_specs(toolsets=["selfservice", "knowledge", "services", "tickets"], custom_tools=[RESET])
    names = [t.name for t in spec.selection.tools()]
    assert "my_tickets" in names and "search_kb" in names and "create_ticket" not in names
    with pytest.raises(ConfigError, match=r"collections\[0\].tools: 'create_ticket' acts as an agent"):
        user_specs(tools=["my_tickets", "create_ticket"])
    quote = {"name": "q", "kind": "operation", "description": "Use when.", "operation": "POST /Quotation"}
    with pytest.raises(ConfigError, match="an operation tool acts as an agent"):
        user_specs(toolsets=["selfservice"], custom_tools=[quote])


@pytest.mark.anyio
async def test_the_virtual_agent_record_is_kept_once(sandbox: Sandbox) -> None:
    halo = HaloClient(halo_settings_for(sandbox), scope="all")
    try:
        first = await ensure_virtual_agent(halo, "twice")
        assert await ensure_virtual_agent(halo, "twice") == first > 0
    finally:
        await halo.aclose()
    assert [a["id"] for a in Raw(sandbox).get("/VirtualAgent") if a["name"] == "halo-mcp: twice"] == [first]


@pytest.mark.anyio
@pytest.mark.timeout(90)
async def test_a_user_collection_over_http_acts_as_its_end_user(
    monkeypatch: pytest.MonkeyPatch, fresh_sandbox: Sandbox
) -> None:
    sandbox = fresh_sandbox
    raw = Raw(sandbox)
    user = raw.all("/Users", "users")[3]
    runbook = raw.get("/Automation")[0]
    monkeypatch.setenv("PORTAL_ID", sandbox.client_id)
    monkeypatch.setenv("PORTAL_USER", user["emailaddress"])
    monkeypatch.setenv("PORTAL_PASSWORD", USER_PASSWORD)
    portal = {"url": sandbox.url, "client_id_env": "PORTAL_ID", "username_env": "PORTAL_USER",
              "password_env": "PORTAL_PASSWORD", "rate_limit": "off"}  # fmt: skip
    mfa = {"name": "reset_mfa", "kind": "runbook", "description": "Use when a user lost their MFA device.",
           "runbook": runbook["guid"]}  # fmt: skip
    me = {"name": "me", "tenant": "portal", "audience": "user", "toolsets": ["selfservice", "knowledge"],
          "custom_tools": [RESET, mfa]}  # fmt: skip
    file = parse_file({"tenants": {"portal": portal}, "collections": [me]})
    halo = {n: tenant_halo_settings(n, t, base=halo_settings_for(sandbox)) for n, t in file.tenants.items()}
    server = CollectionsServer(file, halo, ServerSettings(transport="http")).start()
    try:
        async with mcp_at(f"{server.url}/mcp/me") as client:
            names = [t.name for t in (await client.list_tools()).tools]
            made = ok(await client.call_tool("log_password_reset", {"summary": "Reset my password", "details": "x"}))
            mine = ok(await client.call_tool("my_tickets", {}))
            started = ok(await client.call_tool("reset_mfa", {}))
    finally:
        server.stop()
    assert "create_ticket" not in names and names[-2:] == ["log_password_reset", "reset_mfa"]
    ticket_id = int(made.split()[2])
    assert raw.get(f"/Tickets/{ticket_id}")["user_id"] == user["id"]  # Halo made it the signed-in user's
    assert str(ticket_id) in mine and started.startswith("started runbook")
    raw.close()


@pytest.mark.anyio
async def test_custom_tools_are_created_and_removed_with_a_store_managed_collection(tmp_path: Path) -> None:
    file = parse_file({"tenants": {"acme": TENANT}, "collections": []})
    service = CollectionService(file, EmbeddedState(str(tmp_path / "state.db")), loopback=True)
    spec = await service.create({"name": "desk", "tenant": "acme", "toolsets": ["knowledge"], "custom_tools": [RESET]})
    assert [c.name for c in spec.config.custom_tools] == ["log_password_reset"]
    with pytest.raises(ConfigError, match=r"custom_tools\[0\].name: 'search_kb' is a built-in tool"):
        await service.update("desk", {"custom_tools": [{**REPORT, "name": "search_kb"}]})
    spec = await service.update("desk", {"custom_tools": [REPORT]})
    assert [c.name for c in (await service.get("desk")).config.custom_tools] == ["open_by_team"]
    await service.delete("desk")
    assert not await service.specs()

"""Resources halo://tickets/{id} and halo://kb/{id}, and the prompts, over real MCP and real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import mcp_types as types
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from halo_mcp.config import ServerSettings
from halo_mcp.sandbox import Sandbox
from halo_mcp.server.surface import Surface
from tests.helpers import call, halo_settings_for

pytestmark = pytest.mark.anyio


async def _some_ticket_id(client: Client) -> int:
    result = await call(client, "list_tickets", state="all", limit=1)
    return int(result.structured_content["rows"][0][0])


async def test_templates_are_listed(client: Client) -> None:
    result = await client.list_resource_templates()
    assert {t.uri_template for t in result.resource_templates} == {"halo://tickets/{id}", "halo://kb/{id}"}


async def test_read_ticket_resource(client: Client) -> None:
    ticket_id = await _some_ticket_id(client)
    result = await client.read_resource(f"halo://tickets/{ticket_id}")
    (content,) = result.contents
    assert isinstance(content, types.TextResourceContents) and content.mime_type == "text/plain"
    assert content.text.startswith(f"id: {ticket_id}\nsummary: «")
    assert "status: " in content.text and "actions:" in content.text


async def test_read_kb_resource_gives_steps(client: Client) -> None:
    result = await client.read_resource("halo://kb/1")
    (content,) = result.contents
    assert isinstance(content, types.TextResourceContents)
    assert content.text.startswith("id: 1\nname: ") and "steps: «1. " in content.text


@pytest.mark.parametrize("uri", ["halo://tickets/99999999", "halo://kb/99999", "halo://nothing/1", "file:///etc"])
async def test_unknown_resource_is_resource_not_found(client: Client, uri: str) -> None:
    with pytest.raises(MCPError) as info:
        await client.read_resource(uri)
    assert info.value.code == types.INVALID_PARAMS == -32602
    assert uri in info.value.message


@pytest.fixture
async def directory_only(sandbox: Sandbox) -> AsyncIterator[Client]:
    surface = Surface(halo_settings_for(sandbox), ServerSettings(toolsets="directory"))
    async with Client(surface.server) as c:
        yield c
    await surface.aclose()


async def test_resources_and_prompts_follow_the_selection(directory_only: Client) -> None:
    assert (await directory_only.list_resource_templates()).resource_templates == []
    assert (await directory_only.list_prompts()).prompts == []
    with pytest.raises(MCPError) as info:
        await directory_only.read_resource("halo://tickets/1")
    assert info.value.code == -32602


async def test_prompts_are_listed_with_their_arguments(client: Client) -> None:
    prompts = {p.name: p for p in (await client.list_prompts()).prompts}
    assert set(prompts) == {"triage_ticket", "summarise_queue", "handoff_note", "log_ticket"}
    assert [(a.name, a.required) for a in prompts["triage_ticket"].arguments or []] == [("ticket_id", True)]
    assert [a.name for a in prompts["log_ticket"].arguments or []] == ["client", "site", "summary", "ticket_type"]


async def test_prompts_name_the_tools_to_use(client: Client) -> None:
    def body(result: types.GetPromptResult) -> str:
        content = result.messages[0].content
        assert isinstance(content, types.TextContent)
        return content.text

    triage = body(await client.get_prompt("triage_ticket", {"ticket_id": "42"}))
    assert "get_ticket(id=42" in triage and "find_similar(ticket_id=42)" in triage and "«»" in triage
    queue = body(await client.get_prompt("summarise_queue", {}))
    assert "list_tickets(agent='me', sla='breached')" in queue
    team = body(await client.get_prompt("summarise_queue", {"team": "Network", "client": "Oscorp"}))
    assert "list_tickets(team='Network', client='Oscorp', sla='breached')" in team
    logged = body(await client.get_prompt("log_ticket", {"client": "Oscorp", "site": "Main", "summary": "VPN down"}))
    assert "create_ticket(client='Oscorp', site='Main', ...)" in logged and "VPN down" in logged
    typed = body(await client.get_prompt("log_ticket", {"client": "Oscorp", "summary": "x", "ticket_type": "Change"}))
    assert "create_ticket(client='Oscorp', ticket_type='Change', ...)" in typed
    handoff = body(await client.get_prompt("handoff_note", {"ticket_id": "7", "to": "night shift"}))
    assert "ticket 7 to night shift" in handoff and "add_note(ticket_id=7)" in handoff


async def test_prompt_errors(client: Client) -> None:
    for name, args, message in (
        ("triage_ticket", {}, "needs the argument 'ticket_id'"),
        ("triage_ticket", {"ticket_id": "the vpn one"}, "must be a ticket number"),
        ("no_such_prompt", {}, "Unknown prompt"),
    ):
        with pytest.raises(MCPError) as info:
            await client.get_prompt(name, args)
        assert info.value.code == -32602 and message in info.value.message

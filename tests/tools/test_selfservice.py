"""The end-user persona through the MCP client, signed in to the sandbox as two different end users: each sees and
changes only their own tickets, and Halo (not our code) draws that line."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
from mcp import Client

from halo_mcp.config import ServerSettings
from halo_mcp.sandbox import Sandbox
from halo_mcp.server.surface import Surface
from halo_mcp.tools.toolsets import selection_from
from tests.helpers import Raw, failed, halo_settings_for, ids, ok

USER_PASSWORD = "sandbox"  # the sandbox's shared sign-in password, for its end users as for its agents

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(60)]

PERSONA = ["selfservice", "knowledge", "services"]


@pytest.fixture(scope="module")
def own_sandbox() -> Iterator[Sandbox]:
    """This module's own sandbox: the tickets its users log must not change what other modules count."""
    with Sandbox(seed=1) as sb:
        yield sb


@pytest.fixture(scope="module")
def two_users(own_sandbox: Sandbox) -> list[dict[str, Any]]:
    """Two end users with a handful of tickets each (one page), as Halo lists them to an agent."""
    raw = Raw(own_sandbox)
    owners = Counter(t.get("user_id") for t in raw.all("/Tickets", "tickets"))
    users = {u["id"]: u for u in raw.all("/Users", "users")}
    ranked = [users[uid] for uid, n in sorted(owners.items(), key=lambda kv: str(kv[0]))
              if 3 <= n <= 20 and uid in users and users[uid].get("emailaddress")]  # fmt: skip
    raw.close()
    return ranked[:2]


@pytest.fixture
async def as_user(own_sandbox: Sandbox) -> AsyncIterator[Callable[[dict[str, Any]], Client]]:
    surfaces: list[Surface] = []

    def connect(user: dict[str, Any]) -> Client:
        halo = halo_settings_for(own_sandbox, username=user["emailaddress"], password=USER_PASSWORD)
        selection = replace(selection_from(PERSONA), audience="user")
        surface = Surface(halo, ServerSettings(), selection=selection, collection="selfservice", created_tag="AI: self")
        surfaces.append(surface)
        return Client(surface.server)

    yield connect
    for s in surfaces:
        await s.aclose()


def own_tickets(sandbox: Sandbox, user_id: int) -> set[int]:
    raw = Raw(sandbox)
    found = {int(t["id"]) for t in raw.all("/Tickets", "tickets", user_id=user_id)}
    raw.close()
    return found


async def test_a_user_collection_lists_only_user_tools(as_user: Callable[..., Client], two_users: list[Any]) -> None:
    async with as_user(two_users[0]) as client:
        names = [t.name for t in (await client.list_tools()).tools]
    assert names == [
        "search_kb", "get_kb_article", "search_services", "my_tickets", "get_my_ticket", "log_ticket",
        "update_my_ticket", "get_my_details",
    ]  # fmt: skip


async def test_each_user_sees_exactly_their_own_tickets(
    as_user: Callable[..., Client], two_users: list[Any], own_sandbox: Sandbox
) -> None:
    seen = []
    for user in two_users:
        async with as_user(user) as client:
            mine = set(ids(await client.call_tool("my_tickets", {"open_only": False, "limit": 100})))
            me = ok(await client.call_tool("get_my_details", {}))
        assert mine == own_tickets(own_sandbox, user["id"])
        assert user["emailaddress"] in me
        seen.append(mine)
    assert seen[0] and seen[1] and not seen[0] & seen[1]


async def test_a_user_asking_for_someone_elses_ticket_is_refused_and_nothing_is_written(
    as_user: Callable[..., Client], two_users: list[Any], own_sandbox: Sandbox
) -> None:
    first, second = two_users
    theirs = min(own_tickets(own_sandbox, second["id"]))
    raw = Raw(own_sandbox)
    before = raw.get("/Actions", ticket_id=theirs)["record_count"]
    async with as_user(first) as client:
        assert "no ticket" in failed(await client.call_tool("get_my_ticket", {"id": theirs}))
        assert "no ticket" in failed(await client.call_tool("update_my_ticket", {"id": theirs, "note": "hi"}))
    assert raw.get("/Actions", ticket_id=theirs)["record_count"] == before
    raw.close()


async def test_a_user_logs_and_updates_their_own_ticket_with_user_visible_actions(
    as_user: Callable[..., Client], two_users: list[Any], own_sandbox: Sandbox
) -> None:
    user = two_users[0]
    async with as_user(user) as client:
        logged = ok(await client.call_tool("log_ticket", {"summary": "VPN drops", "details": "Every hour"}))
        ticket_id = int(logged.split()[2].rstrip(":"))
        ok(await client.call_tool("update_my_ticket", {"id": ticket_id, "note": "Still dropping today"}))
        shown = ok(await client.call_tool("get_my_ticket", {"id": ticket_id}))
        articles = ok(await client.call_tool("search_kb", {"query": "vpn"}))
    raw = Raw(own_sandbox)
    ticket = raw.get(f"/Tickets/{ticket_id}")
    actions = raw.get("/Actions", ticket_id=ticket_id)["actions"]
    raw.close()
    assert ticket["user_id"] == user["id"] and [t["text"] for t in ticket["tags"]] == ["AI: self"]
    update = [a for a in actions if "Still dropping" in str(a.get("note"))]
    assert update and not update[0].get("hiddenfromuser")
    assert "Still dropping today" in shown and "articles" in articles

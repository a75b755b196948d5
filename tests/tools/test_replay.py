"""Real Halo payloads (halo-api-facts.md §17, `tests/fixtures/recorded/`) through every read tool.

The sandbox replays the recordings verbatim over real HTTP (`PUT /_sandbox/recorded`); the server must show every
informative recorded value and none of Halo's unset markers: no sentinel date, no `-1`, no empty string.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx2
import mcp_types as types
import pytest
from mcp import Client

from halo_mcp.config import ServerSettings
from halo_mcp.sandbox import Sandbox
from halo_mcp.server.surface import Surface
from tests.helpers import halo_settings_for, ok, rows

pytestmark = pytest.mark.anyio
RECORDED = Path(__file__).resolve().parents[1] / "fixtures" / "recorded"
SENTINELS = re.compile(r"1899-12-30|0001-01-01|1900-01-01")
MINUS_ONE = re.compile(r"(?<![\w.-])-[13](?![\w.])")  # a bare -1 or -3 in the text


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((RECORDED / name).read_text())
    return data


TICKET = _load("ticket_create_reply.json")
USER = _load("user.json")
UPLOAD = _load("attachment_upload_reply.json")


def _replies() -> dict[str, Any]:
    """What Halo sent, under the envelopes of facts §4 and §17 (the recorded ticket doubles as its list row)."""
    site, client = USER["site"], USER["site"]["client"]
    attachment = {k: v for k, v in UPLOAD.items() if k != "data"} | {"ticket_id": TICKET["id"]}
    return {
        f"GET /Tickets/{TICKET['id']}": TICKET,
        "GET /Tickets": {"page_no": 1, "page_size": 50, "record_count": 1, "tickets": [TICKET]},
        "GET /Actions": {"ticket_id": TICKET["id"], "record_count": 1, "actions": TICKET["extra_actions"]},
        f"GET /Users/{USER['id']}": USER,
        "GET /Users": {"record_count": 1, "users": [USER]},
        "GET /Site": {"record_count": 1, "sites": [site]},
        f"GET /Site/{site['id']}": site,
        "GET /Client": {"record_count": 1, "clients": [client]},
        f"GET /Client/{client['id']}": client,
        "GET /Attachment": {"ticket_id": TICKET["id"], "record_count": 1, "attachments": [attachment]},
    }


@pytest.fixture(scope="module")
def replaying() -> Iterator[Sandbox]:
    with Sandbox(seed=1) as sb:
        r = httpx2.put(f"{sb.url}/_sandbox/recorded", json=_replies())
        assert r.status_code == 200, r.text
        yield sb


@pytest.fixture
async def replay_client(replaying: Sandbox) -> AsyncIterator[Client]:
    surface = Surface(halo_settings_for(replaying), ServerSettings(toolsets="all"))
    async with Client(surface.server) as client:
        yield client
    await surface.aclose()


def _values(value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield str(k), v
            yield from _values(v)
    elif isinstance(value, list):
        for v in value:
            yield "", v
            yield from _values(v)


def clean(result: types.CallToolResult) -> str:
    """The result's text, after checking that no unset marker reached the model in it or the structured content."""
    body = ok(result)
    assert not SENTINELS.search(body) and not MINUS_ONE.search(body), body
    assert not re.search(r"(?m): $", body), body  # a `key: ` line with an empty value
    for key, value in _values(result.structured_content or {}):
        assert value != "" and not (isinstance(value, str) and SENTINELS.search(value)), (key, value)
        assert not (isinstance(value, int | float) and not isinstance(value, bool) and value in (-1, -3)), key
        assert not (key == "id" or key.endswith("_id")) or value not in (0, 0.0), (key, value)
    return body


async def test_get_ticket_shows_every_recorded_value_and_the_author_of_each_action(replay_client: Client) -> None:
    result = await replay_client.call_tool("get_ticket", {"id": TICKET["id"], "actions": 5})
    body = clean(result)
    record = result.structured_content or {}
    for shown in (TICKET["summary"], TICKET["details"], TICKET["sla_name"], TICKET["client_name"], TICKET["site_name"],
                  TICKET["user_name"], TICKET["team"], TICKET["user_email"], "Single User Affected"):  # fmt: skip
        assert shown in body, shown
    assert record["priority"] == f"{TICKET['priority']['name']} (id 4)"  # from the nested priority object
    assert record["ticket_type"] == f"{TICKET['tickettype']['name']} (id 36)"
    assert record["status"] and record["agent"]  # ids named from Halo's tables
    assert record["opened"] == "2024-06-20T14:45Z" and record["respond_by"] == "2024-06-21T10:45Z"
    assert record["fix_by"] == "2024-06-27T14:45Z" and record["updated"] == "2024-06-20T14:45Z"
    assert "closed" not in record and "responded" not in record  # absent on an open ticket
    assert record["custom"]["Actual End Date/Time "] == "20/06/2024"  # Halo's display value
    [action] = record["actions"]
    recorded = TICKET["extra_actions"][0]
    assert action["who"] == recorded["who"] == "System" and action["outcome"] == recorded["outcome"]
    assert action["private"] is True and recorded["note"] in action["note"]
    assert action["when"] == "2024-06-20T14:45Z" and "minutes" not in action  # timetaken absent: zero-time


async def test_list_tickets_reads_the_recorded_row(replay_client: Client) -> None:
    result = await replay_client.call_tool("list_tickets", {"state": "all", "limit": 5, "fields": ["team", "updated"]})
    clean(result)
    [row] = rows(result)
    assert row["id"] == TICKET["id"] and row["summary"] == TICKET["summary"]
    assert row["client"] == TICKET["client_name"] and row["team"] == TICKET["team"]
    assert row["updated"] == "2024-06-20" and row["priority"] and row["status"] and row["agent"]


async def test_users_sites_and_clients_survive_doubles_and_unset_markers(replay_client: Client) -> None:
    found = await replay_client.call_tool("find_users", {"query": "Some"})
    clean(found)
    [user] = rows(found)
    assert (user["id"], user["name"], user["email"]) == (38, USER["name"], USER["emailaddress"])
    assert (user["client"], user["site"]) == (USER["client_name"], USER["site_name"])
    one = await replay_client.call_tool("get_user", {"user": 38})
    body = clean(one)
    assert USER["emailaddress"] in body and USER["site_name"] in body and "18.0" not in body
    assert (one.structured_content or {})["site_id"] == 18  # the double id, as an int
    sites = await replay_client.call_tool("lookup", {"kind": "site"})
    clean(sites)
    assert rows(sites) == [{"id": 18, "name": USER["site"]["name"], "client_name": USER["site"]["client_name"]}]
    clients = await replay_client.call_tool("find_clients", {"query": "Some"})
    clean(clients)
    [client] = rows(clients)
    assert client["id"] == 12 and client["name"] == USER["site"]["client"]["name"] and client["toplevel_name"] == "UK"


async def test_attachments_list_the_recorded_upload(replay_client: Client) -> None:
    result = await replay_client.call_tool("list_attachments", {"ticket_id": TICKET["id"]})
    clean(result)
    [row] = rows(result)
    assert row["id"] == UPLOAD["id"] and row["filename"] == UPLOAD["filename"] and row["bytes"] == UPLOAD["filesize"]
    assert row["created"] == "2024-07-02T08:31Z" and row["note"] == UPLOAD["desc"]

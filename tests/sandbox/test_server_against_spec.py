"""Our server against the strict sandbox, through the MCP client: it sends only parameters and fields Halo's spec
declares (the sandbox reports anything else at `/_sandbox/ignored`), and `call_operation` reaches the long tail of
resources the generic handler serves.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx2
import pytest
from mcp import Client

from halo_mcp.config import ServerSettings
from halo_mcp.sandbox import Sandbox
from halo_mcp.server.surface import Surface
from tests.helpers import call, halo_settings_for, ok, text

pytestmark = pytest.mark.anyio

# (operation, arguments): GETs across the generic and hand-written resources.
LONG_TAIL = [
    ("GET /Timesheet", {}), ("GET /TimesheetEvent", {"agent_id": 1}), ("GET /ClientPrepay", {"client_id": 1}),
    ("GET /ClientContract", {"client_id": 1}), ("GET /Workflow", {}), ("GET /Tags", {}), ("GET /Quotation", {}),
    ("GET /Invoice", {"client_id": 1}), ("GET /Projects", {}), ("GET /Appointment", {}), ("GET /Supplier", {}),
    ("GET /Item", {}), ("GET /Team/Tree", {}), ("GET /Asset/NextTag", {}), ("GET /TimesheetEvent/mine", {}),
    ("GET /Status", {}), ("GET /Priority", {}), ("GET /SLA", {}), ("GET /Outcome", {}), ("GET /Category", {}),
    ("GET /TicketType", {}), ("GET /AssetType", {}), ("GET /Service", {}), ("GET /ServiceCategory", {}),
    ("GET /Opportunities", {}), ("GET /Site", {}), ("GET /Report", {}), ("GET /Holiday", {}),
    ("GET /Workday", {}), ("GET /RecurringInvoice", {}), ("GET /SalesOrder", {}), ("GET /PurchaseOrder", {}),
    ("GET /Webhook", {}), ("GET /CRMNote", {}), ("GET /Release", {}), ("GET /Roles", {}),
    ("GET /Workflow/{id}", {"id": 1}), ("GET /ClientPrepay/{id}", {"id": 1}), ("GET /Timesheet/{id}", {"id": 1}),
]  # fmt: skip


@pytest.fixture
async def strict() -> AsyncIterator[tuple[Sandbox, Client]]:
    with Sandbox(seed=1) as sb:
        surface = Surface(halo_settings_for(sb), ServerSettings(toolsets="all"))
        try:
            async with Client(surface.server) as client:
                yield sb, client
        finally:
            await surface.aclose()


async def test_our_tools_send_only_what_the_spec_declares(strict: tuple[Sandbox, Client]) -> None:
    sb, client = strict
    httpx2.post(sb.url + "/_sandbox/counters/reset")
    filters = {"client": "1", "team": "Service Desk", "status": "New", "priority": "P2", "ticket_type": "Incident"}
    dates = {"created_from": "2025-01-01", "created_to": "2030-01-01"}
    ok(await call(client, "list_tickets", **filters, **dates, search="printer"))
    ok(await call(client, "list_tickets", agent="me", state="closed", updated_from="2025-01-01"))
    made = (await call(client, "create_ticket", summary="Spec check", details="Body", client="1", team="Service Desk",
                       ticket_type="Incident", priority="P3")).structured_content or {}  # fmt: skip
    ticket_id = int(made.get("id") or 0)
    assert ticket_id, made
    ok(await call(client, "update_ticket", id=ticket_id, summary="Spec check 2", priority="P2"))
    ok(await call(client, "assign_ticket", ticket_id=ticket_id, team="Service Desk", note="over to you"))
    ok(await call(client, "add_note", ticket_id=ticket_id, note="checked"))
    ok(await call(client, "log_time", ticket_id=ticket_id, minutes=15))
    ok(await call(client, "add_action", ticket_id=ticket_id, outcome="Email User", note="hello", email_user=True))
    ok(await call(client, "get_ticket", id=ticket_id))
    ok(await call(client, "list_assets", client="1"))
    ok(await call(client, "search_kb", query="vpn"))
    ok(await call(client, "find_users", query="a"))
    ok(await call(client, "find_clients", query="a"))
    ok(await call(client, "search_services", query="email"))
    ignored = httpx2.get(sb.url + "/_sandbox/ignored").json()
    assert ignored == {}, f"our server sent inputs Halo's spec does not declare: {ignored}"


async def test_call_operation_reaches_the_long_tail(strict: tuple[Sandbox, Client]) -> None:
    _, client = strict
    resources = set()
    for operation, arguments in LONG_TAIL:
        result = await call(client, "call_operation", operation=operation, arguments=arguments)
        assert not result.is_error, (operation, text(result))
        resources.add(operation.split()[1].split("/")[1])
    assert len(resources) >= 30, sorted(resources)


async def test_call_operation_writes_a_generic_resource(strict: tuple[Sandbox, Client]) -> None:
    sb, client = strict
    created = await call(client, "call_operation", operation="POST /Tags", arguments={"text": "from-mcp"})
    assert not created.is_error, text(created)
    with httpx2.Client(base_url=sb.api_url) as raw:
        token = raw.post(
            sb.url + "/auth/token",
            data={"grant_type": "client_credentials", "client_id": sb.client_id, "client_secret": sb.client_secret},
        ).json()["access_token"]
        tags = raw.get("/Tags", headers={"Authorization": f"Bearer {token}"}).json()
    assert any(t["text"] == "from-mcp" for t in tags)

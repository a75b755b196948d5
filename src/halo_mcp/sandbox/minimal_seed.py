"""A tiny deterministic data set honouring the seed contract.

Used only when `halo_mcp.sandbox.seed` is missing or fails, so the server still starts; the real data
comes from `seed.generate`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from halo_mcp.sandbox.store import fmt_dt


def generate(seed: int = 1, scale: int | str = "small", now: datetime | None = None) -> dict[str, list[dict[str, Any]]]:
    now = now or datetime.now(UTC)
    ago = lambda h: fmt_dt(now - timedelta(hours=h))  # noqa: E731
    teams = ["Service Desk", "Network", "Infrastructure", "Identity", "Security", "DevOps"]
    clients = ["Wayne Enterprises", "Stark Industries", "Acme Corp"]
    data: dict[str, list[dict[str, Any]]] = {
        "Team": [{"id": i, "name": n, "inactive": False, "forrequests": True} for i, n in enumerate(teams, 1)],
        "Client": [{"id": i, "name": n, "inactive": False} for i, n in enumerate(clients, 1)],
        "Site": [{"id": i, "name": f"{n} HQ", "client_id": i, "sla_id": 1} for i, n in enumerate(clients, 1)],
        "Users": [
            {
                "id": i,
                "name": f"User {i}",
                "firstname": "User",
                "surname": str(i),
                "emailaddress": f"user{i}@example.com",
                "site_id": (i - 1) % 3 + 1,
                "client_id": (i - 1) % 3 + 1,
                "inactive": False,
            }
            for i in range(1, 10)
        ],
        "Agent": [
            {"id": 1, "name": "API Agent", "email": "api@sandbox.local", "isapiagent": True, "team": "Service Desk"},
            {
                "id": 2,
                "name": "Alice Agent",
                "firstname": "Alice",
                "surname": "Agent",
                "email": "alice@sandbox.local",
                "team": "Service Desk",
                "_password": "alice-password",
                "is_agent": True,
            },
            {"id": 3, "name": "Bob Builder", "email": "bob@sandbox.local", "team": "Network", "_password": "bob"},
        ],
        "Status": [
            {"id": 1, "name": "New", "type": 0, "sequence": 1},
            {"id": 2, "name": "In Progress", "type": 0, "sequence": 2},
            {"id": 3, "name": "Waiting on User", "type": 1, "sequence": 3},
            {"id": 8, "name": "Resolved", "type": 2, "sequence": 8},
            {"id": 9, "name": "Closed", "type": 2, "sequence": 9},
        ],
        "SLA": [{"id": 1, "name": "Standard SLA"}],
        "Priority": [
            {"priorityid": p, "name": n, "responsetime": r, "fixtime": f, "slaid": 1}
            for p, n, r, f in [
                (1, "P1 - Critical", 0.5, 4),
                (2, "P2 - High", 1, 8),
                (3, "P3 - Medium", 4, 24),
                (4, "P4 - Low", 8, 72),
            ]
        ],
        "TicketType": [
            {"id": 1, "name": "Incident", "use": "ticket", "_required_fields": ["details"]},
            {"id": 2, "name": "Service Request", "use": "ticket"},
            {"id": 3, "name": "Problem", "use": "ticket"},
            {"id": 4, "name": "Change", "use": "ticket"},
            {"id": 5, "name": "Project", "use": "project"},
            {"id": 6, "name": "Opportunity", "use": "opportunity"},
        ],
        "Category": [
            {"id": 1, "value": "Network>VPN", "type_id": 1},
            {"id": 2, "value": "Hardware>Laptop", "type_id": 1},
        ],
        "Outcome": [
            {"id": 1, "outcome": "Private Note", "hidefromuser": True},
            {"id": 2, "outcome": "Email User", "sendemail": 1, "hidefromuser": False},
            {"id": 3, "outcome": "Resolve", "newstatus": 9, "hidefromuser": False},
            {"id": 4, "outcome": "Log Time", "hidefromuser": True},
        ],
        "AssetType": [{"id": 1, "name": "Laptop"}, {"id": 2, "name": "Server"}],
        "Asset": [
            {"id": i, "inventory_number": f"LT-{i:04d}", "assettype_id": 1, "client_id": 1, "site_id": 1}
            for i in range(1, 4)
        ],
        "KBArticle": [
            {"id": 1, "name": "Reset a VPN client", "description": "VPN drops every hour", "resolution": "Reinstall"},
            {
                "id": 2,
                "name": "Printer offline",
                "description": "Printer shows offline",
                "resolution": "Restart spooler",
            },
        ],
        "Tickets": [],
        "Actions": [],
        "Report": [
            {
                "id": 1,
                "name": "Open tickets by team",
                "_sql": "SELECT sectio_, COUNT(*) AS n FROM FAULTS GROUP BY sectio_",
            }
        ],
        "Runbook": [{"id": 1, "name": "Restart service", "_duration_seconds": 1}],
        "Supplier": [{"id": 1, "name": "Dell"}],
        "Item": [{"id": 1, "name": "Laptop", "baseprice": 999.0, "supplier_id": 1}],
        "Invoice": [{"id": 1, "client_id": 1, "invoicenumber": "INV-0001", "total": 100.0}],
        "Quotation": [{"id": 1, "client_id": 1, "title": "New laptops", "total": 2000.0}],
        "ClientContract": [{"id": 1, "client_id": 1, "ref": "CON-1"}],
        "Appointment": [
            {"id": 1, "subject": "Site visit", "agent_id": 2, "start_date": ago(-24), "end_date": ago(-25)}
        ],
        "TimesheetEvent": [{"id": 1, "agent_id": 2, "subject": "Work", "start_date": ago(3), "end_date": ago(2)}],
        "Service": [{"id": 1, "name": "Email", "summary": "Corporate email"}],
        "Attachment": [],
    }
    for i in range(1, 21):
        pri = (i % 4) + 1
        opened = now - timedelta(hours=i * 3)
        fix = {1: 4, 2: 8, 3: 24, 4: 72}[pri]
        data["Tickets"].append(
            {
                "id": i,
                "summary": f"Sample ticket {i}",
                "details": f"Details of ticket {i}",
                "tickettype_id": 1,
                "client_id": (i % 3) + 1,
                "site_id": (i % 3) + 1,
                "user_id": (i % 9) + 1,
                "agent_id": 2 if i % 2 else 3,
                "team": teams[i % 6],
                "status_id": 9 if i % 5 == 0 else 1,
                "priority_id": pri,
                "sla_id": 1,
                "dateoccurred": fmt_dt(opened),
                "respondbydate": fmt_dt(opened + timedelta(hours=1)),
                "fixbydate": fmt_dt(opened + timedelta(hours=fix)),
                "lastactiondate": fmt_dt(opened),
                "timetaken": 0.5,
                "deleted": False,
            }
        )
        data["Actions"].append(
            {"ticket_id": i, "id": 1, "outcome": "Private Note", "outcome_id": 1, "note": "Triage", "timetaken": 0.5}
        )
    return data

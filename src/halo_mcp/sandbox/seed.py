"""Deterministic seed data for the Halo sandbox.

``generate(seed, scale, now)`` returns ``{resource_name: [record, ...]}`` with Halo field names
(per the v2 OpenAPI schemas) plus ``_``-prefixed sandbox-internal keys. Records carry ids, not
names; the server derives ``*_name`` fields at read time. All dates are relative to ``now`` so
demo facts ("quotes expiring this week", "warranty expires within 90 days") stay true.

Why hand-built rather than faker-style noise: the demo workflows (triage de-dup, KB answers,
warranty audit, project/quote health, "log a P2 for the London VPN drops") need coherent stories,
so tickets are drawn from recurring problem families whose summaries, notes, resolutions and KB
articles agree with each other.
"""

from __future__ import annotations

import base64
import calendar
import random
import struct
import time
import uuid
import zlib
from bisect import bisect
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from itertools import accumulate
from typing import Any

from halo_mcp.sandbox.seed_text import (
    ACK_NOTES,
    APPS,
    ASK_NOTES,
    ASSIGN_NOTES,
    CANCEL_NOTES,
    CLOSE_NOTE,
    DEPARTMENTS,
    FAMILIES,
    FIRST_NAMES,
    ITEMS,
    JOB_TITLES,
    OPPORTUNITIES,
    PHONE_NOTES,
    PROJECT_UPDATES,
    PROJECTS,
    RUNBOOKS,
    SERVICE_CATEGORIES,
    SERVICES,
    SOFTWARE,
    SUPPLIER_NOTES,
    SURNAMES,
    USER_REPLIES,
    Family,
)

Record = dict[str, Any]
Data = dict[str, list[Record]]

NEVER = "1900-01-01T00:00:00"
PORTAL = "https://helpdesk.example.com"  # the MSP's Halo instance as seen in seeded links (agent mail domain)
HOUR = 3600
DAY = 86400
HISTORY_DAYS = 548  # ~18 months of ticket history
SMALL_TICKETS = 2000
LARGE_TICKETS = 100_000

RESOURCES: tuple[str, ...] = (
    "Client", "Site", "Users", "Agent", "Team", "Status", "Priority", "TicketType", "Category", "SLA", "Outcome",
    "Tickets", "Actions", "Asset", "AssetType", "KBArticle", "Appointment", "Attachment", "Item", "Invoice",
    "Supplier", "Quotation", "ClientContract", "TimesheetEvent", "Report", "Service", "ServiceCategory", "Runbook",
    "AssetStatus", "Timesheet", "ClientPrepay", "Workflow", "Tags",
)  # fmt: skip

# --- Fixed lookup tables -------------------------------------------------------------------------

# Status ids: type 0 = open, 1 = on hold (SLA clock paused), 2 = closed.
ST_NEW, ST_INPROG, ST_WAIT_USER, ST_WAIT_SUPP, ST_SCHEDULED, ST_APPROVAL, ST_UPDATED = 1, 2, 3, 4, 5, 6, 7
ST_RESOLVED, ST_CLOSED, ST_CANCELLED = 8, 9, 10
_STATUSES: tuple[tuple[int, str, str, int, str], ...] = (
    (ST_NEW, "New", "NEW", 0, "#2f80ed"),
    (ST_INPROG, "In Progress", "INP", 0, "#f2994a"),
    (ST_WAIT_USER, "Waiting on User", "WOU", 1, "#9b51e0"),
    (ST_WAIT_SUPP, "Waiting on Supplier", "WOS", 1, "#bb6bd9"),
    (ST_SCHEDULED, "Scheduled", "SCH", 0, "#56ccf2"),
    (ST_APPROVAL, "Awaiting Approval", "APP", 1, "#828282"),
    (ST_UPDATED, "Updated by User", "UPD", 0, "#eb5757"),
    (ST_RESOLVED, "Resolved", "RES", 2, "#27ae60"),
    (ST_CLOSED, "Closed", "CLO", 2, "#219653"),
    (ST_CANCELLED, "Cancelled", "CAN", 2, "#bdbdbd"),
)
CLOSED_STATUSES = frozenset({ST_RESOLVED, ST_CLOSED, ST_CANCELLED})
ONHOLD_STATUSES = frozenset({ST_WAIT_USER, ST_WAIT_SUPP, ST_APPROVAL})

# Priority id -> (name, response hours, fix hours, colour)
PRIORITY_TIMES: dict[int, tuple[str, float, float, str]] = {
    1: ("P1 - Critical", 0.5, 4.0, "#d32f2f"),
    2: ("P2 - High", 1.0, 8.0, "#f57c00"),
    3: ("P3 - Medium", 4.0, 24.0, "#fbc02d"),
    4: ("P4 - Low", 8.0, 72.0, "#388e3c"),
}
SLA_STANDARD, SLA_NONE = 1, 2

TEAMS: tuple[str, ...] = (
    "Service Desk", "Network", "Infrastructure", "Identity", "Security", "DevOps", "Projects", "Sales",
)  # fmt: skip

# Ticket types: name -> (use, group_id, initial status, default priority, itil type, required fields, end users)
_TICKET_TYPES: tuple[tuple[str, str, int, int, int, int, tuple[str, ...], bool], ...] = (
    ("Incident", "ticket", 1, ST_NEW, 3, 1, ("details",), True),
    ("Service Request", "ticket", 1, ST_NEW, 4, 3, ("details",), True),
    ("Problem", "ticket", 2, ST_NEW, 3, 2, ("details", "category_1"), False),
    ("Change", "ticket", 2, ST_APPROVAL, 3, 4, ("details", "category_1"), False),
    ("Project", "project", 3, ST_NEW, 4, 0, ("details",), False),
    ("Opportunity", "opportunity", 4, ST_NEW, 4, 0, (), False),
    ("Quote Request", "ticket", 4, ST_NEW, 4, 0, ("details",), True),
)
TT_INCIDENT, TT_SR, TT_PROBLEM, TT_CHANGE, TT_PROJECT, TT_OPP, TT_QUOTE = 1, 2, 3, 4, 5, 6, 7
TT_BY_NAME = {t[0]: i + 1 for i, t in enumerate(_TICKET_TYPES)}

# Outcomes (action types): name, button, new status, hidden from user, send email, default hours
_OUTCOMES: tuple[tuple[str, str, int, bool, bool, float], ...] = (
    ("Private Note", "Private Note", 0, True, False, 0.0),
    ("Email User", "Email User", 0, False, True, 0.0),
    ("Resolve", "Resolve", ST_RESOLVED, False, True, 0.25),
    ("Log Time", "Log Time", 0, True, False, 0.5),
    ("Phone Call", "Phone Call", 0, False, False, 0.25),
    ("Change Status", "Change Status", 0, True, False, 0.0),
    ("Assign", "Re-Assign", 0, True, False, 0.0),
    ("Close", "Close", ST_CLOSED, False, False, 0.0),
    ("End-User Update", "User Update", ST_UPDATED, False, False, 0.0),
    ("Cancel", "Cancel Ticket", ST_CANCELLED, False, True, 0.0),
)
OC_NOTE, OC_EMAIL, OC_RESOLVE, OC_TIME, OC_PHONE, OC_STATUS, OC_ASSIGN, OC_CLOSE, OC_USER, OC_CANCEL = range(1, 11)

# Clients: name, ref, website domain, vip, sites (name, city, timezone, phone), size weight
_CLIENTS: tuple[tuple[str, str, str, bool, tuple[tuple[str, str, str, str], ...], float], ...] = (
    (
        "Wayne Enterprises",
        "WAYNE",
        "wayne-enterprises.example.com",
        True,
        (
            ("Gotham HQ (Wayne Tower)", "Gotham", "Eastern Standard Time", "+1 212 555 0100"),
            ("Gotham Data Centre", "Gotham", "Eastern Standard Time", "+1 212 555 0190"),
            ("Bludhaven Research Lab", "Bludhaven", "Eastern Standard Time", "+1 212 555 0320"),
        ),
        1.6,
    ),
    (
        "Stark Industries",
        "STARK",
        "stark-industries.example.com",
        True,
        (
            ("Malibu HQ", "Malibu", "Pacific Standard Time", "+1 310 555 0140"),
            ("New York - Stark Tower", "New York", "Eastern Standard Time", "+1 212 555 0177"),
        ),
        1.4,
    ),
    (
        "Acme Corp",
        "ACME",
        "acme-corp.example.com",
        False,
        (
            ("Manchester HQ", "Manchester", "GMT Standard Time", "+44 161 496 0100"),
            ("London Office", "London", "GMT Standard Time", "+44 20 7946 0100"),
            ("Leeds Warehouse", "Leeds", "GMT Standard Time", "+44 113 496 0200"),
        ),
        1.5,
    ),
    (
        "Globex Corporation",
        "GLOBEX",
        "globex.example.com",
        False,
        (
            ("Dublin Office", "Dublin", "GMT Standard Time", "+353 1 555 0150"),
            ("Edinburgh Office", "Edinburgh", "GMT Standard Time", "+44 131 496 0300"),
        ),
        1.0,
    ),
    (
        "Initech",
        "INITECH",
        "initech.example.com",
        False,
        (("Austin HQ", "Austin", "Central Standard Time", "+1 512 555 0111"),),
        0.7,
    ),
    (
        "Cyberdyne Systems",
        "CYBER",
        "cyberdyne.example.com",
        False,
        (
            ("Sunnyvale Campus", "Sunnyvale", "Pacific Standard Time", "+1 408 555 0129"),
            ("Sunnyvale Data Centre", "Sunnyvale", "Pacific Standard Time", "+1 408 555 0188"),
        ),
        0.9,
    ),
    (
        "Umbrella Pharmaceuticals",
        "UMBRELLA",
        "umbrella-pharma.example.com",
        False,
        (
            ("Birmingham Labs", "Birmingham", "GMT Standard Time", "+44 121 496 0400"),
            ("Bristol Office", "Bristol", "GMT Standard Time", "+44 117 496 0500"),
        ),
        0.8,
    ),
    (
        "Oscorp",
        "OSCORP",
        "oscorp.example.com",
        False,
        (("New York - Oscorp Tower", "New York", "Eastern Standard Time", "+1 212 555 0150"),),
        0.7,
    ),
)

# Agents: first, surname, team, job title
_AGENTS: tuple[tuple[str, str, str, str], ...] = (
    ("Sam", "Carter", "Service Desk", "Service Desk Lead"),
    ("Priya", "Nair", "Service Desk", "Service Desk Analyst"),
    ("Tom", "Hughes", "Service Desk", "Service Desk Analyst"),
    ("Lena", "Kowalski", "Service Desk", "Service Desk Analyst"),
    ("Marco", "Rossi", "Network", "Network Engineer"),
    ("Aisha", "Bello", "Network", "Senior Network Engineer"),
    ("Daniel", "Frost", "Infrastructure", "Infrastructure Engineer"),
    ("Grace", "Lin", "Identity", "Identity & Access Engineer"),
    ("Owen", "Price", "Security", "Security Analyst"),
    ("Nina", "Petrova", "DevOps", "DevOps Engineer"),
    ("Raj", "Mehta", "Projects", "Project Manager"),
    ("Chloe", "Martin", "Sales", "Account Manager"),
)
_EXTRA_TEAMS: dict[int, tuple[str, ...]] = {
    1: ("Projects",),
    5: ("Infrastructure",),
    6: ("Security", "Projects"),
    7: ("Infrastructure", "Projects"),
    8: ("Service Desk",),
    10: ("Infrastructure",),
    12: ("Projects",),
}

# Asset types: name, asset group id, key field id
_ASSET_TYPES: tuple[tuple[str, int, int], ...] = (
    ("Laptop", 1, 1),
    ("Desktop", 1, 1),
    ("Mobile Phone", 1, 2),
    ("Monitor", 1, 2),
    ("Server", 2, 1),
    ("Switch", 3, 1),
    ("Firewall", 3, 1),
    ("Wireless Access Point", 3, 1),
    ("Printer", 1, 1),
)
AT_LAPTOP, AT_DESKTOP, AT_PHONE, AT_MONITOR, AT_SERVER, AT_SWITCH, AT_FIREWALL, AT_AP, AT_PRINTER = range(1, 10)
ASSET_STATUS = {1: "Active", 2: "In Stock", 3: "In Repair", 4: "Retired"}

_SUPPLIERS: tuple[tuple[str, str, str], ...] = (
    ("Dell Technologies", "support@dell.example.com", "+1 800 555 0199"),
    ("Lenovo", "warranty@lenovo.example.com", "+44 20 7946 0999"),
    ("HP Inc.", "support@hp.example.com", "+1 800 555 0147"),
    ("Apple", "business@apple.example.com", "+1 800 555 0177"),
    ("Cisco Systems", "tac@cisco.example.com", "+1 800 555 0122"),
    ("Palo Alto Networks", "support@paloalto.example.com", "+1 866 555 0123"),
    ("Ubiquiti", "support@ui.example.com", "+1 646 555 0140"),
    ("Xerox", "service@xerox.example.com", "+44 370 555 0150"),
    ("Microsoft", "partners@microsoft.example.com", "+1 800 555 0160"),
    ("Ingram Micro", "orders@ingram.example.com", "+44 1908 555 0170"),
)
SUP_DELL, SUP_LENOVO, SUP_HP, SUP_APPLE, SUP_CISCO, SUP_PALO, SUP_UBNT, SUP_XEROX, SUP_MS, SUP_INGRAM = range(1, 11)

# Asset models per type: (model, supplier id, unit cost, warranty years)
_MODELS: dict[int, tuple[tuple[str, int, float, int], ...]] = {
    AT_LAPTOP: (
        ("Dell Latitude 7440", SUP_DELL, 1450.0, 3),
        ("Dell Latitude 5420", SUP_DELL, 1100.0, 3),
        ("Lenovo ThinkPad T14 Gen 3", SUP_LENOVO, 1380.0, 3),
        ("Lenovo ThinkPad X1 Carbon Gen 11", SUP_LENOVO, 1890.0, 3),
        ("HP EliteBook 840 G9", SUP_HP, 1320.0, 3),
        ("Apple MacBook Pro 14 M3", SUP_APPLE, 2099.0, 1),
    ),
    AT_DESKTOP: (("Dell OptiPlex 7010", SUP_DELL, 899.0, 3), ("HP EliteDesk 800 G6", SUP_HP, 850.0, 3)),
    AT_PHONE: (("Apple iPhone 15", SUP_APPLE, 799.0, 1), ("Samsung Galaxy S23", SUP_INGRAM, 749.0, 2)),
    AT_MONITOR: (("Dell P2723DE 27in", SUP_DELL, 329.0, 3), ("HP E24 G5 24in", SUP_HP, 219.0, 3)),
    AT_SERVER: (
        ("Dell PowerEdge R750", SUP_DELL, 8900.0, 5),
        ("Dell PowerEdge R650", SUP_DELL, 7200.0, 5),
        ("HPE ProLiant DL380 Gen10", SUP_INGRAM, 8100.0, 3),
    ),
    AT_SWITCH: (("Cisco Catalyst 9300-48P", SUP_CISCO, 6400.0, 5), ("Ubiquiti USW-Pro-48-PoE", SUP_UBNT, 1099.0, 2)),
    AT_FIREWALL: (("Palo Alto PA-440", SUP_PALO, 2800.0, 3), ("Palo Alto PA-3220", SUP_PALO, 21000.0, 3)),
    AT_AP: (("Ubiquiti U6 Pro", SUP_UBNT, 159.0, 2), ("Cisco Meraki MR46", SUP_CISCO, 899.0, 5)),
    AT_PRINTER: (("HP Color LaserJet M554", SUP_HP, 1100.0, 1), ("Xerox VersaLink C405", SUP_XEROX, 950.0, 1)),
}
_HOST_PREFIX = {
    AT_LAPTOP: "LT",
    AT_DESKTOP: "DT",
    AT_PHONE: "MOB",
    AT_MONITOR: "MON",
    AT_SERVER: "SRV",
    AT_SWITCH: "SW",
    AT_FIREWALL: "FW",
    AT_AP: "AP",
    AT_PRINTER: "PRN",
}
_OS = {
    AT_LAPTOP: "Windows 11 Enterprise 23H2",
    AT_DESKTOP: "Windows 11 Enterprise 23H2",
    AT_SERVER: "Windows Server 2022 Datacenter",
    AT_PHONE: "iOS 17",
}

# Quotation status values used by the sandbox (Halo's QuotationHeader.status is an int).
QUOTE_STATUS = {0: "Draft", 1: "Awaiting Approval", 2: "Accepted", 3: "Declined", 4: "Expired"}
# Appointment complete_status: 0 = open, 1 = completed, 2 = cancelled.


# --- Small helpers -------------------------------------------------------------------------------


_DAY_PREFIX: dict[int, str] = {}


def iso(ts: float) -> str:
    """Format epoch seconds as Halo-style ISO 8601 UTC (``...Z``); day prefixes are cached for 100k+ records."""
    day, sec = divmod(int(ts), DAY)
    prefix = _DAY_PREFIX.get(day)
    if prefix is None:
        prefix = _DAY_PREFIX[day] = time.strftime("%Y-%m-%dT", time.gmtime(day * DAY))
    h, rem = divmod(sec, 3600)
    m, s = divmod(rem, 60)
    return f"{prefix}{h:02d}:{m:02d}:{s:02d}Z"


def _ts(s: str) -> int:
    """Parse a timestamp produced by ``iso`` back to epoch seconds."""
    return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))


def _weighted(rng: random.Random, cum: Sequence[float]) -> int:
    """Index drawn from cumulative weights (faster than ``rng.choices`` in hot loops)."""
    return bisect(cum, rng.random() * cum[-1])


def _cum(weights: Sequence[float]) -> list[float]:
    return list(accumulate(weights))


def _resolve_scale(scale: int | str) -> int:
    if isinstance(scale, bool):
        raise ValueError("scale must be 'small', 'large' or a ticket count")
    if isinstance(scale, int):
        if scale < 50:
            raise ValueError("scale must be at least 50 tickets")
        return scale
    named = {"small": SMALL_TICKETS, "large": LARGE_TICKETS}
    if scale in named:
        return named[scale]
    if scale.isdigit():
        return _resolve_scale(int(scale))
    raise ValueError(f"unknown scale {scale!r}: use 'small', 'large' or a ticket count")


def _now(now: datetime | None) -> int:
    if now is None:
        now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    elif now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return int(now.timestamp())


def _tiny_png(r: int, g: int, b: int, size: int = 8) -> bytes:
    """A real, valid solid-colour PNG so attachment downloads are genuine files."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    raw = b"".join(b"\x00" + bytes((r, g, b)) * size for _ in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


class _Ctx:
    """Per-run state shared by the builders (rng, clock, id maps)."""

    def __init__(self, seed: int, n_tickets: int, now: int) -> None:
        self.rng = random.Random(seed)
        self.n = n_tickets
        self.now = now
        self.large = n_tickets > 20_000
        self.data: Data = {name: [] for name in RESOURCES}
        self.cat_ids: dict[str, int] = {}
        self.sites_by_client: dict[int, list[int]] = {}
        self.site_city: dict[int, str] = {}
        self.client_ref: dict[int, str] = {}
        self.client_domain: dict[int, str] = {}
        self.team_id: dict[str, int] = {}
        self.team_agents: dict[str, list[int]] = {}
        self.active_users: list[Record] = []
        self.users_by_site: dict[int, list[Record]] = {}
        self.user_assets: dict[tuple[int, int], int] = {}
        self.site_assets: dict[tuple[int, int], list[int]] = {}
        self.asset_by_id: dict[int, Record] = {}


# --- Lookups -------------------------------------------------------------------------------------


def _lookups(c: _Ctx) -> None:
    d = c.data
    d["Status"] = [
        {"id": i, "name": n, "shortname": s, "type": t, "sequence": i, "colour": col, "showonquickchange": t != 2}
        for i, n, s, t, col in _STATUSES
    ]
    d["SLA"] = [
        {
            "id": SLA_STANDARD,
            "name": "Standard SLA",
            "workday_id": 1,
            "trackslaresponsetime": True,
            "trackslafixbytime": True,
            "responsereset": False,
        },
        {
            "id": SLA_NONE,
            "name": "No SLA",
            "workday_id": 1,
            "trackslaresponsetime": False,
            "trackslafixbytime": False,
            "responsereset": False,
        },
    ]
    d["Priority"] = [
        {
            "id": pid,
            "priorityid": pid,
            "name": name,
            "slaid": SLA_STANDARD,
            "responsetime": resp,
            "responseunits": "hours",
            "fixtime": fix,
            "fixunits": "hours",
            "colour": colour,
            "ishidden": False,
        }
        for pid, (name, resp, fix, colour) in PRIORITY_TIMES.items()
    ]
    d["Team"] = [
        {
            "id": i,
            "name": name,
            "sequence": i,
            "forrequests": name not in ("Sales",),
            "foropps": name == "Sales",
            "forprojects": name in ("Projects", "Infrastructure", "Network"),
            "inactive": False,
            "department_id": 1 if name != "Sales" else 2,
            "emailaddress": name.lower().replace(" ", "") + "@helpdesk.example.com",
        }
        for i, name in enumerate(TEAMS, 1)
    ]
    d["TicketType"] = [
        {
            "id": i,
            "name": name,
            "use": use,
            "group_id": group,
            "sequence": i,
            "cancreate": True,
            "agentscanselect": True,
            "enduserscanselect": endusers,
            "visible": True,
            "initial_status": initial,
            "default_sla": SLA_NONE if use != "ticket" else SLA_STANDARD,
            "default_priority": prio if prio else 3,
            "itilrequesttype": itil,
            "_required_fields": list(req),
        }
        for i, (name, use, group, initial, prio, itil, req, endusers) in enumerate(_TICKET_TYPES, 1)
    ]
    d["Outcome"] = [
        {
            "id": i,
            "outcome": name,
            "buttonname": button,
            "newstatus": newstatus,
            "hidefromuser": hidden,
            "sendemail": email,
            "defaultmanhrs": hrs,
            "sequence": i,
        }
        for i, (name, button, newstatus, hidden, email, hrs) in enumerate(_OUTCOMES, 1)
    ]
    # Outcomes limited to some ticket types (TOutcome.tickettypes, KeyPair2 {value: id, label: name}).
    service_types = [{"value": str(i), "label": t[0]} for i, t in enumerate(_TICKET_TYPES, 1) if t[1] == "ticket"]
    for oc in d["Outcome"]:
        if oc["outcome"] in ("Resolve", "End-User Update"):
            oc["tickettypes"] = service_types
    d["AssetStatus"] = [{"id": i, "name": n} for i, n in ASSET_STATUS.items()]
    d["AssetType"] = [
        {"id": i, "name": name, "assetgroup_id": group, "keyfield_id": key}
        for i, (name, group, key) in enumerate(_ASSET_TYPES, 1)
    ]
    d["Supplier"] = [
        {
            "id": i,
            "name": name,
            "email_address": email,
            "phone_number": phone,
            "inactive": False,
            "website": "https://" + email.split("@")[1],
            "notes": "Hardware warranty and support claims." if i < SUP_MS else "Licensing and distribution.",
        }
        for i, (name, email, phone) in enumerate(_SUPPLIERS, 1)
    ]
    cats: list[str] = []
    for fam in FAMILIES:
        if fam.category not in cats:
            cats.append(fam.category)
    for extra in ("Project>Implementation", "Project>Migration", "Sales>New Business", "Sales>Renewal"):
        cats.append(extra)
    d["Category"] = [{"id": i, "value": v, "category_name": v, "type_id": 1} for i, v in enumerate(cats, 1)]
    c.cat_ids = {v: i for i, v in enumerate(cats, 1)}


# --- People and places ---------------------------------------------------------------------------


def _org(c: _Ctx) -> None:
    rng, d = c.rng, c.data
    clients = list(_CLIENTS)
    extra = min(40, c.n // 5000)
    for i in range(extra):
        word = ("Vandelay", "Soylent", "Tyrell", "Hooli", "Massive Dynamic", "Wonka", "Gringotts", "Pied Piper")[i % 8]
        suffix = ("Industries", "Group", "Holdings", "Ltd", "Partners")[i // 8 % 5]
        ref = word.upper().replace(" ", "")[:6] + str(i)
        city = ("Leeds", "Glasgow", "Boston", "Chicago", "Denver", "Cardiff")[i % 6]
        clients.append(
            (
                f"{word} {suffix}",
                ref,
                f"{ref.lower()}.example.com",
                False,
                ((f"{city} Office", city, "GMT Standard Time", "+44 20 7946 0000"),),
                0.6,
            )
        )
    site_id = 0
    c.sites_by_client = {}
    c.site_city = {}
    c.client_ref = {}
    c.client_domain = {}
    weights: list[float] = []
    for cid, (name, ref, domain, vip, sites, weight) in enumerate(clients, 1):
        main_site = site_id + 1
        ids = []
        for sname, city, tz, phone in sites:
            site_id += 1
            ids.append(site_id)
            c.site_city[site_id] = city
            d["Site"].append(
                {
                    "id": site_id,
                    "name": sname,
                    "client_id": cid,
                    "inactive": False,
                    "sla_id": SLA_STANDARD,
                    "phonenumber": phone,
                    "timezone": tz,
                    "delivery_address": {"line1": sname, "line2": city, "line3": "", "postcode": ""},
                    "notes": f"{city} site for {name}.",
                }
            )
        c.sites_by_client[cid] = ids
        c.client_ref[cid] = ref
        c.client_domain[cid] = domain
        weights.append(weight)
        d["Client"].append(
            {
                "id": cid,
                "name": name,
                "toplevel_id": 1,
                "inactive": False,
                "main_site_id": main_site,
                "website": f"https://www.{domain}",
                "notes": f"Managed service client since {2016 + cid % 7}. Primary site: {sites[0][1]}.",
                "ref": ref,
                "is_vip": vip,
                "colour": ("#1f4e79", "#b22222", "#e67e22", "#2e8b57", "#6a5acd", "#008b8b", "#8b0000", "#556b2f")[
                    (cid - 1) % 8
                ],
            }
        )

    # Agents first: the API agent last, so ids 1..12 are people.
    team_id = {n: i for i, n in enumerate(TEAMS, 1)}
    c.team_id = team_id
    c.team_agents = {t: [] for t in TEAMS}
    for aid, (first, last, team, title) in enumerate(_AGENTS, 1):
        teams = (team, *_EXTRA_TEAMS.get(aid, ()))
        for t in teams:
            c.team_agents[t].append(aid)
        d["Agent"].append(
            {
                "id": aid,
                "name": f"{first} {last}",
                "firstname": first,
                "surname": last,
                "email": f"{first.lower()}.{last.lower()}@helpdesk.example.com",
                "initials": first[0] + last[0],
                "team": team,
                "teams": [{"team_id": team_id[t], "agent_id": aid} for t in teams],
                "isdisabled": False,
                "is_agent": True,
                "isapiagent": False,
                "jobtitle": title,
                "colour": "#%06x" % (0x336699 + aid * 0x0F1F2F & 0xFFFFFF),
                "_password": "sandbox",
            }
        )
    d["Agent"].append(
        {
            "id": len(_AGENTS) + 1,
            "name": "Halo MCP Integration",
            "firstname": "Halo MCP",
            "surname": "Integration",
            "email": "api@helpdesk.example.com",
            "initials": "API",
            "team": "Service Desk",
            "teams": [{"team_id": 1, "agent_id": len(_AGENTS) + 1}],
            "isdisabled": False,
            "is_agent": True,
            "isapiagent": True,
            "jobtitle": "API agent",
            "colour": "#000000",
            "_password": "sandbox",
        }
    )

    # End users, spread over clients by size, with a few well-known characters first.
    n_users = max(60, c.n // 33)
    named = (
        (1, "Lucius", "Fox", "Chief Technology Officer"),
        (1, "Bruce", "Wayne", "Chairman"),
        (2, "Pepper", "Potts", "Chief Executive Officer"),
        (2, "Happy", "Hogan", "Head of Security"),
        (3, "Wile", "Coyote", "Research Lead"),
        (4, "Hank", "Scorpio", "Managing Director"),
        (5, "Bill", "Lumbergh", "Division Vice President"),
        (6, "Miles", "Dyson", "Director of Special Projects"),
    )
    cum = _cum(weights)
    seen: set[str] = set()
    for uid in range(1, n_users + 1):
        if uid <= len(named):
            cid, first, last, title = named[uid - 1]
        else:
            cid = _weighted(rng, cum) + 1
            first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
            title = f"{rng.choice(DEPARTMENTS)} {rng.choice(JOB_TITLES)}"
        client_sites = c.sites_by_client[cid]
        # Half of each client's people sit at its main site.
        sid = client_sites[0] if len(client_sites) == 1 or rng.random() < 0.5 else rng.choice(client_sites[1:])
        if uid in (9, 10, 11, 12, 13):  # guarantee a London cohort for the VPN demo
            cid, sid = 3, c.sites_by_client[3][1]
        local = f"{first}.{last}".lower().replace("'", "")
        email = f"{local}@{c.client_domain[cid]}"
        if email in seen:
            email = f"{local}{uid}@{c.client_domain[cid]}"
        seen.add(email)
        d["Users"].append(
            {
                "id": uid,
                "name": f"{first} {last}",
                "firstname": first,
                "surname": last,
                "emailaddress": email,
                "phonenumber": f"+44 20 7946 {1000 + uid % 9000:04d}",
                "mobilenumber": f"+44 7700 9{uid % 100000:05d}",
                "site_id": sid,
                "client_id": cid,
                "inactive": uid % 37 == 0,
                "login": local,
                "title": title,
                "department": title.split(" ")[0] if uid > len(named) else "Executive",
                "isimportantcontact": uid <= len(named),
                "notes": "",
            }
        )
    for u in d["Users"]:
        if u["firstname"] in ("Wile",):
            u["emailaddress"] = "wile.coyote@acme-corp.example.com"
    c.active_users = [u for u in d["Users"] if not u["inactive"]]
    c.users_by_site = {}
    for u in c.active_users:
        c.users_by_site.setdefault(u["site_id"], []).append(u)


# --- Assets --------------------------------------------------------------------------------------


def _serial(rng: random.Random) -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
    return "".join(rng.choice(alphabet) for _ in range(7))


def _assets(c: _Ctx) -> None:
    rng, d, now = c.rng, c.data, c.now
    target = max(400, c.n // 5)
    counters: dict[tuple[int, int], int] = {}
    c.user_assets = {}
    c.site_assets = {}
    c.asset_by_id = {}

    def add(atype: int, client_id: int, site_id: int, user: Record | None, age_days: float, **extra: Any) -> Record:
        model, supplier, cost, years = rng.choice(_MODELS[atype])
        aid = len(d["Asset"]) + 1
        key = (client_id, atype)
        counters[key] = counters.get(key, 0) + 1
        host = f"{c.client_ref[client_id]}-{_HOST_PREFIX[atype]}-{counters[key]:04d}"
        serial = _serial(rng)
        bought = now - int(age_days * DAY)
        start = bought + DAY * 2
        end = start + years * 365 * DAY
        rec: Record = {
            "id": aid,
            "inventory_number": f"{c.client_ref[client_id][:4]}{aid:05d}",
            "key_field": host,
            "key_field2": serial,
            "assettype_id": atype,
            "client_id": client_id,
            "site_id": site_id,
            "users": [{"id": user["id"]}] if user else [],
            "first_user_id": user["id"] if user else 0,
            "status_id": 1,
            "inactive": False,
            "supplier_id": supplier,
            "supplier_purchasedate": iso(bought),
            "warranty_start": iso(start),
            "warranty_end": iso(end),
            "warranty_note": f"{years}-year {'next business day onsite' if atype != AT_PHONE else 'return to base'}",
            "item_cost": cost,
            "notes": "",
            "fields": [
                {"id": 1, "name": "Model", "value": model, "display": model},
                {"id": 2, "name": "Serial Number", "value": serial, "display": serial},
            ],
        }
        if atype in _OS:
            rec["fields"].append({"id": 3, "name": "Operating System", "value": _OS[atype], "display": _OS[atype]})
        rec.update(extra)
        d["Asset"].append(rec)
        c.asset_by_id[aid] = rec
        if user:
            c.user_assets.setdefault((user["id"], atype), aid)
        c.site_assets.setdefault((site_id, atype), []).append(aid)
        return rec

    # Warranty audit hook: the first laptops of London/Manchester/Gotham users have warranties that
    # expired recently or expire within 90 days.
    users = c.active_users
    for i, u in enumerate(users):
        if rng.random() < 0.96 or i < 24:
            if i < 8:
                age: float = 3 * 365 + 10 + rng.randint(5, 300)  # warranty expired 2 weeks to 10 months ago
            elif i < 16:
                age = 3 * 365 - rng.randint(5, 85)  # expires within 90 days
            else:
                age = rng.uniform(30, 4.5 * 365)
            rec = add(AT_LAPTOP, u["client_id"], u["site_id"], u, age)
            if i < 16:
                if rec["fields"][0]["value"].startswith("Apple"):  # keep the hook 3-year so the dates above hold
                    rec["fields"][0]["value"] = rec["fields"][0]["display"] = "Dell Latitude 5420"
                    rec["supplier_id"] = SUP_DELL
                start = now - int(age * DAY) + 2 * DAY
                rec["warranty_start"] = iso(start)
                rec["warranty_end"] = iso(start + 3 * 365 * DAY)
                rec["warranty_note"] = "3-year next business day onsite"
                rec["_hook"] = "warranty-expired" if i < 8 else "warranty-expiring"
        if rng.random() < 0.6:
            add(AT_PHONE, u["client_id"], u["site_id"], u, rng.uniform(30, 3 * 365))
        if rng.random() < 0.2:
            add(AT_DESKTOP, u["client_id"], u["site_id"], u, rng.uniform(60, 5 * 365))
    for site in d["Site"]:
        cid, sid = site["client_id"], site["id"]
        big = sid == c.sites_by_client[cid][0] or "Data Centre" in site["name"]
        add(AT_FIREWALL, cid, sid, None, rng.uniform(200, 5 * 365), criticality=1)
        for _ in range(rng.randint(2, 4) if big else rng.randint(1, 2)):
            add(AT_SWITCH, cid, sid, None, rng.uniform(200, 6 * 365), criticality=2)
        for _ in range(rng.randint(3, 6) if big else rng.randint(1, 3)):
            add(AT_AP, cid, sid, None, rng.uniform(100, 4 * 365))
        for _ in range(rng.randint(3, 8) if big else rng.randint(0, 2)):
            add(AT_SERVER, cid, sid, None, rng.uniform(100, 6 * 365), criticality=1)
        for _ in range(rng.randint(1, 3)):
            add(AT_PRINTER, cid, sid, None, rng.uniform(100, 5 * 365))
    # Fill to the target with monitors for users and spare laptops in stock.
    while len(d["Asset"]) < target:
        if rng.random() < 0.75:
            u = rng.choice(users)
            add(AT_MONITOR, u["client_id"], u["site_id"], u, rng.uniform(30, 5 * 365))
        else:
            cid = rng.randint(1, len(d["Client"]))
            sid = c.sites_by_client[cid][0]
            rec = add(AT_LAPTOP, cid, sid, None, rng.uniform(5, 200), status_id=2, notes="Spare - in stock")
    for rec in d["Asset"]:
        if rec["assettype_id"] != AT_LAPTOP or rec.get("_hook"):
            continue
        if rec["warranty_end"] < iso(now - 400 * DAY) and rng.random() < 0.5:
            rec["status_id"], rec["inactive"], rec["notes"] = 4, True, "Retired - replaced under refresh programme"


# --- Tickets and actions -------------------------------------------------------------------------


class _TicketPlan:
    """What a ticket will be, decided before ids are assigned (ids follow creation time)."""

    __slots__ = ("age_hint", "family", "hook", "occurred", "open_status", "overrides", "priority", "user")

    def __init__(self, occurred: int, family: Family, user: Record, priority: int) -> None:
        self.occurred = occurred
        self.family = family
        self.user = user
        self.priority = priority
        self.open_status = 0  # 0 = closed ticket, else the open status id
        self.hook = ""
        self.overrides: Record = {}
        self.age_hint = 0.0


def _business_time(rng: random.Random, day_start: int) -> int:
    """A plausible logging time on a given UTC day: mostly office hours, some evenings."""
    r = rng.random()
    hour = rng.uniform(8, 18) if r < 0.85 else rng.uniform(18, 23) if r < 0.95 else rng.uniform(0, 8)
    return day_start + int(hour * HOUR)


def _fill(template: str, ctx: Mapping[str, str]) -> str:
    return template.format_map(ctx)


def generate(seed: int = 1, scale: int | str = "small", now: datetime | None = None) -> Data:
    """Build the full sandbox dataset; same ``seed`` and ``now`` give identical output."""
    c = _Ctx(seed, _resolve_scale(scale), _now(now))
    _lookups(c)
    _org(c)
    _assets(c)
    _tickets(c)
    _kb(c)
    _commercial(c)
    _calendar(c)
    _attachments(c)
    _reports(c)
    _time_and_prepay(c)
    _workflows_and_tags(c)
    return c.data


class _LazyCtx(dict[str, str]):
    """Template values computed only when a template asks for them (saves most rng calls at 100k scale)."""

    def __init__(self, c: _Ctx, user: Record, rng: random.Random) -> None:
        super().__init__(first=user["firstname"], user=user["name"], err="", err2="", team="", agent="", supplier="")
        self.c, self.u, self.rng = c, user, rng

    def __missing__(self, key: str) -> str:
        c, user, rng = self.c, self.u, self.rng
        site_id = user["site_id"]
        value: str
        if key in ("host", "serial", "model"):
            laptop = c.asset_by_id.get(c.user_assets.get((user["id"], AT_LAPTOP), 0))
            if laptop:
                self.update(host=laptop["key_field"], serial=laptop["key_field2"], model=laptop["fields"][0]["value"])
            else:
                self.update(host="my laptop", serial="unknown", model="laptop")
            return self[key]
        if key == "city":
            value = c.site_city[site_id]
        elif key == "site":
            value = c.data["Site"][site_id - 1]["name"]
        elif key == "client":
            value = c.data["Client"][user["client_id"] - 1]["name"]
        elif key == "printer":
            pool = c.site_assets.get((site_id, AT_PRINTER))
            value = c.asset_by_id[rng.choice(pool)]["key_field"] if pool else "the floor printer"
        elif key == "server":
            pool = c.site_assets.get((site_id, AT_SERVER)) or c.site_assets.get(
                (c.sites_by_client[user["client_id"]][0], AT_SERVER)
            )
            value = c.asset_by_id[rng.choice(pool)]["key_field"] if pool else "SRV-0001"
        elif key == "app":
            value = rng.choice(APPS)
        elif key == "n":
            value = str(rng.choice((2, 3, 5, 10, 15, 20)))
        elif key == "mins":
            value = str(rng.choice((10, 15, 20, 30, 45)))
        elif key == "floor":
            value = str(rng.randint(1, 6))
        elif key == "ip":
            value = f"10.{rng.randint(1, 40)}.{rng.randint(0, 255)}.{rng.randint(2, 250)}"
        elif key == "env":
            value = rng.choice(("staging", "staging", "uat"))
        elif key == "url":
            value = f"https://staging.{c.client_domain[user['client_id']]}"
        elif key == "build":
            value = f"v{rng.randint(3, 5)}.{rng.randint(0, 19)}.{rng.randint(0, 9)}"
        elif key == "share":
            value = rng.choice(("\\\\fs01\\Finance", "\\\\fs01\\Shared", "\\\\fs02\\Projects", "\\\\fs01\\HR"))
        elif key == "pct":
            value = str(rng.randint(96, 100))
        elif key == "sw":
            value = rng.choice(SOFTWARE)
        elif key == "phone":
            value = user["mobilenumber"]
        elif key == "ref":
            value = str(rng.randint(10000000, 99999999))
        elif key == "user2":
            value = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"
        elif key == "dept":
            value = user.get("department") or rng.choice(DEPARTMENTS)
        elif key == "supplier2":
            value = rng.choice(("Ingram Micro", "Office Depot", "FedEx", "DocuSign", "Microsoft 365", "DHL"))
        elif key == "pct2":
            value = str(rng.randint(2, 9))
        else:
            raise KeyError(key)
        self[key] = value
        return value


def _ticket_context(c: _Ctx, user: Record, rng: random.Random) -> _LazyCtx:
    """Placeholder values for one ticket's templates, tied to the requester's real assets and site."""
    return _LazyCtx(c, user, rng)


def _pick_open_status(rng: random.Random, fam: Family) -> int:
    r = rng.random()
    if r < 0.18:
        return ST_NEW
    if r < 0.55:
        return ST_INPROG
    if r < 0.70:
        return ST_WAIT_USER
    if r < 0.80:
        return ST_WAIT_SUPP if fam.asset in ("laptop", "printer", "server", "phone") else ST_INPROG
    if r < 0.88:
        return ST_SCHEDULED if fam.asset else ST_INPROG
    return ST_UPDATED


def _open_age_hours(rng: random.Random, priority: int, status: int) -> float:
    """Age of an open ticket chosen so ~half are safely inside SLA, some near breach, ~30% breached."""
    fix = PRIORITY_TIMES[priority][2]
    r = rng.random()
    if status in ONHOLD_STATUSES and r < 0.5:
        return rng.uniform(fix, max(fix * 3, 24 * 10))
    if r < 0.5:
        return max(0.2, fix * rng.uniform(0.03, 0.7))
    if r < 0.68:
        return fix * rng.uniform(0.75, 0.97)
    return fix * rng.uniform(1.05, 4.0)


def _hook_plans(c: _Ctx) -> list[_TicketPlan]:
    """Tickets the demo workflows rely on: near-duplicate clusters and warranty cases."""
    fam = {f.key: f for f in FAMILIES}
    now, plans = c.now, []
    london = c.users_by_site[c.sites_by_client[3][1]]
    manchester = c.users_by_site[c.sites_by_client[3][0]]
    wayne = [u for u in c.active_users if u["client_id"] == 1]

    def plan(key: str, user: Record, prio: int, age_h: float, status: int, hook: str, **over: Any) -> None:
        p = _TicketPlan(now - int(age_h * HOUR), fam[key], user, prio)
        p.open_status, p.hook, p.overrides = status, hook, over
        plans.append(p)

    vpn = (
        "VPN keeps dropping - London office",
        "London VPN disconnecting every few minutes",
        "VPN drops again (London)",
        "Can't stay connected to VPN - London",
    )
    for i, (summary, age, st) in enumerate(
        zip(vpn, (26, 20, 7, 1.5), (ST_INPROG, ST_NEW, ST_NEW, ST_NEW), strict=True)
    ):
        plan("vpn", london[i % len(london)], 3, age, st, "dup-london-vpn", summary=summary, team="Service Desk",
             agent=0 if st == ST_NEW else None)  # fmt: skip
    s502 = (
        "502 Bad Gateway on staging",
        "Staging environment returning 502 errors",
        "Staging site down - 502 Bad Gateway",
    )
    for i, (summary, age, prio) in enumerate(zip(s502, (5, 3, 0.7), (2, 2, 3), strict=True)):
        plan("staging502", wayne[i % len(wayne)], prio, age, ST_NEW if i else ST_INPROG, "dup-staging-502",
             summary=summary, agent=0 if i else None)  # fmt: skip
    mbox_user = manchester[0]
    plan("mailbox", mbox_user, 3, 2.0, ST_NEW, "dup-mailbox", summary="Mailbox full - can't send email", agent=0)
    plan("mailbox", mbox_user, 4, 1.2, ST_NEW, "dup-mailbox", summary="Outlook says my mailbox is full", agent=0)
    for i, summary in enumerate(("Printer on floor 3 not printing", "Floor 3 printer not printing - jobs stuck")):
        plan("printer", manchester[(i + 1) % len(manchester)], 3, 4 - i * 2.5, ST_NEW, "dup-printer", summary=summary,
             agent=0, floor="3")  # fmt: skip
    plan("mfa", manchester[-1], 3, 0.8, ST_NEW, "l1-kb", summary="Lost phone - please reset my MFA", agent=0)
    # Black-screen tickets on laptops whose warranty has expired or is about to.
    hooked = [a for a in c.data["Asset"] if a.get("_hook") in ("warranty-expired", "warranty-expiring")]
    for i, asset in enumerate(hooked[:6:2]):
        user = c.data["Users"][asset["first_user_id"] - 1]
        plan("blackscreen", user, 3, 30 + i * 20, (ST_INPROG, ST_WAIT_SUPP, ST_SCHEDULED)[i], "warranty-ticket",
             asset_id=asset["id"])  # fmt: skip
    return plans


def _tickets(c: _Ctx) -> None:
    """Plan every ticket, sort by logged time so ids ascend with time, then build records and actions."""
    rng, now, n = c.rng, c.now, c.n
    n_projects, n_opps = max(6, n // 160), max(8, n // 120)
    hooks = _hook_plans(c)
    n_random = n - n_projects - n_opps - len(hooks)
    fam_cum = _cum([f.weight for f in FAMILIES])
    prio_cum = {f.key: _cum(f.priorities) for f in FAMILIES}
    users = c.active_users
    user_cum = _cum([rng.paretovariate(1.6) for _ in users])
    start = now - HISTORY_DAYS * DAY
    n_open = round(n_random * 0.07)
    plans: list[_TicketPlan] = []
    for i in range(n_random):
        fam = FAMILIES[_weighted(rng, fam_cum)]
        user = users[_weighted(rng, user_cum)]
        prio = _weighted(rng, prio_cum[fam.key]) + 1
        if i < n_open:
            status = _pick_open_status(rng, fam)
            age = _open_age_hours(rng, prio, status)
            p = _TicketPlan(now - int(age * HOUR), fam, user, prio)
            p.open_status = status
        else:
            u = rng.random()
            frac = u if rng.random() < 0.5 else u**0.5  # volume grows over the 18 months
            day = start + int(frac * HISTORY_DAYS) * DAY
            day -= day % DAY
            wd = time.gmtime(day).tm_wday
            if wd >= 5 and rng.random() < 0.8:
                day -= (wd - 4) * DAY
            fix_h = PRIORITY_TIMES[prio][2]
            dur = fix_h * (rng.uniform(0.05, 0.9) if rng.random() < 0.86 else rng.uniform(1.05, 3.0))
            if fix_h >= 24:
                dur *= rng.uniform(0.4, 1.0)
            occurred = min(_business_time(rng, day), now - HOUR - int(dur * HOUR))
            p = _TicketPlan(occurred, fam, user, prio)
            p.age_hint = dur
        r = rng.random()
        if r < 0.015:
            p.overrides["type"] = TT_PROBLEM
        elif r < 0.04:
            p.overrides["type"] = TT_CHANGE
        plans.append(p)
    plans.extend(hooks)
    plans.extend(_project_plans(c, n_projects, n_opps))
    plans.sort(key=lambda p: p.occurred)
    tickets, actions = c.data["Tickets"], c.data["Actions"]
    for tid, p in enumerate(plans, 1):
        if p.overrides.get("type") in (TT_PROJECT, TT_OPP):
            t, acts = _build_project(c, tid, p)
        else:
            t, acts = _build_ticket(c, tid, p)
        tickets.append(t)
        actions.extend(acts)


def _agent_name(c: _Ctx, aid: int) -> str:
    return c.data["Agent"][aid - 1]["name"]


def _build_ticket(c: _Ctx, tid: int, p: _TicketPlan) -> tuple[Record, list[Record]]:
    rng, now, fam, user, over = c.rng, c.now, p.family, p.user, p.overrides
    ctx = _ticket_context(c, user, rng)
    if "floor" in over:
        ctx["floor"] = over["floor"]
    ctx["err"] = ctx["err2"] = _fill(rng.choice(fam.errors), ctx)
    ttype = over.get("type") or TT_BY_NAME[fam.ticket_type]
    fix = rng.choice(fam.fixes)
    prio = p.priority
    resp_h, fix_h = PRIORITY_TIMES[prio][1], PRIORITY_TIMES[prio][2]
    if ttype == TT_PROBLEM:
        summary = f"Problem: recurring {fam.name.lower()} ({ctx['client']})"
        details = (
            f"Raising a problem record: {rng.randint(3, 9)} incidents about {fam.name.lower()} at {ctx['client']} "
            f'in the last {rng.choice((2, 3, 4))} weeks. Typical report: "{_fill(rng.choice(fam.summaries), ctx)}". '
            "Need root cause and a permanent fix."
        )
    elif ttype == TT_CHANGE:
        summary = f"Change: {fix.title}"
        steps = "\n".join(f"{i}. {_fill(s, ctx)}" for i, s in enumerate(fix.steps, 1))
        details = (
            f"Standard change for {ctx['client']} ({ctx['site']}).\n\nImplementation plan:\n{steps}\n\n"
            f"Backout: revert configuration from the pre-change backup.\nRisk: low. Outage: none expected."
        )
    else:
        summary = over.get("summary") or _fill(rng.choice(fam.summaries), ctx)
        details = _fill(rng.choice(fam.details), ctx) + " " + _fill(rng.choice(fam.quotes), ctx)
        if rng.random() < 0.25:
            details += f"\n\n{ctx['first']}\n{ctx['client']}, {ctx['city']}"
    team = over.get("team") or fam.team
    team_agents = c.team_agents[team]
    agent = team_agents[tid % len(team_agents)] if rng.random() < 0.6 else rng.choice(team_agents)
    sd = c.team_agents["Service Desk"]
    escalate = fam.team != "Service Desk" and team == fam.team and rng.random() < 0.6
    first_agent = rng.choice(sd[:4]) if escalate else agent
    status = p.open_status or ST_CLOSED
    occurred = p.occurred
    is_open = p.open_status != 0
    cancelled = not is_open and rng.random() < 0.03
    # Resolution time: mostly inside the fix window, some breached; closed before now.
    if is_open:
        end = now - int(rng.uniform(0, min(now - occurred, 4 * HOUR)) * 0.5)
    else:
        end = min(occurred + int(p.age_hint * HOUR), now - HOUR)
    # Sequence of (outcome, agent id or 0 for the end user, note, hours, new status)
    steps_: list[tuple[int, int, str, float, int]] = []
    ctx["agent"] = _agent_name(c, first_agent)
    rich = not c.large or occurred > now - 45 * DAY or is_open
    if not (is_open and status == ST_NEW):
        steps_.append((OC_EMAIL, first_agent, _fill(rng.choice(ACK_NOTES), ctx), rng.choice((0.05, 0.1, 0.1, 0.15)),
                       ST_INPROG))  # fmt: skip
        if rich:
            steps_.append(
                (OC_NOTE, first_agent, _fill(rng.choice(fam.triage), ctx), rng.choice((0.1, 0.2, 0.25, 0.3)), 0)
            )
        if escalate:
            ctx["team"] = fam.team
            steps_.append((OC_ASSIGN, first_agent, _fill(rng.choice(ASSIGN_NOTES), ctx), 0.05, 0))
        ctx["agent"] = _agent_name(c, agent)
        if rich and not cancelled and ((not is_open and rng.random() < 0.3) or status in (ST_WAIT_USER, ST_UPDATED)):
            steps_.append((OC_EMAIL, agent, _fill(rng.choice(ASK_NOTES), ctx), 0.1, ST_WAIT_USER))
            if status != ST_WAIT_USER:
                steps_.append((OC_USER, 0, _fill(rng.choice(USER_REPLIES), ctx), 0.0, ST_UPDATED))
        if status in (ST_WAIT_SUPP, ST_SCHEDULED) or (not is_open and fam.asset and rng.random() < 0.15):
            asset_sup = c.data["Supplier"][rng.choice((SUP_DELL, SUP_LENOVO, SUP_HP, SUP_XEROX)) - 1]["name"]
            ctx["supplier"] = asset_sup
            steps_.append((OC_EMAIL, agent, _fill(rng.choice(SUPPLIER_NOTES), ctx), 0.25, ST_WAIT_SUPP))
            if status == ST_SCHEDULED:
                steps_.append((OC_NOTE, agent, "Engineer visit booked; see appointment.", 0.05, ST_SCHEDULED))
        if rich and rng.random() < 0.3 and not cancelled:
            steps_.append((OC_PHONE, agent, _fill(rng.choice(PHONE_NOTES), ctx), rng.choice((0.1, 0.25, 0.25, 0.5)), 0))
        if not is_open and not cancelled:
            lo, hi = fix.hours
            work = round(rng.uniform(lo, hi) * 4) / 4 or 0.25
            first_step = _fill(fix.steps[0], ctx)
            if rich:
                steps_.append((OC_TIME, agent, f"Working on it: {first_step}", work, 0))
            resolve_hours = 0.25 if rich else work
            steps_.append((OC_RESOLVE, agent, _fill(fix.note, ctx), resolve_hours, ST_RESOLVED))
        elif cancelled:
            steps_.append((OC_CANCEL, agent, _fill(rng.choice(CANCEL_NOTES), ctx), 0.05, ST_CANCELLED))
        elif status == ST_INPROG and rng.random() < 0.5:
            steps_.append((OC_TIME, agent, f"Investigating: {_fill(fix.steps[0], ctx)}", 0.25, 0))
    # Timestamps: first response inside the response window (mostly), the rest spread until `end`.
    resp_delay = resp_h * (rng.uniform(0.05, 0.9) if rng.random() < 0.9 else rng.uniform(1.1, 2.5))
    first_t = occurred + int(resp_delay * HOUR)
    if first_t >= end:
        first_t = occurred + (end - occurred) // 3
    k = len(steps_)
    times = [first_t] if k else []
    if k > 1:
        mids = sorted(rng.randint(first_t, end) for _ in range(k - 2))
        times += [*mids, end]
    closed_status_ts = 0
    if not is_open and not cancelled:
        status = ST_RESOLVED
        if end + 3 * DAY + 3 * HOUR < now:
            status = ST_CLOSED
            steps_.append((OC_CLOSE, agent, CLOSE_NOTE, 0.0, ST_CLOSED))
            times.append(end + 3 * DAY + 2 * HOUR)
    elif cancelled:
        status = ST_CANCELLED
    acts: list[Record] = []
    total = 0.0
    for i, ((oc, who, note, hours, new_status), ts) in enumerate(zip(steps_, times, strict=True), 1):
        name = _OUTCOMES[oc - 1][0]
        a: Record = {
            "ticket_id": tid,
            "id": i,
            "outcome": name,
            "outcome_id": oc,
            "note": note,
            "hiddenfromuser": _OUTCOMES[oc - 1][3],
            "timetaken": hours,
            "datetime": iso(ts),
            "who": _agent_name(c, who) if who else user["name"],
            "who_agentid": who,
            "sendemail": _OUTCOMES[oc - 1][4],
        }
        if new_status:
            a["new_status"] = new_status
        total += hours
        acts.append(a)
    if not is_open:
        closed_status_ts = end
    last_ts = times[len(steps_) - 1] if steps_ else occurred
    prio_impact = {1: (1, 1), 2: (1, 2), 3: (2, 2), 4: (3, 3)}[prio]
    assets: list[Record] = []
    if "asset_id" in over:
        assets = [{"id": over["asset_id"]}]
    elif fam.asset in ("laptop", "phone"):
        aid = c.user_assets.get((user["id"], AT_LAPTOP if fam.asset == "laptop" else AT_PHONE))
        assets = [{"id": aid}] if aid else []
    elif fam.asset in ("printer", "server", "network"):
        atype = {"printer": AT_PRINTER, "server": AT_SERVER, "network": AT_FIREWALL}[fam.asset]
        pool = c.site_assets.get((user["site_id"], atype))
        assets = [{"id": rng.choice(pool)}] if pool else []
    final_agent = agent
    if "agent" in over and over["agent"] is not None:
        final_agent = over["agent"]
    elif is_open and status == ST_NEW and rng.random() < 0.6:
        final_agent = 0
    onhold = status in ONHOLD_STATUSES
    t: Record = {
        "id": tid,
        "summary": summary,
        "details": details,
        "tickettype_id": ttype,
        "client_id": user["client_id"],
        "site_id": user["site_id"],
        "user_id": user["id"],
        "team_id": c.team_id[team if not escalate else fam.team],
        "team": team if not escalate else fam.team,
        "agent_id": final_agent,
        "status_id": status,
        "priority_id": prio,
        "sla_id": SLA_STANDARD,
        "category_1": fam.category,
        "categoryid_1": c.cat_ids[fam.category],
        "impact": prio_impact[0],
        "urgency": prio_impact[1],
        "dateoccurred": iso(occurred),
        "datecreated": iso(occurred),
        "dateclosed": iso(closed_status_ts) if closed_status_ts else NEVER,
        "hasbeenclosed": not is_open,
        "respondbydate": iso(occurred + int(resp_h * HOUR)),
        "fixbydate": iso(occurred + int(fix_h * HOUR)),
        "responsedate": iso(times[0]) if steps_ else NEVER,
        "timetaken": round(total, 2),
        "lastactiondate": iso(last_ts),
        "last_update": iso(last_ts),
        "deleted": False,
        "closure_note": acts[-2 if status == ST_CLOSED else -1]["note"] if not is_open else "",
        "assets": assets,
        "onhold": onhold,
        "excludefromsla": False,
        "source": 0 if rng.random() < 0.6 else 1,
    }
    t["_family"] = fam.key
    if p.hook:
        t["_hook"] = p.hook
    return t, acts


# --- Projects and opportunities ------------------------------------------------------------------


def _project_plans(c: _Ctx, n_projects: int, n_opps: int) -> list[_TicketPlan]:
    """Projects with health stories (on track, over budget, late) and sales opportunities."""
    rng, now, out = c.rng, c.now, []
    n_clients = len(c.data["Client"])
    health = ("project-over-budget", "project-behind-schedule", "project-on-track", "project-at-risk", "project-done")
    for i in range(n_projects):
        cid = i % n_clients + 1
        contacts = [u for u in c.active_users if u["client_id"] == cid] or c.active_users
        kind = health[i] if i < len(health) else rng.choice(("project-on-track", "project-done", "project-on-track"))
        age_days = {"project-done": rng.uniform(200, 500)}.get(kind, rng.uniform(40, 160))
        p = _TicketPlan(now - int(age_days * DAY), FAMILIES[0], contacts[0], 3)
        p.overrides = {"type": TT_PROJECT, "index": i, "health": kind}
        p.hook = kind if i < len(health) else ""
        out.append(p)
    for i in range(n_opps):
        cid = (i * 3) % n_clients + 1
        contacts = [u for u in c.active_users if u["client_id"] == cid] or c.active_users
        p = _TicketPlan(now - int(rng.uniform(3, 220) * DAY), FAMILIES[0], contacts[i % len(contacts)], 3)
        p.overrides = {"type": TT_OPP, "index": i}
        out.append(p)
    return out


def _build_project(c: _Ctx, tid: int, p: _TicketPlan) -> tuple[Record, list[Record]]:
    rng, now, user, over = c.rng, c.now, p.user, p.overrides
    client = c.data["Client"][user["client_id"] - 1]
    city = c.site_city[user["site_id"]]
    occurred = p.occurred
    acts: list[Record] = []
    base: Record = {
        "id": tid,
        "client_id": user["client_id"],
        "site_id": user["site_id"],
        "user_id": user["id"],
        "priority_id": 3,
        "sla_id": SLA_NONE,
        "impact": 2,
        "urgency": 2,
        "dateoccurred": iso(occurred),
        "datecreated": iso(occurred),
        "deleted": False,
        "assets": [],
        "onhold": False,
        "excludefromsla": True,
        "source": 2,
    }
    if over["type"] == TT_PROJECT:
        summary_t, category, budget_type, details_t = PROJECTS[over["index"] % len(PROJECTS)]
        kind = over["health"]
        agent = 11 if over["index"] % 3 else 7
        budget_h = float(rng.choice((40, 60, 80, 120, 160, 240)))
        rate = 95.0
        duration = int(rng.uniform(60, 150)) * DAY
        target = occurred + duration
        elapsed = min(1.0, (now - occurred) / duration)
        if kind == "project-over-budget":
            pct, actual_h = round(rng.uniform(60, 75)), budget_h * rng.uniform(1.1, 1.35)
        elif kind == "project-behind-schedule":
            target = now - int(rng.uniform(5, 20) * DAY)
            pct, actual_h = round(rng.uniform(55, 70)), budget_h * rng.uniform(0.7, 0.9)
        elif kind == "project-at-risk":
            target = now + int(rng.uniform(4, 10) * DAY)
            pct, actual_h = round(rng.uniform(30, 45)), budget_h * rng.uniform(0.8, 0.95)
        elif kind == "project-done":
            target = occurred + duration
            pct, actual_h = 100, budget_h * rng.uniform(0.85, 1.05)
        else:
            pct = round(max(5.0, min(95.0, elapsed * 100 * rng.uniform(0.9, 1.1))))
            actual_h = budget_h * pct / 100 * rng.uniform(0.85, 1.0)
        # Progress updates as Log Time actions whose hours sum to the actual time.
        n_upd = max(2, min(12, int(actual_h // 8)))
        chunks = [round(actual_h / n_upd * 4) / 4 for _ in range(n_upd)]
        last_t = min(now - HOUR, target if kind == "project-done" else now - HOUR)
        times = sorted(rng.randint(occurred + DAY, max(occurred + DAY + 1, last_t)) for _ in range(n_upd))
        for i, (h, ts) in enumerate(zip(chunks, times, strict=True), 1):
            acts.append(
                {
                    "ticket_id": tid,
                    "id": i,
                    "outcome": "Log Time",
                    "outcome_id": OC_TIME,
                    "note": rng.choice(PROJECT_UPDATES),
                    "hiddenfromuser": True,
                    "timetaken": h,
                    "datetime": iso(ts),
                    "who": _agent_name(c, agent),
                    "who_agentid": agent,
                    "sendemail": False,
                }
            )
        actual = round(sum(chunks), 2)
        done = kind == "project-done"
        if done:
            acts.append(
                {
                    "ticket_id": tid,
                    "id": len(acts) + 1,
                    "outcome": "Close",
                    "outcome_id": OC_CLOSE,
                    "note": "Project complete: all milestones signed off by the client.",
                    "hiddenfromuser": False,
                    "timetaken": 0.0,
                    "datetime": iso(times[-1] + DAY),
                    "who": _agent_name(c, agent),
                    "who_agentid": agent,
                    "sendemail": False,
                    "new_status": ST_CLOSED,
                }
            )
        last = acts[-1]["datetime"]
        base.update(
            {
                "summary": summary_t.format(client=client["name"], city=city),
                "details": details_t.format(client=client["name"], city=city),
                "tickettype_id": TT_PROJECT,
                "team_id": c.team_id["Projects"],
                "team": "Projects",
                "agent_id": agent,
                "status_id": ST_CLOSED if done else ST_INPROG,
                "category_1": category,
                "categoryid_1": c.cat_ids[category],
                "dateclosed": last if done else NEVER,
                "hasbeenclosed": done,
                "timetaken": actual,
                "lastactiondate": last,
                "last_update": last,
                "closure_note": acts[-1]["note"] if done else "",
                "startdate": iso(occurred),
                "targetdate": iso(target),
                "deadlinedate": iso(target + 14 * DAY),
                "budgettype": budget_type,
                "estimate": budget_h,
                "projecttimebudget": budget_h,
                "projectmoneybudget": round(budget_h * rate, 2),
                "projecttimeactual": actual,
                "projectmoneyactual": round(actual * rate, 2),
                "projectcompletionpercentage": float(pct),
                "projecttimepercentage": round(actual / budget_h * 100, 1),
            }
        )
        if p.hook:
            base["_hook"] = p.hook
        return base, acts
    # Opportunity
    title, (lo, hi), _lines = OPPORTUNITIES[over["index"] % len(OPPORTUNITIES)]
    value = float(round(rng.uniform(lo, hi), -2))
    r = rng.random()
    won, lost = r < 0.25, 0.25 <= r < 0.4
    closed = won or lost
    prob = 100.0 if won else 0.0 if lost else float(rng.choice((20, 40, 50, 60, 75, 90)))
    target = occurred + int(rng.uniform(30, 120) * DAY)
    note = (
        f"Opportunity raised with {user['name']} at {client['name']}: {title.lower()}. "
        f"Estimated value {value:,.0f}. Next step: send quote and book a review call."
    )
    acts.append(
        {
            "ticket_id": tid,
            "id": 1,
            "outcome": "Phone Call",
            "outcome_id": OC_PHONE,
            "note": f"Discovery call with {user['firstname']}; requirements captured, quote to follow.",
            "hiddenfromuser": True,
            "timetaken": 0.5,
            "datetime": iso(min(now - HOUR, occurred + DAY)),
            "who": _agent_name(c, 12),
            "who_agentid": 12,
            "sendemail": False,
        }
    )
    if closed:
        acts.append(
            {
                "ticket_id": tid,
                "id": 2,
                "outcome": "Close",
                "outcome_id": OC_CLOSE,
                "note": "Won: client accepted the quote." if won else "Lost: client chose a cheaper competitor.",
                "hiddenfromuser": True,
                "timetaken": 0.0,
                "datetime": iso(min(now - HOUR, occurred + 20 * DAY)),
                "who": _agent_name(c, 12),
                "who_agentid": 12,
                "sendemail": False,
                "new_status": ST_CLOSED,
            }
        )
    last = acts[-1]["datetime"]
    base.update(
        {
            "summary": f"{client['name']}: {title}",
            "details": note,
            "tickettype_id": TT_OPP,
            "team_id": c.team_id["Sales"],
            "team": "Sales",
            "agent_id": 12,
            "status_id": ST_CLOSED if closed else ST_INPROG,
            "category_1": "Sales>New Business" if over["index"] % 3 else "Sales>Renewal",
            "categoryid_1": c.cat_ids["Sales>New Business" if over["index"] % 3 else "Sales>Renewal"],
            "dateclosed": last if closed else NEVER,
            "hasbeenclosed": closed,
            "timetaken": round(sum(a["timetaken"] for a in acts), 2),
            "lastactiondate": last,
            "last_update": last,
            "closure_note": acts[-1]["note"] if closed else "",
            "targetdate": iso(target),
            "oppvalue": value,
            "oppconversionprobability": prob,
            "opptype": "New Business" if over["index"] % 3 else "Renewal",
        }
    )
    base["_opp_index"] = over["index"]
    return base, acts


# --- Knowledge base ------------------------------------------------------------------------------


def _html_list(steps: Sequence[str]) -> str:
    return "<ol>" + "".join(f"<li>{_esc(s)}</li>" for s in steps) + "</ol>"


def _esc(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _kb(c: _Ctx) -> None:
    """One article per family fix: symptoms in the description, concrete steps in the resolution."""
    rng, now, kb = c.rng, c.now, c.data["KBArticle"]
    tag_ids: dict[str, int] = {}
    generic = {
        "city": "your office",
        "host": "the laptop",
        "printer": "the printer",
        "server": "the server",
        "first": "the user",
        "build": "the new build",
        "url": "the staging URL",
        "floor": "the",
        "share": "the file share",
        "app": "the application",
        "sw": "the software",
        "client": "the client",
        "site": "the site",
        "n": "a few",
        "mins": "a few",
        "pct": "99",
        "phone": "their mobile",
        "serial": "the serial number",
        "model": "laptop",
        "ip": "the device IP",
        "env": "staging",
        "err": "",
        "user": "the user",
        "agent": "Service Desk",
        "team": "the resolver team",
        "supplier": "the supplier",
        "ref": "the case reference",
        "user2": "the new user",
        "dept": "the department",
        "supplier2": "a supplier",
        "pct2": "5",
        "err2": "",
    }
    for fam in FAMILIES:
        symptoms = [_fill(s, generic) for s in fam.summaries[:3]]
        errors = [e for e in fam.errors if e]
        for fix in fam.fixes:
            steps = [_fill(s, generic) for s in fix.steps]
            desc = f"Applies to: {fam.category.replace('>', ' > ')} ({fam.team}).\n\nSymptoms:\n" + "\n".join(
                f"- {s}" for s in symptoms
            )
            if errors:
                desc += "\n\nError messages seen:\n" + "\n".join(f"- {e}" for e in errors)
            resolution = "\n".join(f"{i}. {s}" for i, s in enumerate(steps, 1))
            resolution += f"\n\nTypical outcome: {_fill(fix.note, generic)}"
            tags = []
            for tag in fam.tags:
                tag_ids.setdefault(tag, len(tag_ids) + 1)
                tags.append({"id": tag_ids[tag], "text": tag})
            created = now - int(rng.uniform(120, 520) * DAY)
            edited = created + int(rng.uniform(0, (now - created) / DAY) * DAY)
            kid = len(kb) + 1
            kb.append(
                {
                    "id": kid,
                    "name": fix.title,
                    "description": desc,
                    "description_html": "<p>"
                    + _esc(desc.split("\n\n")[0])
                    + "</p><h3>Symptoms</h3><ul>"
                    + "".join(f"<li>{_esc(s)}</li>" for s in symptoms)
                    + "</ul>"
                    + ("<h3>Errors</h3><ul>" + "".join(f"<li><code>{_esc(e)}</code></li>" for e in errors) + "</ul>")
                    * bool(errors),
                    "resolution": resolution,
                    "resolution_html": _html_list(steps) + f"<p>{_esc(_fill(fix.note, generic))}</p>",
                    "tag_string": ", ".join(fam.tags),
                    "tags": tags,
                    "view_count": rng.randint(20, 900),
                    "useful_count": rng.randint(3, 80),
                    "notuseful_count": rng.randint(0, 6),
                    "date_created": iso(created),
                    "date_edited": iso(edited),
                    "creator_id": c.team_agents[fam.team][0],
                    "editor_id": rng.choice(c.team_agents[fam.team]),
                    "next_review_date": iso(edited + 365 * DAY),
                    "type": 0,
                    "inactive": False,
                    "_family": fam.key,
                }
            )


# --- Commercial: items, contracts, invoices, quotes; services and runbooks -------------------------


def _commercial(c: _Ctx) -> None:
    rng, now, d = c.rng, c.now, c.data
    d["Item"] = [
        {
            "id": i,
            "name": name,
            "description": desc,
            "baseprice": price,
            "costprice": cost,
            "quantity_in_stock": float(rng.randint(0, 40)) if atype else 0.0,
            "supplier_id": sup,
            "assettype_id": atype,
            "internalreference": f"ITM-{i:04d}",
            "taxable": True,
        }
        for i, (name, desc, price, cost, sup, atype) in enumerate(ITEMS, 1)
    ]
    item_id = {it["name"]: it["id"] for it in d["Item"]}
    item_price = {it["name"]: it["baseprice"] for it in d["Item"]}
    # Contracts: one managed-service agreement per client, a few ending soon.
    for client in d["Client"]:
        cid = client["id"]
        n_users = sum(1 for u in d["Users"] if u["client_id"] == cid)
        start = now - int(rng.uniform(200, 900) * DAY)
        end = start + rng.choice((1, 2, 3)) * 365 * DAY
        if cid in (3, 5):  # Acme and Initech renewals are due soon
            end = now + int(rng.uniform(10, 55) * DAY)
        while end < now:
            end += 365 * DAY
        monthly = round(max(10, n_users) * 45.0, 2)
        d["ClientContract"].append(
            {
                "id": len(d["ClientContract"]) + 1,
                "client_id": cid,
                "site_id": client["main_site_id"],
                "ref": f"{client['ref']}-MSA",
                "start_date": iso(start),
                "end_date": iso(end),
                "status": 1,
                "contract_status": "Active",
                "sla_id": SLA_STANDARD,
                "billingperiod": 1,
                "periodchargeamount": monthly,
                "chargehoursperperiod": float(rng.choice((10, 20, 40))),
                "note": f"Managed service agreement: service desk, patching and monitoring, {max(10, n_users)} users.",
            }
        )
    # Invoices: monthly contract billing for the last 12 months; recent ones unpaid, a few overdue.
    month = 30 * DAY
    for con in d["ClientContract"]:
        for m in range(12, 0, -1):
            inv_date = now - m * month
            inv_date -= inv_date % DAY
            due = inv_date + 30 * DAY
            total = round(con["periodchargeamount"] * 1.2, 2)
            paid = due < now - 5 * DAY and not (con["client_id"] == 5 and m <= 3)
            if m == 1:
                paid = False
            d["Invoice"].append(
                {
                    "id": len(d["Invoice"]) + 1,
                    "invoicenumber": f"INV-{10000 + len(d['Invoice']) + 1}",
                    "client_id": con["client_id"],
                    "contract_id": con["id"],
                    "invoice_date": iso(inv_date),
                    "duedate": iso(due),
                    "posted": True,
                    "total": total,
                    "amountpaid": total if paid else 0.0,
                    "amountdue": 0.0 if paid else total,
                    "datepaid": iso(due - int(rng.uniform(0, 20) * DAY)) if paid else NEVER,
                    "reference": f"{con['ref']} {time.strftime('%b %Y', time.gmtime(inv_date))}",
                    "lines": [
                        {
                            "id": 1,
                            "item_shortdescription": "Managed service - per user per month",
                            "item_longdescription": "Managed service for "
                            + time.strftime("%B %Y", time.gmtime(inv_date)),
                            "qty_order": round(con["periodchargeamount"] / 45.0, 0),
                            "unit_price": 45.0,
                            "net_amount": con["periodchargeamount"],
                            "tax_amount": round(con["periodchargeamount"] * 0.2, 2),
                        }
                    ],
                }
            )
    # Quotes: for opportunities and some projects; several awaiting approval and expiring this week.
    opps = [t for t in d["Tickets"] if t["tickettype_id"] == TT_OPP]
    projects = [t for t in d["Tickets"] if t["tickettype_id"] == TT_PROJECT]
    expiring_left = 5
    for t in [*opps, *projects[:4]]:
        n_q = 2 if rng.random() < 0.3 else 1
        for q in range(n_q):
            if t["tickettype_id"] == TT_OPP:
                title, _rng_v, line_names = OPPORTUNITIES[t["_opp_index"] % len(OPPORTUNITIES)]
            else:
                title, line_names = f"Change request: {t['summary']}", ("Installation labour (day)",)
            lines = []
            for j, name in enumerate(line_names, 1):
                qty = float(rng.choice((1, 2, 5, 10, 25, 50)))
                price = item_price[name]
                lines.append(
                    {
                        "id": j,
                        "item_id": item_id[name],
                        "name": name,
                        "description": name,
                        "current_quantity": qty,
                        "baseprice": price,
                        "costprice": round(price * 0.8, 2),
                        "net_total": round(qty * price, 2),
                    }
                )
            total = round(sum(ln["net_total"] for ln in lines), 2)
            hook = ""
            if t["status_id"] in CLOSED_STATUSES:
                quote_date = now - int(rng.uniform(40, 300) * DAY)
                status = 2 if "Won" in t["closure_note"] or t["tickettype_id"] == TT_PROJECT else 3
                approval = 1 if status == 2 else 2
            elif expiring_left > 0 and q == 0:
                expiring_left -= 1
                quote_date = now - 30 * DAY + int(rng.uniform(1, 6.5) * DAY)  # 30-day validity ends this week
                status, approval, hook = 1, 0, "quote-expiring-this-week"
            else:
                quote_date = now - int(rng.uniform(2, 80) * DAY)
                status = 1 if quote_date + 30 * DAY > now else 4
                approval = 0
            rec: Record = {
                "id": len(d["Quotation"]) + 1,
                "title": title if q == 0 else f"{title} (revised)",
                "ticket_id": t["id"],
                "client_id": t["client_id"],
                "site_id": t["site_id"],
                "user_id": t["user_id"],
                "agent_id": 12,
                "date": iso(quote_date),
                "expiry_date": iso(quote_date + 30 * DAY),
                "status": status,
                "approvalstate": approval,
                "total": total,
                "tax_total": round(total * 0.2, 2),
                "note": f"Quote valid for 30 days. Prices exclude VAT. Prepared for {t['summary']}.",
                "lines": lines,
            }
            if hook:
                rec["_hook"] = hook
            d["Quotation"].append(rec)
    d["ServiceCategory"] = [
        {"id": i, "name": name, "summary": summary, "seq": i, "service_count": sum(1 for s in SERVICES if s[2] == i)}
        for i, name, summary in SERVICE_CATEGORIES
    ]
    d["Service"] = []
    for i, (name, summary, cat) in enumerate(SERVICES, 1):
        degraded = name.startswith("Staging")
        slug = "".join(ch if ch.isalnum() else "-" for ch in name.lower()).strip("-").replace("--", "-")
        d["Service"].append(
            {
                "id": i,
                "name": name,
                "summary": summary,
                "service_category_id": cat,
                # current_status: 1 operational, 2 degraded (the spec has no status-name field; the readable
                # state is the public status message).
                "current_status": 2 if degraded else 1,
                "status_message_update_public": "Degraded: 502 errors reported after the latest deploy."
                if degraded
                else "Operational",
                "status_date": iso(now - (3 * HOUR if degraded else 30 * DAY)),
                "trackstatus": True,
                "subscribable": True,
                "showinusercatalog": True,
                "showintechcatalog": True,
                "sequence": i,
                "service_url": f"{PORTAL}/portal/services?id={i}",
                "link": f"{PORTAL}/kb/services/{slug}",
            }
        )
    d["Runbook"] = [
        {
            "id": i,
            "guid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{PORTAL}/runbooks/{i}")),
            "name": name,
            "description": desc,
            "enabled": True,
            "_duration_seconds": secs,
        }
        for i, (name, desc, secs) in enumerate(RUNBOOKS, 1)
    ]


# --- Calendar: appointments and timesheets -------------------------------------------------------


def _calendar(c: _Ctx) -> None:
    rng, now, d = c.rng, c.now, c.data
    appts = d["Appointment"]

    def add(ticket: Record, start: int, hours: float, subject: str, note: str, kind: int) -> None:
        start -= start % (15 * 60)
        appts.append(
            {
                "id": len(appts) + 1,
                "subject": subject,
                "start_date": iso(start),
                "end_date": iso(start + int(hours * HOUR)),
                "agent_id": ticket["agent_id"] or 1,
                "ticket_id": ticket["id"],
                "user_id": ticket["user_id"],
                "client_id": ticket["client_id"],
                "site_id": ticket["site_id"],
                "note": note,
                "appointment_type_id": kind,
                "complete_status": 1 if start + hours * HOUR < now else 0,
                "is_private": False,
            }
        )

    site_name = {s["id"]: s["name"] for s in d["Site"]}
    for t in d["Tickets"]:
        if t["status_id"] == ST_SCHEDULED:
            start = now + int(rng.uniform(1, 10) * DAY) + 9 * HOUR
            add(t, start, 2.0, f"On-site visit: {t['summary']}", f"Engineer visit at {site_name[t['site_id']]}.", 1)
    closed_hw = [t for t in d["Tickets"] if t["assets"] and t["status_id"] == ST_CLOSED and t["tickettype_id"] == 1]
    for t in closed_hw[-40:]:
        start = _ts(t["dateclosed"]) - 2 * HOUR
        add(t, start, 1.5, f"Site visit: {t['summary']}", "Hands-on fix at the user's desk.", 1)
    for t in d["Tickets"]:
        if t["tickettype_id"] == TT_PROJECT and t["status_id"] not in CLOSED_STATUSES:
            add(t, now + int(rng.uniform(1, 14) * DAY) + 14 * HOUR, 1.0, f"Project review: {t['summary']}",
                "Fortnightly review: budget, milestones, risks.", 3)  # fmt: skip
            add(t, now - int(rng.uniform(1, 14) * DAY) + 14 * HOUR, 1.0, f"Project review: {t['summary']}",
                "Fortnightly review: budget, milestones, risks.", 3)  # fmt: skip
    appts.sort(key=lambda a: (a["start_date"], a["id"]))
    for i, a in enumerate(appts, 1):
        a["id"] = i
    # Timesheets: one event per timed agent action over the recent window (since the start of last month, so
    # "this month" and "last month" questions see every logged hour).
    window = 7 * DAY if c.large else now - _month_start(now, back=1)
    cutoff = iso(now - window)
    tmap = {t["id"]: t for t in d["Tickets"]}
    events = d["TimesheetEvent"]
    for a in d["Actions"]:
        if a["who_agentid"] and a["timetaken"] > 0 and a["datetime"] >= cutoff:
            t = tmap[a["ticket_id"]]
            end = a["datetime"]
            end_ts = _ts(end)
            events.append(
                {
                    "id": 0,
                    "event_type": 0,
                    "subject": f"#{t['id']} {t['summary']}",
                    "start_date": iso(end_ts - int(a["timetaken"] * HOUR)),
                    "end_date": end,
                    "timetaken": a["timetaken"],
                    "agent_id": a["who_agentid"],
                    "ticket_id": t["id"],
                    "action_number": a["id"],
                    "note": a["note"][:200],
                    "client_id": t["client_id"],
                    "site_id": t["site_id"],
                    "charge_rate": 0,
                }
            )
    day0 = now - now % DAY
    for back in range(0, window // DAY, 7):
        for aid in range(1, len(_AGENTS) + 1):
            start = day0 - back * DAY + 9 * HOUR
            events.append(
                {
                    "id": 0,
                    "event_type": 1,
                    "subject": "Team stand-up",
                    "start_date": iso(start),
                    "end_date": iso(start + HOUR // 4),
                    "timetaken": 0.25,
                    "agent_id": aid,
                    "ticket_id": 0,
                    "action_number": 0,
                    "note": "Daily queue review.",
                    "client_id": 0,
                    "site_id": 0,
                    "charge_rate": 0,
                }
            )
    events.sort(key=lambda e: (e["start_date"], e["agent_id"], e["ticket_id"], e["action_number"]))
    for i, e in enumerate(events, 1):
        e["id"] = i


def _month_start(ts: int, back: int = 0) -> int:
    """Epoch of 00:00 UTC on the first day of the month `back` months before the one holding `ts`."""
    d = datetime.fromtimestamp(ts, UTC)
    y, m = divmod(d.year * 12 + d.month - 1 - back, 12)
    return calendar.timegm((y, m + 1, 1, 0, 0, 0))


# --- Attachments and reports ---------------------------------------------------------------------

_VPN_LOG = """(T5512) {ts} Debug( 182): GlobalProtect connected to gateway {city}-gw.example.net
(T5512) {ts} Debug( 430): tunnel keepalive sent
(T5512) {ts} Error( 512): tunnel keepalive failed, no response in 10s
(T5512) {ts} Info ( 220): Disconnected: Gateway timeout (GP-1002)
(T5512) {ts} Debug( 182): reconnecting to {city}-gw.example.net
"""
_NGINX_LOG = """{ts} [error] 2211#2211: *48812 connect() failed (111: Connection refused) \
while connecting to upstream, client: 10.20.3.14, server: staging, request: "GET /api/health HTTP/1.1", upstream: "http://127.0.0.1:8080/api/health"
{ts} [error] 2211#2211: *48813 upstream prematurely closed connection while reading response header from upstream
"""


def _attachments(c: _Ctx) -> None:
    """Small real files on tickets: client logs for VPN, nginx logs for 502s, screenshots for the rest."""
    rng, d = c.rng, c.data
    pngs = {
        "red": base64.b64encode(_tiny_png(200, 30, 30)).decode(),
        "black": base64.b64encode(_tiny_png(0, 0, 0)).decode(),
        "blue": base64.b64encode(_tiny_png(30, 80, 200)).decode(),
    }
    want = max(40, c.n // 50)
    candidates = [
        t for t in d["Tickets"] if t.get("_family") in ("vpn", "staging502", "blackscreen", "printer", "mailbox")
    ]
    hooked = [t for t in candidates if t.get("_hook")]
    rest = [t for t in candidates if not t.get("_hook")]
    picked = hooked + rng.sample(rest, min(len(rest), max(0, want - len(hooked))))
    picked.sort(key=lambda t: t["id"])
    for t in picked:
        fam = t["_family"]
        ts = t["dateoccurred"].replace("T", " ").rstrip("Z")
        if fam == "vpn":
            raw = _VPN_LOG.format(ts=ts, city=c.site_city[t["site_id"]].lower()).encode()
            name, ctype, img, desc = "PanGPS.log", "text/plain", False, "GlobalProtect client log"
            data = base64.b64encode(raw).decode()
        elif fam == "staging502":
            raw = _NGINX_LOG.format(ts=ts.replace("-", "/")).encode()
            name, ctype, img, desc = "nginx-error.log", "text/plain", False, "nginx error log from staging"
            data = base64.b64encode(raw).decode()
        else:
            colour = {"blackscreen": "black", "printer": "red"}.get(fam, "blue")
            data = pngs[colour]
            name, ctype, img, desc = f"screenshot-{t['id']}.png", "image/png", True, "Screenshot from the user"
        d["Attachment"].append(
            {
                "id": len(d["Attachment"]) + 1,
                "ticket_id": t["id"],
                "action_id": 0,
                "filename": name,
                "filesize": len(base64.b64decode(data)),
                "type": 0,
                "datecreated": t["dateoccurred"],
                "note": "",
                "desc": desc,
                "isimage": img,
                "content_type": ctype,
                "showforusers": True,
                "_data_b64": data,
            }
        )
        t["attachment_count"] = t.get("attachment_count", 0) + 1


def _reports(c: _Ctx) -> None:
    """Saved reports; ``_sql`` is T-SQL, as on Halo, run against the views named like Halo's tables and columns."""
    reports: tuple[tuple[str, str, str], ...] = (
        (
            "Open tickets by team",
            "Open tickets grouped by team.",
            "SELECT FAULTS.sectio_ AS [Team], COUNT(*) AS [Open Tickets] FROM FAULTS "
            "JOIN TSTATUS ON TSTATUS.Tstatus = FAULTS.Status WHERE TSTATUS.TstatusType <> 2 "
            "GROUP BY FAULTS.sectio_ ORDER BY 2 DESC",
        ),
        (
            "Open tickets by client",
            "Open ticket count per client.",
            "SELECT AREA.aareadesc AS [Client], COUNT(*) AS [Open Tickets] FROM FAULTS "
            "JOIN AREA ON AREA.Aarea = FAULTS.Areaint JOIN TSTATUS ON TSTATUS.Tstatus = FAULTS.Status "
            "WHERE TSTATUS.TstatusType <> 2 GROUP BY AREA.aareadesc ORDER BY 2 DESC",
        ),
        (
            "Tickets by priority (last 30 days)",
            "Volume per priority for tickets logged in the last 30 days.",
            "SELECT FAULTS.Seriousness AS [Priority], COUNT(*) AS [Tickets] FROM FAULTS "
            "WHERE FAULTS.dateoccured >= DATEADD(day, -30, GETDATE()) GROUP BY FAULTS.Seriousness ORDER BY 1",
        ),
        (
            "Agent workload",
            "Open tickets assigned to each agent.",
            "SELECT UNAME.uname AS [Agent], COUNT(*) AS [Open Tickets] FROM FAULTS "
            "JOIN UNAME ON UNAME.Unum = FAULTS.Assignedtoint JOIN TSTATUS ON TSTATUS.Tstatus = FAULTS.Status "
            "WHERE TSTATUS.TstatusType <> 2 GROUP BY UNAME.uname ORDER BY 2 DESC",
        ),
        (
            "Time logged per agent (last 30 days)",
            "Hours logged on ticket actions in the last 30 days.",
            "SELECT UNAME.uname AS [Agent], ROUND(SUM(ACTIONS.timetaken), 2) AS [Hours] FROM ACTIONS "
            "JOIN UNAME ON UNAME.Unum = ACTIONS.whoagentid WHERE ACTIONS.Whe_ >= DATEADD(day, -30, GETDATE()) "
            "GROUP BY UNAME.uname ORDER BY 2 DESC",
        ),
        (
            "Breached open tickets",
            "Open tickets past their fix-by date.",
            "SELECT FAULTS.Faultid AS [Ticket], FAULTS.Symptom AS [Summary], FAULTS.fixbydate AS [Fix By] "
            "FROM FAULTS JOIN TSTATUS ON TSTATUS.Tstatus = FAULTS.Status "
            "WHERE TSTATUS.TstatusType = 0 AND FAULTS.fixbydate < GETDATE() ORDER BY FAULTS.fixbydate",
        ),
        (
            "Assets with warranty expiring in 90 days",
            "Active assets whose warranty ends within 90 days or has ended.",
            "SELECT DEVICE.Did AS [Asset], DEVICE.dinvno AS [Tag], SITE.sdesc AS [Site], "
            "DEVICE.DWarrantyEndDate AS [Warranty End] FROM DEVICE JOIN SITE ON SITE.Ssitenum = DEVICE.Dsite "
            "WHERE DEVICE.dinactive = 0 AND DEVICE.DWarrantyEndDate < DATEADD(day, 90, GETDATE()) "
            "ORDER BY DEVICE.DWarrantyEndDate",
        ),
        (
            "Most viewed knowledge articles",
            "Top 10 KB articles by views.",
            "SELECT TOP 10 KBENTRY.id AS [Article], KBENTRY.description AS [Title], KBENTRY.ViewedCount AS [Views] "
            "FROM KBENTRY ORDER BY KBENTRY.ViewedCount DESC",
        ),
        (
            "Users per site",
            "Number of active end users at each site.",
            "SELECT SITE.sdesc AS [Site], COUNT(*) AS [Users] FROM USERS JOIN SITE ON SITE.Ssitenum = USERS.Usite "
            "WHERE USERS.uinactive = 0 GROUP BY SITE.sdesc ORDER BY 2 DESC",
        ),
        (
            "Tickets closed per month",
            "Closed ticket volume by month over the history.",
            "SELECT CONVERT(varchar(7), FAULTS.datecleared, 120) AS [Month], COUNT(*) AS [Closed] FROM FAULTS "
            "JOIN TSTATUS ON TSTATUS.Tstatus = FAULTS.Status WHERE TSTATUS.TstatusType = 2 "
            "GROUP BY CONVERT(varchar(7), FAULTS.datecleared, 120) ORDER BY 1",
        ),
    )
    reports += (
        (
            "Project health",
            "Projects with budget, actual hours, target date and quote count. Parameters: @client_id and "
            "@startdate/@enddate (project start) from the run's client and reporting period.",
            "SELECT FAULTS.Faultid AS [Project], FAULTS.Symptom AS [Summary], AREA.aareadesc AS [Client], "
            "FAULTS.FProjectTimeBudget AS [Budget Hours], FAULTS.FProjectTimeActual AS [Actual Hours], "
            "FAULTS.FTargetDate AS [Target Date], FAULTS.datecleared AS [Closed], "
            "(SELECT COUNT(*) FROM QUOTATIONHEADER WHERE QUOTATIONHEADER.QHfaultID = FAULTS.Faultid) AS [Quotes] "
            "FROM FAULTS JOIN AREA ON AREA.Aarea = FAULTS.Areaint "
            "JOIN REQUESTTYPE ON REQUESTTYPE.RTid = FAULTS.RequestTypeNew "
            "WHERE REQUESTTYPE.RTIsProject = 1 AND FAULTS.FDeleted = 0 "
            "AND (@client_id IS NULL OR FAULTS.Areaint = @client_id) "
            "AND (@startdate IS NULL OR CAST(FAULTS.dateoccured AS date) >= @startdate) "
            "AND (@enddate IS NULL OR CAST(FAULTS.dateoccured AS date) <= @enddate) "
            "ORDER BY FAULTS.FTargetDate",
        ),
        (
            "Open quotes",
            "Quotes not yet accepted or declined, with value and expiry. Parameter: @client_id.",
            "SELECT QUOTATIONHEADER.QHid AS [Quote], QUOTATIONHEADER.QHtitle AS [Title], AREA.aareadesc AS [Client], "
            "QUOTATIONHEADER.QHDate AS [Date], QUOTATIONHEADER.QHExpiryDate AS [Expires], "
            "ROUND((SELECT SUM(QUOTATIONDETAIL.QDPrice * QUOTATIONDETAIL.QDQuantity) FROM QUOTATIONDETAIL "
            "WHERE QUOTATIONDETAIL.QDQHid = QUOTATIONHEADER.QHid), 2) AS [Value] "
            "FROM QUOTATIONHEADER JOIN FAULTS ON FAULTS.Faultid = QUOTATIONHEADER.QHfaultID "
            "JOIN AREA ON AREA.Aarea = FAULTS.Areaint WHERE QUOTATIONHEADER.QHstatus IN (0, 1) "
            "AND (@client_id IS NULL OR FAULTS.Areaint = @client_id) ORDER BY QUOTATIONHEADER.QHExpiryDate",
        ),
    )
    c.data["Report"] = [
        {
            "id": i,
            "name": name,
            "description": desc,
            "group_id": 1 if "ticket" in name.lower() else 2,
            "type": 0,
            "charttitle": name,
            "charttype": 1 if "by" in name else 0,
            "is_published": False,
            "_sql": sql,
        }
        for i, (name, desc, sql) in enumerate(reports, 1)
    ]


# --- Time, prepay, workflows and tags --------------------------------------------------------------

PREPAY_CLIENTS = 3  # the first clients by id buy prepaid hour blocks
PREPAY_BLOCK_HOURS = 100.0
PREPAY_RATE = 95.0


def _time_and_prepay(c: _Ctx) -> None:
    """Timesheets, prepay history and contract balances, all derived from the actions' logged time.

    Timesheets (`/Timesheet`) sum each agent's timesheet events per day. Prepay (`/ClientPrepay`,
    `PrepayHistory`): a block of hours is bought when a client's contract allows prepay, and each month's
    agent time on that client's tickets is deducted as a negative-hours entry [UNVERIFIED: how Halo records a
    deduction is not in the spec or the facts; a convention]. The contract carries the totals
    (`contract_prepaytotal`, `contract_prepayused`, `contract_prepaybalance`) and `active` agrees with its period.
    """
    now, d = c.now, c.data
    names = {a["id"]: a["name"] for a in d["Agent"]}
    days: dict[tuple[int, str], list[Record]] = {}
    for e in d["TimesheetEvent"]:
        days.setdefault((e["agent_id"], e["start_date"][:10]), []).append(e)
    for (aid, day), events in sorted(days.items()):
        d["Timesheet"].append(
            {
                "id": len(d["Timesheet"]) + 1,
                "agent_id": aid,
                "agent_name": names.get(aid),
                "date": f"{day}T00:00:00Z",
                "start_time": min(e["start_date"] for e in events),
                "end_time": max(e["end_date"] for e in events),
                "target_hours": 7.5,
                "actual_hours": round(sum(e["timetaken"] for e in events), 2),
                "chargeable_hours": round(sum(e["timetaken"] for e in events if e["ticket_id"]), 2),
                "break_hours": 0.0,
            }
        )
    tickets = {t["id"]: t for t in d["Tickets"]}
    for con in d["ClientContract"]:
        con["active"] = con["start_date"] <= iso(now) <= con["end_date"]
    contracts = {con["client_id"]: con for con in d["ClientContract"]}
    prepay = {client["id"] for client in sorted(d["Client"], key=lambda x: x["id"])[:PREPAY_CLIENTS]}
    since = {
        cid: _month_start(max(_ts(contracts[cid]["start_date"]), now - 365 * DAY)) for cid in prepay if cid in contracts
    }
    since_iso = {cid: iso(start) for cid, start in since.items()}
    used_by: dict[tuple[int, str], float] = {}  # (client, "YYYY-MM") -> hours; ISO strings compare as dates
    for a in d["Actions"]:
        t = tickets.get(a["ticket_id"])
        if t is None or t["client_id"] not in since or not a["who_agentid"] or a["timetaken"] <= 0:
            continue
        if a["datetime"] >= since_iso[t["client_id"]]:
            key = (t["client_id"], a["datetime"][:7])
            used_by[key] = used_by.get(key, 0.0) + a["timetaken"]
    for cid, start in sorted(since.items()):
        contract = contracts[cid]
        balance, total, used = 0.0, 0.0, 0.0
        month = start
        while month <= now:
            hours = round(used_by.get((cid, iso(month)[:7]), 0.0), 2)
            while balance < hours + 5:  # top up before the block runs out
                d["ClientPrepay"].append(_prepay(d, cid, month, PREPAY_BLOCK_HOURS))
                balance += PREPAY_BLOCK_HOURS
                total += PREPAY_BLOCK_HOURS
            if hours:
                entry = _prepay(d, cid, month + 27 * DAY if month + 27 * DAY < now else now - HOUR, -hours)
                label = time.strftime("%B %Y", time.gmtime(month))
                entry["description"] = f"Support time used in {label}"
                d["ClientPrepay"].append(entry)
                balance -= hours
                used += hours
            month = _month_start(month + 32 * DAY)
        contract.update(
            allowprepay=True,
            contract_prepaytotal=round(total, 2),
            contract_prepayused=round(used, 2),
            contract_prepaybalance=round(total - used, 2),
        )
    # The agreement the first prepay client had before its current one: ended, yet its `contract_status` text
    # still says "Active" beside `active: false` (issue 12 saw exactly that pair; the spec documents neither).
    current = contracts[min(prepay)]
    ended = _ts(current["start_date"]) - DAY
    d["ClientContract"].append(
        {
            **{k: current[k] for k in ("client_id", "site_id", "sla_id", "billingperiod", "periodchargeamount")},
            "id": len(d["ClientContract"]) + 1,
            "ref": f"{current['ref']}-PREV",
            "start_date": iso(ended - 365 * DAY),
            "end_date": iso(ended),
            "status": 1,
            "contract_status": "Active",
            "active": False,
            "chargehoursperperiod": current.get("chargehoursperperiod"),
            "note": "Previous managed service agreement (replaced).",
        }
    )


def _prepay(d: Data, client_id: int, when: int, hours: float) -> Record:
    n = len(d["ClientPrepay"]) + 1
    rec: Record = {"id": n, "client_id": client_id, "date": iso(when), "hours": hours}
    if hours > 0:
        rec.update(
            description=f"Prepaid support block: {hours:g} hours",
            amount=round(hours * PREPAY_RATE, 2),
            expirydate=iso(when + 365 * DAY),
            invoice_number=f"PRE-{client_id:03d}{n:03d}",
            invoicedate=iso(when),
        )
    return rec


WORKFLOWS = (
    ("Standard incident", ("Logged", "Investigating", "Resolved")),
    ("Change approval", ("Requested", "CAB review", "Scheduled", "Implemented", "Reviewed")),
    ("New starter", ("Request received", "Account created", "Hardware issued", "Completed")),
)
TAGS = ("vpn", "printer", "outlook", "onboarding", "hardware", "network", "security", "licence")


def _workflows_and_tags(c: _Ctx) -> None:
    d = c.data
    for i, (name, stages) in enumerate(WORKFLOWS, 1):
        d["Workflow"].append(
            {
                "id": i,
                "name": name,
                "active": True,
                "stages": [{"id": i * 10 + n, "name": s, "seq": n} for n, s in enumerate(stages, 1)],
                "steps": [{"id": i * 10 + n, "name": s, "stage_id": i * 10 + n} for n, s in enumerate(stages, 1)],
            }
        )
    d["Tags"] = [{"id": i, "text": t} for i, t in enumerate(TAGS, 1)]

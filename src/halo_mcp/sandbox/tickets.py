"""Ticket and action behaviour: defaults, ticket-type required fields, status/SLA side effects, filters.

Status `type` is a sandbox convention (unverified in Halo): 0 open, 1 on hold (SLA clock paused), 2 closed.

SLA model (24x7 clock, hours from the priority's `responsetime`/`fixtime`):
- `respondbydate` / `fixbydate` are set from `dateoccurred` when a ticket is created or its priority changes;
  time spent on hold is added to `fixbydate` when the ticket comes off hold (`slaholdtime` accumulates hours).
- `slastate` (read time): "breached" (open past fixbydate, or closed after it), "at risk" (open with 75 % or more
  of the fix window used), "on hold" (on-hold status), "met" (closed in time), "ok" (open, inside SLA, or no SLA).
- `slaresponsestate`: "I" inside / "O" outside the response target, as Halo's FAULTS.SLAresponseState.
- `slatimeleft` (hours to fixbydate, negative when breached), `slapercused` (percent of the fix window used).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from halo_mcp.sandbox.errors import bad_request, not_found
from halo_mcp.sandbox.store import Record, Store, col, fmt_dt, now_iso, parse_dt

AT_RISK = 0.75
FIELD_LABELS = {
    "details": "Details",
    "category_1": "Category",
    "category_2": "Category 2",
    "user_id": "User",
    "site_id": "Site",
    "client_id": "Client",
    "agent_id": "Agent",
    "summary": "Summary",
    "priority_id": "Priority",
    "impact": "Impact",
    "urgency": "Urgency",
    "team": "Team",
}
# `datesearch` takes a FAULTS column name (spec: "Date Opened - 'dateoccured', Date Closed - 'datecleared'";
# the others from halo-sql-schema.sql FAULTS) -> the API field it filters. Other values name no column and
# filter nothing [UNVERIFIED: Halo's reply to an unknown column is not documented].
DATESEARCH = {
    "dateoccured": "dateoccurred",  # sic: Halo's spelling
    "datecleared": "dateclosed",
    "datecreated": "datecreated",
    "fixbydate": "fixbydate",
    "flastactiondate": "lastactiondate",
    "frespondbydate": "respondbydate",
    "fdeadlinedate": "deadlinedate",
    "ftargetdate": "targetdate",
}


@dataclass
class StatusInfo:
    open_ids: list[int]
    hold_ids: list[int]
    closed_ids: list[int]

    def kind(self, status_id: Any) -> int:
        if status_id in self.closed_ids:
            return 2
        if status_id in self.hold_ids:
            return 1
        return 0


def status_info(store: Store) -> StatusInfo:
    info = StatusInfo([], [], [])
    for s in store.all("Status"):
        t = s.get("type") or 0
        (info.closed_ids if t == 2 else info.hold_ids if t == 1 else info.open_ids).append(s["id"])
    return info


def _hours(value: Any, units: Any) -> float | None:
    if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
        return None
    u = str(units or "h").lower()
    if u.startswith("d"):
        return float(value) * 24
    if u.startswith("m"):
        return float(value) / 60
    return float(value)


def find_priority(store: Store, priority_id: Any, sla_id: Any) -> Record | None:
    best = None
    for p in store.all("Priority"):
        if p.get("priorityid") == priority_id:
            if sla_id is not None and p.get("slaid") == sla_id:
                return p
            best = best or p
    return best


def set_sla_dates(store: Store, t: Record) -> None:
    """Compute respondbydate/fixbydate from the priority (24x7 clock) and time already spent on hold."""
    start = parse_dt(t.get("dateoccurred")) or datetime.now(UTC)
    pri = find_priority(store, t.get("priority_id"), t.get("sla_id"))
    if pri is None or t.get("excludefromsla"):
        return
    hold = float(t.get("slaholdtime") or 0)
    resp = _hours(pri.get("responsetime"), pri.get("responseunits"))
    fix = _hours(pri.get("fixtime"), pri.get("fixunits"))
    if resp is not None:
        t["respondbydate"] = fmt_dt(start + timedelta(hours=resp))
    if fix is not None:
        t["fixbydate"] = fmt_dt(start + timedelta(hours=fix + hold))


def sla_view(t: Record, st: StatusInfo, now: datetime) -> dict[str, Any]:
    """Read-time SLA fields (see module docstring)."""
    kind = st.kind(t.get("status_id"))
    fix = parse_dt(t.get("fixbydate"))
    start = parse_dt(t.get("dateoccurred"))
    closed = parse_dt(t.get("dateclosed"))
    out: dict[str, Any] = {"onhold": kind == 1}
    resp_by = parse_dt(t.get("respondbydate"))
    responded = parse_dt(t.get("responsedate"))
    if resp_by is not None:
        out["slaresponsestate"] = "I" if (responded or now) <= resp_by else "O"
    if fix is None or t.get("excludefromsla"):
        out["slastate"] = "met" if kind == 2 else "ok"
        return out
    ref = closed if (kind == 2 and closed) else now
    window = (fix - start).total_seconds() if start else 0.0
    used = (ref - start).total_seconds() if start else 0.0
    out["slatimeleft"] = round((fix - ref).total_seconds() / 3600, 2)
    out["slapercused"] = round(100 * used / window, 1) if window > 0 else 0.0
    if kind == 2:
        out["slastate"] = "met" if ref <= fix else "breached"
    elif ref > fix:
        out["slastate"] = "breached"
    elif kind == 1:
        out["slastate"] = "on hold"
    elif window > 0 and used / window >= AT_RISK:
        out["slastate"] = "at risk"
    else:
        out["slastate"] = "ok"
    return out


def slastate_sql(st: StatusInfo, alias: str = "") -> str:
    """SQL expression equal to `sla_view(...)["slastate"]`, for list filters and the FAULTS view."""

    def j(f: str) -> str:
        return col("Tickets", f, alias)

    closed = ",".join(str(i) for i in st.closed_ids) or "NULL"
    hold = ",".join(str(i) for i in st.hold_ids) or "NULL"
    fix, start, done = (
        f"julianday({j('fixbydate')})",
        f"julianday({j('dateoccurred')})",
        f"julianday({j('dateclosed')})",
    )
    now = "julianday('now')"
    return (
        f"CASE WHEN {fix} IS NULL OR coalesce({j('excludefromsla')}, 0) THEN "
        f"(CASE WHEN {j('status_id')} IN ({closed}) THEN 'met' ELSE 'ok' END) "
        f"WHEN {j('status_id')} IN ({closed}) THEN "
        f"(CASE WHEN coalesce({done}, {now}) <= {fix} THEN 'met' ELSE 'breached' END) "
        f"WHEN {now} > {fix} THEN 'breached' "
        f"WHEN {j('status_id')} IN ({hold}) THEN 'on hold' "
        f"WHEN {fix} > {start} AND ({now} - {start}) / ({fix} - {start}) >= {AT_RISK} THEN 'at risk' "
        "ELSE 'ok' END"
    )


def apply_status(store: Store, t: Record, new_status: int, st: StatusInfo, now: str) -> None:
    """Change status with Halo-like side effects: closure dates, SLA hold time."""
    old_kind = st.kind(t.get("status_id"))
    new_kind = st.kind(new_status)
    t["status_id"] = new_status
    if old_kind == 1 and new_kind != 1:
        since = parse_dt(t.pop("_onhold_since", None))
        if since is not None:
            held = (parse_dt(now) or since) - since
            t["slaholdtime"] = round(float(t.get("slaholdtime") or 0) + held.total_seconds() / 3600, 4)
            fix = parse_dt(t.get("fixbydate"))
            if fix is not None:
                t["fixbydate"] = fmt_dt(fix + held)
    if new_kind == 1 and old_kind != 1:
        t["_onhold_since"] = now
    t["onhold"] = new_kind == 1
    if new_kind == 2:
        t["dateclosed"] = now
        t["hasbeenclosed"] = True
    elif old_kind == 2:
        t["dateclosed"] = None


def team_name(store: Store, value: Any) -> str | None:
    """Teams are referenced by name on tickets (Halo's `team`); accept an id or a name."""
    if value in (None, "", 0):
        return None
    for team in store.all("Team"):
        if value == team.get("id") or (isinstance(value, str) and value.lower() == str(team.get("name", "")).lower()):
            return str(team["name"])
    if isinstance(value, str) and value.isdigit():
        return team_name(store, int(value))
    raise bad_request(f"Invalid team: {value}")


def team_id(store: Store, name: Any) -> int | None:
    for team in store.all("Team"):
        if str(team.get("name", "")).lower() == str(name).lower():
            return int(team["id"])
    return None


def default_type(store: Store, use: str | None) -> Record | None:
    types = store.all("TicketType")
    want = use or "ticket"
    for t in types:
        if (t.get("use") or "ticket") == want and str(t.get("name", "")).lower() == "incident":
            return t
    for t in types:
        if (t.get("use") or "ticket") == want:
            return t
    return types[0] if types else None


def prepare_ticket(
    store: Store, item: Record, existing: Record | None, use: str | None, agent_id: int | None
) -> Record:
    """Merge a POSTed ticket into the stored one (or defaults), enforcing ticket-type rules."""
    now = now_iso()
    st = status_info(store)
    for k in [k for k in item if k.startswith("_")]:
        item.pop(k)
    if "team" in item:
        item["team"] = team_name(store, item["team"])
    if existing is None:
        ttype = store.lookup("TicketType", item.get("tickettype_id")) if item.get("tickettype_id") else None
        if ttype is None:
            ttype = default_type(store, use)
        t: Record = {
            "summary": "",
            "details": "",
            "tickettype_id": ttype["id"] if ttype else 1,
            "client_id": None,
            "site_id": None,
            "user_id": None,
            "agent_id": None,
            "team": None,
            "status_id": (ttype or {}).get("initial_status") or (st.open_ids[0] if st.open_ids else 1),
            "priority_id": (ttype or {}).get("default_priority") or _default_priority(store),
            "dateoccurred": now,
            "datecreated": now,
            "lastactiondate": now,
            "last_update": now,
            "timetaken": 0.0,
            "deleted": False,
            "hasbeenclosed": False,
            "onhold": False,
            "inactive": False,
        }
        if item.get("tickettype_id") and store.lookup("TicketType", item["tickettype_id"]) is None:
            raise bad_request(f"Invalid tickettype_id: {item['tickettype_id']}")
        new_status = item.pop("status_id", None)
        t.update(item)
        t["tickettype_id"] = t["tickettype_id"] or (ttype["id"] if ttype else 1)
        if new_status and st.kind(new_status) != 0:
            apply_status(store, t, int(new_status), st, now)
        elif new_status:
            t["status_id"] = new_status
        _fill_client(store, t)
        if not t.get("sla_id"):
            t["sla_id"] = _default_sla(store, t, ttype)
        if not t.get("fixbydate") and not t.get("respondbydate"):
            set_sla_dates(store, t)
    else:
        t = dict(existing)
        new_status = item.pop("status_id", None)
        pri_changed = "priority_id" in item and item["priority_id"] != t.get("priority_id")
        t.update(item)
        if new_status is not None and new_status != existing.get("status_id"):
            apply_status(store, t, int(new_status), st, now)
        if ("user_id" in item or "site_id" in item) and "client_id" not in item:
            _fill_client(store, t)
        if pri_changed and "fixbydate" not in item:
            set_sla_dates(store, t)
        t["last_update"] = now
    if not str(t.get("summary") or "").strip():
        raise bad_request("Please enter a Summary")
    ttype = store.lookup("TicketType", t.get("tickettype_id"))
    if ttype is not None and (existing is None or "tickettype_id" in item):
        missing = [f for f in ttype.get("_required_fields") or [] if t.get(f) in (None, "", 0, [])]
        if missing:
            labels = ", ".join(FIELD_LABELS.get(f, f) for f in missing)
            raise bad_request(f"The following fields are mandatory for ticket type '{ttype.get('name')}': {labels}")
    return t


# A ticket type's new-ticket form in groups: (group header, ((API field, FAULTS column, FieldInfo id), ...)).
# Columns from halo-sql-schema.sql FAULTS (API `category_1` is column `category2`); ids are sandbox-made.
TYPE_FORM: tuple[tuple[str, tuple[tuple[str, str, int], ...]], ...] = (
    ("Details", (("summary", "symptom", 1), ("details", "symptom2", 2), ("user_id", "username", 3))),
    ("Classification", (("category_1", "category2", 4), ("priority_id", "seriousness", 5), ("impact", "impact", 6),
                        ("urgency", "urgency", 7))),
    ("Assignment", (("team", "sectio_", 8), ("agent_id", "assignedtoint", 9))),
)  # fmt: skip
NOT_ON_FORM, FORM_OPTIONAL, FORM_MANDATORY = 0, 1, 2  # RequestTypeField.technew (facts §17)


def type_field_config(ttype: Record) -> Record:
    """`GET /TicketType/{id}?includedetails=true`: the form in Halo's recorded shape (facts §17).

    Fields are grouped: a row with `fieldid: 0` holds `group{header, fields[]}`; `fieldinfo.name` is the
    database column (`symptom`, `symptom2`, `assignedtoint`, `sectio_`); `technew` is 0/1/2 (not on the form,
    optional, mandatory). The mandatory set is what `prepare_ticket` enforces (`_required_fields` plus the
    summary), so a client that reads this config can build a ticket the sandbox accepts.
    """
    required = {"summary", *(ttype.get("_required_fields") or [])}
    rtid = int(ttype.get("id") or 0)
    groups: list[Record] = []
    ids: list[int] = []
    seq = 0
    for number, (header, members) in enumerate(TYPE_FORM, 1):
        rows = []
        for name, column, fid in members:
            seq += 1
            code = FORM_MANDATORY if name in required else FORM_OPTIONAL
            ids.append(fid)
            rows.append(
                {
                    "id": rtid * 100 + seq,
                    "rtid": rtid,
                    "fieldid": fid,
                    "fieldname": column,
                    "seq": seq,
                    "technew": code,
                    "techdetail": code,
                    "endusernew": code if ttype.get("enduserscanselect") else NOT_ON_FORM,
                    "fieldinfo": {"id": fid, "name": column, "label": FIELD_LABELS.get(name, name)},
                }
            )
        groups.append(
            {
                "id": rtid * 100 + 90 + number,
                "rtid": rtid,
                "fieldid": 0,
                "seq": number,
                "technew": FORM_OPTIONAL,
                "group": {"id": number, "header": header, "fields": rows},
            }
        )
    return {
        "fields": groups,
        "fieldidlist": ids,
        "hasmandatorytechfields": True,
        "hasmandatoryuserfields": bool(ttype.get("enduserscanselect")),
    }


def _default_priority(store: Store) -> int:
    ids = sorted({int(p["priorityid"]) for p in store.all("Priority") if isinstance(p.get("priorityid"), int)})
    return ids[len(ids) // 2] if ids else 3


def _default_sla(store: Store, t: Record, ttype: Record | None) -> int | None:
    site = store.lookup("Site", t.get("site_id")) if t.get("site_id") else None
    for cand in ((site or {}).get("sla_id"), (ttype or {}).get("default_sla")):
        if cand:
            return int(cand)
    slas = store.all("SLA")
    return int(slas[0]["id"]) if slas else None


def _fill_client(store: Store, t: Record) -> None:
    """Derive site/client from the end user, as Halo does when only user_id is sent."""
    if t.get("user_id"):
        user = store.get("Users", t["user_id"])
        if user is None:
            raise bad_request(f"Invalid user_id: {t['user_id']}")
        if not t.get("site_id") and user.get("site_id"):
            t["site_id"] = int(user["site_id"])
    if t.get("site_id") and not t.get("client_id"):
        site = store.lookup("Site", t["site_id"])
        if site is not None:
            t["client_id"] = site.get("client_id")


# -- actions -------------------------------------------------------------------------------------------
def _strip_html(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", re.sub(r"<br\s*/?>|</p>", "\n", text))).strip()


def find_outcome(store: Store, item: Record) -> Record | None:
    oid = item.get("outcome_id")
    if oid:
        out = store.lookup("Outcome", oid)
        if out is None:
            raise bad_request(f"Invalid outcome_id: {oid}")
        return out
    name = item.get("outcome")
    if isinstance(name, str) and name:
        for o in store.all("Outcome"):
            if (
                str(o.get("outcome", "")).lower() == name.lower()
                or str(o.get("buttonname", "")).lower() == name.lower()
            ):
                return o
    return None


def add_action(store: Store, item: Record, agent_id: int | None) -> tuple[Record, Record]:
    """Create an action and apply its side effects to the ticket. Returns (action, ticket).

    An outcome's default time (`TOutcome.defaultmanhrs`) is not logged: the action records only the `timetaken`
    sent. Halo documents the default as a setup value that pre-fills the agent's action form ("On each action a
    default time can be added to the setup under defaults", haloitsm.com/guides/article/?kbid=924 "Time
    Management in Halo"); the spec gives `defaultmanhrs` no description and `POST /Actions` no defaulting, and the
    facts file is silent. A client that wants the default reads `/Outcome` and sends it [UNVERIFIED: that the
    API does not apply it server-side is inferred from the form-only documentation].
    """
    tid = item.get("ticket_id")
    if not tid:
        raise bad_request("ticket_id is required")
    ticket = store.get("Tickets", tid)
    if ticket is None or ticket.get("deleted"):
        raise not_found(f"Ticket {tid} not found")
    now = now_iso()
    st = status_info(store)
    outcome = find_outcome(store, item)
    flags = {k: item.pop(k) for k in [k for k in item if k.startswith("_")]}
    a: Record = dict(item)
    a["ticket_id"] = tid
    a.pop("id", None)
    if outcome is not None:
        a["outcome_id"] = outcome["id"]
        a["outcome"] = outcome.get("outcome")
        if "hiddenfromuser" not in item and outcome.get("hidefromuser") is not None:
            a["hiddenfromuser"] = bool(outcome.get("hidefromuser"))
        if "sendemail" not in item and outcome.get("sendemail"):
            a["sendemail"] = bool(outcome.get("sendemail"))
    a.setdefault("outcome", "Private Note" if a.get("hiddenfromuser") else "Note")
    a.setdefault("hiddenfromuser", False)
    if a.get("note_html") and not a.get("note"):
        a["note"] = _strip_html(str(a["note_html"]))
    elif a.get("note") and not a.get("note_html"):
        a["note_html"] = html.escape(str(a["note"])).replace("\n", "<br>")
    a.setdefault("note", "")
    a.setdefault("datetime", now)
    a.setdefault("actiondatecreated", now)
    a["timetaken"] = float(a.get("timetaken") or 0)
    a["who_agentid"] = a.get("who_agentid") or agent_id
    a["actionby_agent_id"] = a.get("actionby_agent_id") or agent_id
    if a.get("sendemail"):
        a["sendemail"] = True
        if not a.get("emailto") and ticket.get("user_id"):
            user = store.get("Users", ticket["user_id"]) or {}
            a["emailto"] = user.get("emailaddress")
        a["_email_recorded_at"] = now  # recorded, never sent
    # side effects on the ticket
    a["old_status"] = ticket.get("status_id")
    new_status = a.get("new_status") or (outcome or {}).get("newstatus") or None
    if new_status:
        if store.lookup("Status", new_status) is None:
            raise bad_request(f"Invalid new_status: {new_status}")
        a["new_status"] = new_status
        a["new_status_name"] = store.name_of("Status", new_status)
        if new_status != ticket.get("status_id"):
            apply_status(store, ticket, int(new_status), st, now)
    if a.get("new_agent"):
        if store.lookup("Agent", a["new_agent"]) is None:
            raise bad_request(f"Invalid new_agent: {a['new_agent']}")
        ticket["agent_id"] = a["new_agent"]
    if a.get("new_team"):
        ticket["team"] = a["new_team"] = team_name(store, a["new_team"])
    if a.get("new_priority"):
        if find_priority(store, a["new_priority"], ticket.get("sla_id")) is None:
            raise bad_request(f"Invalid new_priority: {a['new_priority']}")
        if a["new_priority"] != ticket.get("priority_id"):
            ticket["priority_id"] = a["new_priority"]
            set_sla_dates(store, ticket)
    ticket["timetaken"] = round(float(ticket.get("timetaken") or 0) + a["timetaken"], 4)
    ticket["lastactiondate"] = now
    ticket["last_update"] = now
    if not a["hiddenfromuser"] and not ticket.get("responsedate") and agent_id:
        ticket["responsedate"] = now
    a["id"] = store.next_id("Actions", tid)
    store.insert("Actions", a, parent=tid)
    store.update("Tickets", ticket)
    if flags.get("_includeticketinresponse"):
        a = dict(a, _ticket=True)
    return a, ticket


def ticket_filters(
    store: Store, q: dict[str, list[str]], agent_id: int | None, use: str | None
) -> tuple[list[str], list[Any]]:
    """WHERE clauses for the ticket filters that are not plain field equality."""
    from halo_mcp.sandbox.query import as_bool, as_date, ints, multi

    where: list[str] = []
    params: list[Any] = []

    def j(f: str) -> str:
        return col("Tickets", f)

    deleted = as_bool(q, "deleted")
    where.append(f"coalesce({j('deleted')}, 0) = {1 if deleted else 0}")
    st = status_info(store)
    if as_bool(q, "open_only"):
        where.append(f"{j('status_id')} NOT IN ({','.join(map(str, st.closed_ids)) or 'NULL'})")
    if as_bool(q, "closed_only"):
        where.append(f"{j('status_id')} IN ({','.join(map(str, st.closed_ids)) or 'NULL'})")
    closed_flags = set(multi(q, "includeclosed"))  # spec: "(array of int) 1 = Closed - 0 = Not Closed"
    if closed_flags == {"0"}:
        where.append(f"{j('status_id')} NOT IN ({','.join(map(str, st.closed_ids)) or 'NULL'})")
    elif closed_flags == {"1"}:
        where.append(f"{j('status_id')} IN ({','.join(map(str, st.closed_ids)) or 'NULL'})")
    if as_bool(q, "mine"):
        where.append(f"{j('agent_id')} = ?")
        params.append(agent_id or -1)
    teams = multi(q, "team")
    if teams:
        names = [team_name(store, int(v) if v.isdigit() else v) for v in teams]
        where.append(f"{j('team')} IN ({','.join('?' * len(names))})")
        params.extend(names)
    for n in (1, 2, 3, 4):
        vals = multi(q, f"category_{n}")
        if vals:
            nums = [int(v) for v in vals if v.isdigit()]
            texts = [v.lower() for v in vals if not v.isdigit()]
            parts = []
            if nums:
                parts.append(f"{j(f'categoryid_{n}')} IN ({','.join('?' * len(nums))})")
                params.extend(nums)
            if texts:
                parts.append(f"lower({j(f'category_{n}')}) IN ({','.join('?' * len(texts))})")
                params.extend(texts)
            where.append(" OR ".join(parts))
    assets = ints(q, "asset_id")
    if assets:
        where.append(
            f"EXISTS (SELECT 1 FROM json_each(data, '$.assets') a WHERE json_extract(a.value, '$.id') "
            f"IN ({','.join('?' * len(assets))}))"
        )
        params.extend(assets)
    excl = ints(q, "excludethese")
    if excl:
        where.append(f"id NOT IN ({','.join('?' * len(excl))})")
        params.extend(excl)
    field = DATESEARCH.get((multi(q, "datesearch") or ["dateoccured"])[0].lower(), "")
    start, end = (as_date(q, "startdate"), as_date(q, "enddate")) if field else (None, None)
    if start:
        where.append(f"julianday({j(field)}) >= julianday(?)")
        params.append(start)
    if end:
        where.append(f"julianday({j(field)}) <= julianday(?)")
        params.append(end)
    type_ids = [t["id"] for t in store.all("TicketType") if (t.get("use") or "ticket") == (use or "ticket")]
    if use is not None or not (multi(q, "requesttype_id") or multi(q, "requesttype")):
        where.append(f"{j('tickettype_id')} IN ({','.join(map(str, type_ids)) or 'NULL'})")
    return where, params


def now_utc() -> datetime:
    return datetime.now(UTC)

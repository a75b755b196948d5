"""[billing] Time logged and contracts: answers about hours and allowances in one call each.

Time is counted by when it was logged (the action's `datetime`, SQL `ACTIONS.Whe_`), never by when the ticket was
opened: a ticket's own `timetaken` covers its whole life. `GET /Actions` needs a `ticket_id` [SPEC], so across
tickets the sources are, in order of preference:

1. reporting SQL over `ACTIONS` joined to `FAULTS` (`POST /Report` with `_loadreportonly`, facts §12), one
   request, with Halo's non-billable time (`ACTIONS.nonbilltime`); needs the reporting permission;
2. `GET /TimesheetEvent?agents=&start_date=&end_date=` [SPEC], one request, when SQL is refused: agent time on
   tickets (`event_type` 0 with a `ticket_id`), without a billable split (timesheet events carry none [SPEC]);
3. one ticket: `GET /Actions?ticket_id=` and the entries inside the period.
The result names the source it used.

Billable hours are `timetaken - nonbilltime` [UNVERIFIED: the spec and the facts name both fields (facts §8 table)
without saying whether non-billable time is part of `timetaken`; a Halo action form shows "time taken" with a
"non-billable" part, which is the reading used here].

Contracts (`ContractHeader` [SPEC]) carry three "is it running" fields with no documented meaning: `active`
(bool), `status` (int) and `contract_status` (text), plus `started`/`expired` on list rows. The spec describes none
of them and the facts only list `status`; so the tool shows Halo's `active` and `contract_status` side by side with
the one thing it can check, the period (`start_date` <= today <= `end_date`), and says when they disagree.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any, Literal

from pydantic import Field

from halo_mcp.halo.client import rows_of
from halo_mcp.halo.errors import HaloNotFound, HaloPermissionError
from halo_mcp.tools.counting import literal
from halo_mcp.tools.errors import ToolError
from halo_mcp.tools.framework import Args, ToolContext, ToolOutput, tool
from halo_mcp.tools.paging import parse_day, today
from halo_mcp.tools.render import halo_datetime, list_output, pairs
from halo_mcp.tools.reports import report_rows
from halo_mcp.tools.resolve import Entity, Ref
from halo_mcp.tools.sql_guard import check_sql

GROUP_CAP = 50  # rows of a breakdown; the totals always cover everything
CLOSED = frozenset({"agent", "team", "by", "source", "status", "active", "contract_status", "period"})

# by -> (SQL key columns, output columns); names are Halo's SQL schema (FAULTS, ACTIONS, AREA).
GROUPS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "ticket": (("a.Faultid", "f.Symptom"), ("ticket", "summary")),
    "agent": (("a.who",), ("agent",)),
    "client": (("f.Areaint", "c.aareadesc"), ("client_id", "client")),
    "team": (("f.sectio_",), ("team",)),
}


def _hours(value: Any) -> float:
    try:
        return round(float(value or 0), 2)
    except (TypeError, ValueError):
        return 0.0


class TimeLoggedArgs(Args):
    start: str = Field(description="YYYY-MM-DD, today or -30d")
    end: str | None = Field(None, description="inclusive; default today")
    client: Ref | None = None
    agent: Ref | None = Field(None, description="name, id or 'me'")
    team: Ref | None = None
    ticket_id: int | None = None
    by: Literal["ticket", "agent", "client", "team"] = "ticket"


@tool("billing", title="Time logged", idempotent=True)
async def time_logged(ctx: ToolContext, args: TimeLoggedArgs) -> ToolOutput:
    """Hours logged in a period (by when logged, not when the ticket opened) for a client, agent, team or ticket,
    split billable/non-billable, broken down by ticket, agent, client or team."""
    first = parse_day(args.start, "start")
    last = parse_day(args.end, "end") if args.end else today()
    if last < first:
        raise ToolError(f"end {last} is before start {first}; swap them")
    found = await _resolve(ctx, client=args.client, agent=args.agent, team=args.team)
    if args.ticket_id is not None:
        rows, source = await _ticket_time(ctx, args.ticket_id, first, last), "the ticket's actions (GET /Actions)"
        rows = _group(rows, args.by)
    else:
        try:
            rows, source = await _sql_time(ctx, first, last, found, args.by), "reporting SQL over ACTIONS"
        except HaloPermissionError:
            if "team" in found:
                raise ToolError("this connection may not run reports, and timesheets do not record teams: ask per "
                                "agent or client instead") from None  # fmt: skip
            events = await _timesheet_time(ctx, first, last, found)
            rows, source = _group(events, args.by), "timesheet events (GET /TimesheetEvent; no billable split)"
    total = sum(r["hours"] for r in rows)
    nonbill = sum(r.get("non_billable") or 0 for r in rows)
    entries = sum(r["entries"] for r in rows)
    scope = {k: e.name for k, e in found.items()}
    if args.ticket_id is not None:
        scope["ticket"] = str(args.ticket_id)
    head = {
        "period": f"{first}..{last}",
        **scope,
        "hours": round(total, 2),
        "billable": round(total - nonbill, 2) if "timesheet" not in source else None,
        "non_billable": round(nonbill, 2) if "timesheet" not in source else None,
        "entries": entries,
        "source": source,
    }
    rows.sort(key=lambda r: -r["hours"])
    note = f"top {GROUP_CAP} of {len(rows)}; totals cover all" if len(rows) > GROUP_CAP else ""
    out = list_output(f"{args.by} rows", rows[:GROUP_CAP], note=note)
    clean = {k: v for k, v in head.items() if v is not None}
    out.text = "time logged: " + pairs(clean, CLOSED) + "\n" + out.text
    if isinstance(out.structured, dict):
        out.structured["totals"] = clean
    return out


async def _resolve(ctx: ToolContext, **refs: Ref | None) -> dict[str, Entity]:
    wanted = {k: v for k, v in refs.items() if v not in (None, "")}
    got = await asyncio.gather(*(ctx.resolver.resolve(k, v) for k, v in wanted.items()))
    return dict(zip(wanted, got, strict=True))


async def _sql_time(
    ctx: ToolContext, first: date, last: date, found: Mapping[str, Entity], by: str
) -> list[dict[str, Any]]:
    """One report query: hours per group, non-billable summed alongside (ACTIONS.nonbilltime)."""
    keys, names = GROUPS[by]
    where = [
        "a.timetaken > 0",
        f"a.Whe_ >= {literal(first.isoformat())}",
        f"a.Whe_ < {literal((last + timedelta(days=1)).isoformat())}",
    ]
    if "client" in found:
        where.append(f"f.Areaint = {found['client'].id}")
    if "agent" in found:
        where.append(f"a.whoagentid = {found['agent'].id}")
    if "team" in found:
        where.append(f"f.sectio_ = {literal(found['team'].name)}")  # FAULTS.sectio_ holds the team's name
    cols = ", ".join(f"{k} AS {n}" for k, n in zip(keys, names, strict=True))
    sql = (
        f"SELECT {cols}, SUM(a.timetaken) AS hours, SUM(COALESCE(a.nonbilltime, 0)) AS non_billable, "
        "COUNT(*) AS entries FROM ACTIONS a JOIN FAULTS f ON f.Faultid = a.Faultid "
        "LEFT JOIN AREA c ON c.Aarea = f.Areaint "
        f"WHERE {' AND '.join(where)} GROUP BY {', '.join(keys)}"
    )
    out = []
    for row in report_rows(await ctx.halo.post("Report", [{"_loadreportonly": True, "sql": check_sql(sql)}])):
        rec = {n: row.get(n) for n in names}
        rec.update(hours=_hours(row.get("hours")), non_billable=_hours(row.get("non_billable")),
                   entries=int(row.get("entries") or 0))  # fmt: skip
        out.append(rec)
    return out


async def _timesheet_time(
    ctx: ToolContext, first: date, last: date, found: Mapping[str, Entity]
) -> list[dict[str, Any]]:
    """Agents' timesheet events on tickets in the period (TimesheetEvent takes agents and dates, nothing else)."""
    agents = [found["agent"]] if "agent" in found else await ctx.resolver.table("agent")
    params = {
        "agents": ",".join(str(a.id) for a in agents),  # "Comma separated list of agent IDs" [SPEC]
        "start_date": first.isoformat(),
        "end_date": (last + timedelta(days=1)).isoformat(),
    }
    names = {a.id: a.name for a in agents}
    events = rows_of(await ctx.halo.get("TimesheetEvent", params))
    out = []
    for e in events:
        if not e.get("ticket_id") or not _hours(e.get("timetaken")):
            continue  # breaks, holidays and other non-ticket time
        if "client" in found and e.get("client_id") != found["client"].id:
            continue
        when = halo_datetime(e.get("end_date") or e.get("start_date"))
        if when is None or not first <= when.date() <= last:
            continue
        out.append({"ticket": e["ticket_id"], "summary": str(e.get("subject") or ""), "agent":
                    names.get(int(e.get("agent_id") or 0), e.get("agent_id")), "client_id": e.get("client_id"),
                    "hours": _hours(e.get("timetaken"))})  # fmt: skip
    return out


async def _ticket_time(ctx: ToolContext, ticket_id: int, first: date, last: date) -> list[dict[str, Any]]:
    try:
        data = await ctx.halo.get("Actions", {"ticket_id": ticket_id, "excludesys": True})
    except HaloNotFound:
        raise ToolError(f"no ticket {ticket_id} in Halo; find it with list_tickets(search=...)") from None
    out = []
    for a in rows_of(data, "actions"):
        when = halo_datetime(a.get("datetime"))
        hours = _hours(a.get("timetaken"))
        if hours and when is not None and first <= when.date() <= last:
            out.append({"ticket": ticket_id, "agent": a.get("who"), "hours": hours,
                        "non_billable": _hours(a.get("nonbilltime"))})  # fmt: skip
    return out


def _group(entries: Sequence[Mapping[str, Any]], by: str) -> list[dict[str, Any]]:
    """Sum entry rows (timesheet or per-ticket) into the same shape as the SQL groups."""
    names = GROUPS[by][1]
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    for e in entries:
        key = tuple(e.get(n) for n in names)
        g = groups.setdefault(key, {**{n: e.get(n) for n in names}, "hours": 0.0, "non_billable": 0.0, "entries": 0})
        g["hours"] = round(g["hours"] + e["hours"], 2)
        g["non_billable"] = round(g["non_billable"] + (e.get("non_billable") or 0), 2)
        g["entries"] += 1
    return list(groups.values())


# -- contracts ---------------------------------------------------------------------------------------------------


class ContractsArgs(Args):
    client: Ref
    include_ended: bool = False


@tool("billing", title="Client contracts", idempotent=True)
async def client_contracts(ctx: ToolContext, args: ContractsArgs) -> ToolOutput:
    """A client's contracts: period, running or not (and why), hours allowance, prepaid hours bought, used and
    left, with the prepay history."""
    client = await ctx.resolver.resolve("client", args.client)
    listed, prepay = await asyncio.gather(
        ctx.halo.get("ClientContract", {"client_id": client.id, "includeinactive": True}),
        ctx.halo.get("ClientPrepay", {"client_id": client.id}),
    )
    heads = rows_of(listed, "contracts")
    # List rows lack the allowance and prepay totals (recorded shape): read each contract whole (few per client).
    full = await asyncio.gather(*(ctx.halo.get(f"ClientContract/{c['id']}") for c in heads if c.get("id")))
    now = today()
    rows = [_contract_row(c, now) for c in full if isinstance(c, dict)]
    shown = [r for r in rows if args.include_ended or r["period"] != "ended"]
    history = [p for p in rows_of(prepay, "clientprepays") if p.get("client_id") in (None, client.id)]
    hidden = len(rows) - len(shown)
    lines = [f"client {client.name} (id {client.id}): {len(rows)} contracts"]
    if hidden:
        lines[0] += f", {hidden} ended (include_ended=true shows them)"
    disagree = [r["ref"] for r in shown if r.get("halo_says")]
    if disagree:
        lines.append(
            f"Halo's own flags disagree with the period for {', '.join(map(str, disagree))}: the spec documents "
            "neither field, so the period decides 'running' and Halo's flags are shown"
        )
    if any(r.get("hours_per_period") and r["period"] == "running" for r in shown):
        lines.append(await _this_month(ctx, client, shown, now))
    out = list_output("contracts", shown)
    lines.append(out.text)
    lines.append(_prepay_text(history, now))
    structured = {"contracts": shown, "prepay": _prepay_summary(history, now)}
    return ToolOutput(text="\n".join(lines), structured=structured)


async def _this_month(ctx: ToolContext, client: Entity, rows: list[dict[str, Any]], now: date) -> str:
    """Hours logged on the client's tickets this calendar month against each running allowance (one SQL query)."""
    first = now.replace(day=1)
    try:
        groups = await _sql_time(ctx, first, now, {"client": client}, "client")
    except HaloPermissionError:
        return "allowance use this month: needs the reporting permission (time_logged falls back to timesheets)"
    used = round(sum(g["hours"] for g in groups), 2)
    for r in rows:
        if r.get("hours_per_period") and r["period"] == "running":
            r["used_this_month"] = used
            r["left_this_month"] = round(r["hours_per_period"] - used, 2)
    return f"allowance use counts time logged on the client's tickets since {first} (reporting SQL over ACTIONS)"


PERIODS = {1: "monthly"}  # billingperiod codes: only 1 is seen in the facts' recorded data [UNVERIFIED beyond]


def _contract_row(c: Mapping[str, Any], now: date) -> dict[str, Any]:
    start, end = halo_datetime(c.get("start_date")), halo_datetime(c.get("end_date"))
    if start and start.date() > now:
        period = "not started"
    elif end and end.date() < now:
        period = "ended"
    else:
        period = "running"
    row: dict[str, Any] = {
        "id": c.get("id"),
        "ref": c.get("ref"),
        "from": start.date().isoformat() if start else None,
        "to": end.date().isoformat() if end else None,
        "period": period,
        "active": c.get("active"),
        "contract_status": c.get("contract_status"),
    }
    running = period == "running"
    flags = [
        f for f in (("active", c.get("active")), ("contract_status", c.get("contract_status"))) if f[1] is not None
    ]
    if any((bool(v) if k == "active" else str(v).lower() == "active") != running for k, v in flags):
        row["halo_says"] = "disagrees with period"
    hours = c.get("chargehoursperperiod")
    if hours:
        bp = c.get("billingperiod")
        row["hours_per_period"] = _hours(hours)
        row["billing"] = PERIODS.get(bp, f"period code {bp}") if bp is not None else None
    if c.get("allowprepay") or c.get("contract_prepaytotal"):
        row["prepay_bought"] = _hours(c.get("contract_prepaytotal"))
        row["prepay_used"] = _hours(c.get("contract_prepayused"))
        row["prepay_left"] = _hours(c.get("contract_prepaybalance"))
        row["prepay_unit"] = "amount" if c.get("contract_prepayasamount") else "hours"
    return {k: v for k, v in row.items() if v is not None}


def _prepay_summary(history: Sequence[Mapping[str, Any]], now: date) -> dict[str, Any]:
    bought = sum(_hours(p.get("hours")) for p in history if _hours(p.get("hours")) > 0)
    used = -sum(_hours(p.get("hours")) for p in history if _hours(p.get("hours")) < 0)
    expiries = sorted(
        d.date() for p in history if _hours(p.get("hours")) > 0 and (d := halo_datetime(p.get("expirydate")))
    )
    upcoming = [d for d in expiries if d >= now]
    return {
        "entries": len(history),
        "bought_hours": round(bought, 2),
        "used_hours": round(used, 2),
        "balance_hours": round(bought - used, 2),
        "bought_amount": round(sum(float(p.get("amount") or 0) for p in history), 2),
        "next_block_expiry": upcoming[0].isoformat() if upcoming else None,
    }


def _prepay_text(history: Sequence[Mapping[str, Any]], now: date) -> str:
    if not history:
        return "prepay: no /ClientPrepay entries for this client"
    s = _prepay_summary(history, now)
    text = (
        f"prepay history (/ClientPrepay, {s['entries']} entries): bought {s['bought_hours']} h "
        f"({s['bought_amount']} in money), used {s['used_hours']} h, balance {s['balance_hours']} h"
    )
    if s["next_block_expiry"]:
        text += f"; next block expires {s['next_block_expiry']}"
    return text + ". Negative entries are deductions [how Halo records them is unverified]"

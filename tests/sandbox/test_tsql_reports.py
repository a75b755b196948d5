"""Report SQL is T-SQL: a corpus of the queries Halo's reporting users write, run through `POST /Report` over HTTP.

Each query's expected rows are computed here, independently, from the sandbox's stored records in plain Python
(never by running SQL), so a wrong translation or a wrong SQL Server rule fails. The queries follow Halo's schema
(halo-sql-schema.sql) and the styles seen in Halo reports: unqualified joins, [bracket] and 'string' aliases,
correlated TOP 1 subqueries, CONVERT(nvarchar(7), date, 126) months.
"""

from __future__ import annotations

import calendar
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx2
import pytest

from halo_mcp.sandbox import Sandbox

Rows = list[dict[str, Any]]


def when(value: str | None) -> datetime | None:
    """A stored timestamp (ISO, Z) as a naive UTC datetime."""
    return datetime.fromisoformat(value.replace("Z", "+00:00")).replace(tzinfo=None) if value else None


def shown(value: datetime | None) -> str | None:
    """How a SQL Server datetime comes back in a report row (Halo's API form)."""
    return value.strftime("%Y-%m-%dT%H:%M:%S") if value else None


def months_back(now: datetime, months: int) -> datetime:
    year, month = divmod(now.year * 12 + now.month - 1 - months, 12)
    return now.replace(year=year, month=month + 1, day=min(now.day, calendar.monthrange(year, month + 1)[1]))


class Data:
    """The stored records, read once per test module."""

    def __init__(self, sb: Sandbox) -> None:
        store = sb.app.store
        self.tickets = sorted(store.all("Tickets"), key=lambda t: t["id"])
        self.actions = store.all("Actions")
        self.clients = {c["id"]: c for c in store.all("Client")}
        self.statuses = {s["id"]: s for s in store.all("Status")}
        self.sites = store.all("Site")
        self.users = sorted(store.all("Users"), key=lambda u: u["id"])
        self.assets = store.all("Asset")
        self.now = datetime.now(UTC).replace(tzinfo=None)

    def closed(self, ticket: dict[str, Any]) -> bool:
        return self.statuses[ticket["status_id"]]["type"] == 2

    def since(self, start: datetime) -> list[dict[str, Any]]:
        return [t for t in self.tickets if when(t["dateoccurred"]) >= start]  # type: ignore[operator]


@dataclass(frozen=True)
class Case:
    name: str
    sql: str
    expected: Callable[[Data], Rows]


def _hour_boundaries(start: datetime, end: datetime) -> int:
    return int((end.replace(minute=0, second=0) - start.replace(minute=0, second=0)).total_seconds() // 3600)


CORPUS = [
    Case("COUNT(*)", "SELECT COUNT(*) AS n FROM FAULTS", lambda d: [{"n": len(d.tickets)}]),
    Case("COUNT(1) with dbo. and NOLOCK", "SELECT COUNT(1) AS n FROM dbo.FAULTS WITH (NOLOCK)",
         lambda d: [{"n": len(d.tickets)}]),
    Case("SELECT 1 ... WHERE 1=1", "SELECT 1 AS one FROM FAULTS (NOLOCK) WHERE 1=1",
         lambda d: [{"one": 1}] * len(d.tickets)),
    Case("open tickets: join on status type",
         "SELECT COUNT(*) AS n FROM FAULTS f JOIN TSTATUS s ON s.Tstatus = f.Status WHERE s.TstatusType <> 2",
         lambda d: [{"n": sum(not d.closed(t) for t in d.tickets)}]),
    Case("GROUP BY with HAVING",
         "SELECT a.aareadesc AS client, COUNT(*) AS n FROM FAULTS f JOIN AREA a ON a.Aarea = f.Areaint "
         "GROUP BY a.aareadesc HAVING COUNT(*) > 100 ORDER BY n DESC, client",
         lambda d: [{"client": c, "n": n} for c, n in sorted(
             Counter(d.clients[t["client_id"]]["name"] for t in d.tickets).items(), key=lambda cn: (-cn[1], cn[0]))
             if n > 100]),
    Case("TOP n", "SELECT TOP 5 Faultid FROM FAULTS ORDER BY dateoccured DESC, Faultid DESC",
         lambda d: [{"Faultid": t["id"]} for t in sorted(
             d.tickets, key=lambda t: (t["dateoccurred"], t["id"]), reverse=True)[:5]]),
    Case("TOP (n) in brackets", "SELECT TOP (3) Faultid FROM FAULTS ORDER BY Faultid",
         lambda d: [{"Faultid": t["id"]} for t in d.tickets[:3]]),
    Case("OFFSET ... FETCH", "SELECT Faultid FROM FAULTS ORDER BY Faultid OFFSET 10 ROWS FETCH NEXT 5 ROWS ONLY",
         lambda d: [{"Faultid": t["id"]} for t in d.tickets[10:15]]),
    Case("last 30 days with DATEADD and GETDATE",
         "SELECT COUNT(*) AS n FROM FAULTS WHERE dateoccured >= DATEADD(day, -30, GETDATE())",
         lambda d: [{"n": len(d.since(d.now - timedelta(days=30)))}]),
    Case("GETDATE()-30 is thirty days ago", "SELECT COUNT(*) AS n FROM FAULTS WHERE dateoccured >= GETDATE()-30",
         lambda d: [{"n": len(d.since(d.now - timedelta(days=30)))}]),
    Case("GETDATE() - 0.5 is twelve hours ago",
         "SELECT COUNT(*) AS n FROM FAULTS WHERE dateoccured >= GETDATE() - 0.5",
         lambda d: [{"n": len(d.since(d.now - timedelta(hours=12)))}]),
    Case("CTE over the last three months (DATEADD month)",
         "WITH recent AS (SELECT Areaint FROM FAULTS WHERE dateoccured >= DATEADD(month, -3, GETDATE())) "
         "SELECT Areaint, COUNT(*) AS n FROM recent GROUP BY Areaint ORDER BY Areaint",
         lambda d: [{"Areaint": c, "n": n} for c, n in sorted(
             Counter(t["client_id"] for t in d.since(months_back(d.now, 3))).items())]),
    Case("DATEDIFF counts boundaries crossed",
         "SELECT Faultid, DATEDIFF(day, dateoccured, datecleared) AS days, "
         "DATEDIFF(hour, dateoccured, datecleared) AS hours, DATEDIFF(month, dateoccured, datecleared) AS months "
         "FROM FAULTS WHERE datecleared IS NOT NULL ORDER BY Faultid",
         lambda d: [{
             "Faultid": t["id"],
             "days": (when(t["dateclosed"]).date() - when(t["dateoccurred"]).date()).days,  # type: ignore[union-attr]
             "hours": _hour_boundaries(when(t["dateoccurred"]), when(t["dateclosed"])),  # type: ignore[arg-type]
             "months": (when(t["dateclosed"]).year * 12 + when(t["dateclosed"]).month)  # type: ignore[union-attr]
             - (when(t["dateoccurred"]).year * 12 + when(t["dateoccurred"]).month),  # type: ignore[union-attr]
         } for t in d.tickets if t.get("dateclosed")]),
    Case("YEAR and MONTH", "SELECT YEAR(dateoccured) AS y, MONTH(dateoccured) AS m, COUNT(*) AS n FROM FAULTS "
         "GROUP BY YEAR(dateoccured), MONTH(dateoccured) ORDER BY y, m",
         lambda d: [{"y": y, "m": m, "n": n} for (y, m), n in sorted(Counter(
             (when(t["dateoccurred"]).year, when(t["dateoccurred"]).month) for t in d.tickets).items())]),  # type: ignore[union-attr]
    Case("DAY and DATEPART", "SELECT TOP 4 Faultid, DAY(dateoccured) AS d, DATEPART(hour, dateoccured) AS h, "
         "DATEPART(weekday, dateoccured) AS wd FROM FAULTS ORDER BY Faultid",
         lambda d: [{"Faultid": t["id"], "d": when(t["dateoccurred"]).day,  # type: ignore[union-attr]
                     "h": when(t["dateoccurred"]).hour,  # type: ignore[union-attr]
                     "wd": when(t["dateoccurred"]).isoweekday() % 7 + 1} for t in d.tickets[:4]]),  # type: ignore[union-attr]
    Case("months with CONVERT(nvarchar(7), date, 126)",
         "select convert(nvarchar(7), dateoccured, 126) as [Month], count(*) as [Tickets] from faults "
         "group by convert(nvarchar(7), dateoccured, 126) order by 1",
         lambda d: [{"Month": m, "Tickets": n} for m, n in sorted(
             Counter(t["dateoccurred"][:7] for t in d.tickets).items())]),
    Case("CONVERT styles 120, 103 and 23", "SELECT TOP 3 CONVERT(varchar(19), dateoccured, 120) AS iso, "
         "CONVERT(varchar(10), dateoccured, 103) AS uk, CONVERT(varchar, dateoccured, 23) AS d FROM FAULTS "
         "ORDER BY Faultid",
         lambda d: [{"iso": when(t["dateoccurred"]).strftime("%Y-%m-%d %H:%M:%S"),  # type: ignore[union-attr]
                     "uk": when(t["dateoccurred"]).strftime("%d/%m/%Y"),  # type: ignore[union-attr]
                     "d": t["dateoccurred"][:10]} for t in d.tickets[:3]]),
    Case("CAST AS date groups by day",
         "SELECT CAST(dateoccured AS date) AS day, COUNT(*) AS n FROM FAULTS "
         "WHERE dateoccured >= DATEADD(day, -7, CAST(GETDATE() AS date)) GROUP BY CAST(dateoccured AS date) "
         "ORDER BY day",
         lambda d: [{"day": f"{day}T00:00:00", "n": n} for day, n in sorted(Counter(
             t["dateoccurred"][:10] for t in d.since(datetime.combine(d.now.date(), datetime.min.time())
                                                    - timedelta(days=7))).items())]),
    Case("FORMAT of dates", "SELECT TOP 3 FORMAT(dateoccured, 'yyyy-MM-dd') AS d, "
         "FORMAT(dateoccured, 'dd/MM/yyyy HH:mm') AS uk, FORMAT(dateoccured, 'MMMM yyyy') AS month FROM FAULTS "
         "ORDER BY Faultid",
         lambda d: [{"d": t["dateoccurred"][:10], "uk": when(t["dateoccurred"]).strftime("%d/%m/%Y %H:%M"),  # type: ignore[union-attr]
                     "month": when(t["dateoccurred"]).strftime("%B %Y")} for t in d.tickets[:3]]),  # type: ignore[union-attr]
    Case("FORMAT of a number", "SELECT FORMAT(COUNT(*) * 1000.5, 'N2') AS n FROM FAULTS",
         lambda d: [{"n": f"{len(d.tickets) * 1000.5:,.2f}"}]),
    Case("ISNULL", "SELECT COUNT(*) AS n FROM FAULTS WHERE ISNULL(Assignedtoint, 0) = 0",
         lambda d: [{"n": sum(not t.get("agent_id") for t in d.tickets)}]),
    Case("STRING_AGG ... WITHIN GROUP (ORDER BY ...)",
         "SELECT a.aareadesc AS client, STRING_AGG(CAST(s.Ssitenum AS varchar(10)), ',') "
         "WITHIN GROUP (ORDER BY s.Ssitenum DESC) AS sites FROM SITE s JOIN AREA a ON a.Aarea = s.Sarea "
         "GROUP BY a.aareadesc ORDER BY client",
         lambda d: [{"client": name, "sites": ",".join(str(s["id"]) for s in sorted(
             (s for s in d.sites if d.clients[s["client_id"]]["name"] == name), key=lambda s: -s["id"]))}
             for name in sorted({d.clients[s["client_id"]]["name"] for s in d.sites})]),
    Case("CASE", "SELECT CASE WHEN s.TstatusType = 2 THEN 'closed' ELSE 'open' END AS state, COUNT(*) AS n "
         "FROM FAULTS f JOIN TSTATUS s ON s.Tstatus = f.Status "
         "GROUP BY CASE WHEN s.TstatusType = 2 THEN 'closed' ELSE 'open' END ORDER BY state",
         lambda d: [{"state": k, "n": n} for k, n in sorted(
             Counter("closed" if d.closed(t) else "open" for t in d.tickets).items())]),
    Case("window function: latest ticket per client",
         "SELECT Faultid, Areaint FROM (SELECT Faultid, Areaint, ROW_NUMBER() OVER (PARTITION BY Areaint "
         "ORDER BY dateoccured DESC, Faultid DESC) AS rn FROM FAULTS) x WHERE rn = 1 ORDER BY Areaint",
         lambda d: [{"Faultid": max((t for t in d.tickets if t["client_id"] == c),
                                    key=lambda t: (t["dateoccurred"], t["id"]))["id"], "Areaint": c}
                    for c in sorted({t["client_id"] for t in d.tickets})]),
    Case("Halo style: unqualified joins and [bracket] aliases",
         "select faultid as [Ticket ID], aareadesc as [Client], tstatusdesc as [Status] from faults "
         "join area on aarea = areaint join tstatus on status = tstatus where faultid <= 5 order by faultid",
         lambda d: [{"Ticket ID": t["id"], "Client": d.clients[t["client_id"]]["name"],
                     "Status": d.statuses[t["status_id"]]["name"]} for t in d.tickets[:5]]),
    Case("Halo style: 'string' aliases and a correlated TOP 1",
         "select Faultid as 'Ticket', (select top 1 whe_ from ACTIONS where ACTIONS.Faultid = FAULTS.Faultid "
         "order by actionnumber desc) as 'LastAction' from FAULTS where Faultid <= 5 order by Faultid",
         lambda d: [{"Ticket": t["id"], "LastAction": shown(when(max(
             (a for a in d.actions if a["ticket_id"] == t["id"]), key=lambda a: a["id"])["datetime"]))}
             for t in d.tickets[:5]]),
    Case("+ joins strings", "SELECT TOP 5 uFirstName + ' ' + uLastName AS name FROM USERS ORDER BY Uid",
         lambda d: [{"name": f"{u['firstname']} {u['surname']}"} for u in d.users[:5]]),
    Case("LEFT, LEN and UPPER", "SELECT TOP 3 LEFT(Symptom, 10) AS s10, LEN(Symptom) AS n, UPPER(Symptom) AS up "
         "FROM FAULTS ORDER BY Faultid",
         lambda d: [{"s10": t["summary"][:10], "n": len(t["summary"].rstrip()), "up": t["summary"].upper()}
                    for t in d.tickets[:3]]),
    Case("= on text ignores case (SQL Server's default collation)",
         "SELECT COUNT(*) AS n FROM AREA WHERE aareadesc = 'WAYNE ENTERPRISES'",
         lambda d: [{"n": sum(c["name"].upper() == "WAYNE ENTERPRISES" for c in d.clients.values())}]),
    Case("dates compared with date strings",
         "SELECT COUNT(*) AS n FROM FAULTS WHERE dateoccured >= '2025-06-01' AND dateoccured < '2025-07-01 00:00'",
         lambda d: [{"n": sum("2025-06-01" <= t["dateoccurred"][:10] < "2025-07-01" for t in d.tickets)}]),
    Case("this year with DATEFROMPARTS",
         "SELECT COUNT(*) AS n FROM FAULTS WHERE dateoccured >= DATEFROMPARTS(YEAR(GETDATE()), 1, 1)",
         lambda d: [{"n": len(d.since(datetime(d.now.year, 1, 1)))}]),
    Case("warranties ending within 90 days",
         "SELECT COUNT(*) AS n FROM DEVICE WHERE dinactive = 0 AND DWarrantyEndDate < DATEADD(day, 90, GETDATE())",
         lambda d: [{"n": sum(not a.get("inactive") and a.get("warranty_end") is not None
                              and when(a["warranty_end"]) < d.now + timedelta(days=90) for a in d.assets)}]),  # type: ignore[operator]
    Case("hours logged per agent this month",
         "SELECT whoagentid AS agent, COUNT(*) AS actions FROM ACTIONS "
         "WHERE Whe_ >= DATEADD(month, DATEDIFF(month, 0, GETDATE()), 0) GROUP BY whoagentid ORDER BY whoagentid",
         lambda d: [{"agent": a, "actions": n} for a, n in sorted(Counter(
             x.get("who_agentid") for x in d.actions
             if when(x["datetime"]) >= datetime(d.now.year, d.now.month, 1)).items(),  # type: ignore[operator]
             key=lambda an: (an[0] is not None, an[0] or 0))]),
]  # fmt: skip


@pytest.fixture(scope="module")
def data(sb: Sandbox) -> Data:
    return Data(sb)


def report(api: httpx2.Client, sql: str) -> dict[str, Any]:
    response = api.post("/Report", json=[{"_loadreportonly": True, "sql": sql}])
    assert response.status_code == 201, response.text
    return dict(response.json()["report"])


@pytest.mark.parametrize("case", CORPUS, ids=[c.name for c in CORPUS])
def test_report_corpus_returns_the_rows_sql_server_would(api: httpx2.Client, data: Data, case: Case) -> None:
    result = report(api, case.sql)
    assert result["load_error"] is None, result["load_error"]
    expected = case.expected(data)
    assert result["rows"] == expected
    assert result["loaded"] is True


def test_the_corpus_covers_data_not_just_empty_results(data: Data) -> None:
    empty = [c.name for c in CORPUS if c.expected(data) in ([], [{"n": 0}])]
    assert not empty, f"these corpus queries would pass on an empty sandbox: {empty}"


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("DATEDIFF(year, '2024-12-31 23:59', '2025-01-01 00:00')", 1),  # one boundary crossed in a minute
        ("DATEDIFF(month, '2024-01-31', '2024-02-01')", 1),
        ("DATEDIFF(day, '2024-03-01 23:59', '2024-03-02 00:01')", 1),
        ("DATEDIFF(week, '2024-06-01', '2024-06-02')", 1),  # Saturday to Sunday: weeks start on Sunday
        ("DATEDIFF(week, '2024-06-02', '2024-06-08')", 0),
        ("DATEDIFF(hour, '2024-01-01 10:59', '2024-01-01 11:00')", 1),
        ("DATEDIFF(day, '2024-03-02', '2024-03-01')", -1),
        ("DATEADD(month, 1, '2024-01-31')", "2024-02-29T00:00:00"),  # the day is clamped to the month's end
        ("DATEADD(year, -1, '2024-02-29 10:30')", "2023-02-28T10:30:00"),
        ("DATEADD(hour, 36, '2024-01-01')", "2024-01-02T12:00:00"),
        ("DATEADD(millisecond, 280, '2024-01-01 10:00')", "2024-01-01T10:00:00.28"),  # Halo trims the fraction
        ("EOMONTH('2023-02-10')", "2023-02-28T00:00:00"),
        ("DATEPART(weekday, '2024-06-02')", 1),  # Sunday is 1 (DATEFIRST 7)
        ("DATEPART(quarter, '2024-08-15')", 3),
        ("DATEPART(dayofyear, '2024-12-31')", 366),
        ("DATENAME(month, '2024-08-15')", "August"),
        ("CONVERT(varchar(7), CAST('2024-08-15 10:00' AS datetime), 120)", "2024-08"),
        ("CAST('2024-08-15 10:20:30' AS date)", "2024-08-15T00:00:00"),
        ("CONVERT(varchar(8), CAST('2024-08-15 10:20:30' AS time(0)), 108)", "10:20:30"),
        ("CAST(12.5 AS varchar(2))", "12"),
        ("ISNULL(NULL, 'x')", "x"),
        ("CONCAT('a', NULL, 1)", "a1"),
        ("'a' + 'b'", "ab"),
        ("FORMAT(0.256, 'P1')", "25.6%"),
        ("RIGHT('abcdef', 2) + LEFT('abcdef', 2)", "efab"),
        ("IIF(1 > 0, 'yes', 'no')", "yes"),
    ],
)
def test_sql_server_rules_for_dates_and_strings(api: httpx2.Client, expression: str, value: Any) -> None:
    result = report(api, f"SELECT {expression} AS v")
    assert result["load_error"] is None, result["load_error"]
    assert result["rows"] == [{"v": value}]


def test_dates_in_rows_are_written_as_halo_writes_them(api: httpx2.Client, data: Data) -> None:
    rows = report(api, "SELECT Faultid, dateoccured, datecleared FROM FAULTS WHERE Faultid = 1")["rows"]
    ticket = data.tickets[0]
    assert rows == [{"Faultid": 1, "dateoccured": shown(when(ticket["dateoccurred"])),
                     "datecleared": shown(when(ticket.get("dateclosed")))}]  # fmt: skip


def test_every_saved_report_runs(api: httpx2.Client) -> None:
    for saved in api.get("/Report").json()["reports"]:
        loaded = api.get(f"/Report/{saved['id']}", params={"loadreport": "true"}).json()["report"]
        assert loaded["load_error"] is None, (saved["name"], loaded["load_error"])


@pytest.mark.parametrize(
    ("sql", "error"),
    [
        ("SELECT * FROM r_Tickets", "Invalid object name 'r_Tickets'"),
        ("SELECT COUNT(*) FROM sandbox_meta", "Invalid object name"),
        ("UPDATE FAULTS SET Symptom = 'x'", "Only SELECT"),
        ("SELECT 1; DELETE FROM FAULTS", "Only one SELECT"),
        ("SELECT FROM WHERE", "Incorrect syntax"),
        ("SELECT * FROM FAULTS LIMIT 1", "Incorrect syntax near 'LIMIT'"),  # T-SQL has TOP
        (
            "SELECT COUNT(*) FROM FAULTS WHERE dateoccured >= datetime('now', '-30 days')",
            "'datetime' is not a recognized built-in function name",
        ),  # SQLite's, not SQL Server's
        ("SELECT substr(Symptom, 1, 5) AS s FROM FAULTS", "'substr' is not a recognized built-in function name"),
        ("SELECT TSQL_GETDATE() AS now", "'TSQL_GETDATE' is not a recognized"),
        ("SELECT DATEADD(fortnight, 1, GETDATE()) AS v", "'fortnight' is not a recognized dateadd option"),
    ],
)
def test_what_cannot_run_says_why(api: httpx2.Client, sql: str, error: str) -> None:
    result = report(api, sql)
    assert result["loaded"] is False and error in (result["load_error"] or "")


def test_today_and_a_month_from_now_agree_with_the_clock(api: httpx2.Client) -> None:
    before = datetime.now(UTC).date()
    row = report(api, "SELECT CAST(GETDATE() AS date) AS today, DATEADD(month, 1, CAST(GETDATE() AS date)) AS later")
    after = datetime.now(UTC).date()
    today = date.fromisoformat(row["rows"][0]["today"][:10])
    assert before <= today <= after  # GETDATE() is the sandbox's UTC clock
    year, month = divmod(today.year * 12 + today.month, 12)
    later = date(year, month + 1, min(today.day, calendar.monthrange(year, month + 1)[1]))
    assert row["rows"] == [{"today": f"{today}T00:00:00", "later": f"{later}T00:00:00"}]

"""list_reports, run_report and query_sql over real MCP and real HTTP to the sandbox's reporting API."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from mcp import Client

from halo_mcp.config import ServerSettings
from halo_mcp.sandbox import Sandbox
from halo_mcp.server.surface import Surface
from tests.helpers import Raw, column, halo_settings_for, ids, text

pytestmark = pytest.mark.anyio


@pytest.fixture
async def fresh_client(fresh_sandbox: Sandbox) -> AsyncIterator[Client]:
    surface = Surface(halo_settings_for(fresh_sandbox), ServerSettings(toolsets="all"))
    async with Client(surface.server) as c:
        yield c
    await surface.aclose()


async def test_list_reports(client: Client, sandbox: Sandbox) -> None:
    raw = Raw(sandbox)
    expected = raw.all("Report", "reports")
    raw.close()
    result = await client.call_tool("list_reports", {})
    assert ids(result) == [r["id"] for r in expected]
    warranty = await client.call_tool("list_reports", {"query": "warranty"})
    assert column(warranty, "name") == ["Assets with warranty expiring in 90 days"]


async def test_run_report_by_name_matches_halo(client: Client, sandbox: Sandbox) -> None:
    raw = Raw(sandbox)
    truth = raw.get("Report/2", loadreport=True)["report"]["rows"]
    raw.close()
    by_name = await client.call_tool("run_report", {"report": "open tickets by client"})
    by_id = await client.call_tool("run_report", {"report": 2})
    assert not by_name.is_error
    assert by_name.structured_content == by_id.structured_content
    assert by_name.structured_content["total"] == len(truth)
    cols = by_name.structured_content["columns"]
    assert [dict(zip(cols, row, strict=True)) for row in by_name.structured_content["rows"]] == truth
    assert text(by_name).startswith("report 2 «Open tickets by client»")


async def test_run_report_with_a_period_and_client(client: Client) -> None:
    result = await client.call_tool(
        "run_report", {"report": "Tickets by priority", "start": "-30d", "end": "today", "client": "Acme Corp"}
    )
    assert not result.is_error, text(result)
    assert " from " in text(result).split("\n")[0]


async def test_run_report_errors(client: Client) -> None:
    ambiguous = await client.call_tool("run_report", {"report": "Open tickets"})
    assert ambiguous.is_error and "several" in text(ambiguous) and "(id 1)" in text(ambiguous)
    unknown = await client.call_tool("run_report", {"report": 9_999})
    assert unknown.is_error and "list_reports" in text(unknown)
    typo = await client.call_tool("run_report", {"report": "Agent worklod"})
    assert typo.is_error and "Agent workload" in text(typo)


async def test_query_sql_returns_rows(client: Client, sandbox: Sandbox) -> None:
    raw = Raw(sandbox)
    ticket = raw.get("Tickets/5")
    raw.close()
    sql = "-- one ticket\nSELECT Faultid AS id, Symptom AS summary FROM FAULTS WHERE Faultid = 5;"
    result = await client.call_tool("query_sql", {"sql": sql})
    assert not result.is_error, text(result)
    assert column(result, "id") == [5]
    assert column(result, "summary") == [ticket["summary"]]


# GET /Tickets lists tickets; projects and opportunities are FAULTS rows of their own request types.
TICKETS = "WHERE RequestTypeNew IN (SELECT RTid FROM REQUESTTYPE WHERE RTIsProject = 0 AND RTIsOpportunity = 0)"


async def test_query_sql_counts_with_count_star_like_halo(client: Client, sandbox: Sandbox) -> None:
    raw = Raw(sandbox)
    tickets = raw.get("Tickets", pageinate=True, page_size=1)["record_count"]
    clients = raw.all("Client", "clients")
    raw.close()
    result = await client.call_tool("query_sql", {"sql": f"SELECT COUNT(*) AS n FROM FAULTS WITH (NOLOCK) {TICKETS}"})
    assert not result.is_error, text(result)
    assert column(result, "n") == [tickets]
    per_client = await client.call_tool(
        "query_sql",
        {"sql": "SELECT TOP 100 a.aareadesc AS client, COUNT(1) AS n FROM FAULTS f JOIN AREA a ON a.Aarea = f.Areaint "
         f"{TICKETS} GROUP BY a.aareadesc ORDER BY client"},
    )  # fmt: skip
    assert not per_client.is_error, text(per_client)
    assert sum(column(per_client, "n")) == tickets
    assert set(column(per_client, "client")) <= {c["name"] for c in clients}


async def test_query_sql_runs_t_sql_date_functions(client: Client, sandbox: Sandbox) -> None:
    raw = Raw(sandbox)
    since = (datetime.now(UTC) - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%S")
    recent = raw.get("Tickets", pageinate=True, page_size=1, datesearch="dateoccured", startdate=since)
    raw.close()
    sql = (
        "SELECT COUNT(*) AS n, MIN(DATEDIFF(day, dateoccured, GETDATE())) AS newest_days FROM FAULTS "
        f"{TICKETS} AND dateoccured >= DATEADD(day, -30, GETDATE())"
    )
    result = await client.call_tool("query_sql", {"sql": sql})
    assert not result.is_error, text(result)
    assert column(result, "n") == [recent["record_count"]]
    assert 0 <= column(result, "newest_days")[0] <= 30


async def test_query_sql_caps_rows_and_says_so(client: Client) -> None:
    result = await client.call_tool("query_sql", {"sql": "SELECT Faultid, Symptom FROM FAULTS", "limit": 7})
    assert len(result.structured_content["rows"]) == 7
    assert result.structured_content["total"] > 7
    assert "truncated to the first 7 rows" in text(result)
    assert "«" in text(result)  # ticket summaries are user-written text


async def test_query_sql_error_from_halo(client: Client) -> None:
    result = await client.call_tool("query_sql", {"sql": "SELECT no_such_column FROM FAULTS"})
    assert result.is_error and "no_such_column" in text(result)


BATCHES = [
    "DELETE FROM FAULTS",
    "SELECT 1; DROP TABLE FAULTS",
    "SELECT 1 /* x */ UPDATE FAULTS SET Status = 9",
    "SELECT * INTO t FROM FAULTS",
    "WITH x AS (SELECT 1 a) DELETE FROM FAULTS",
    "SELECT 1 WHILE 1=1 SELECT 1",
    "SELECT 1 RAISERROR('x', 16, 1) WITH LOG",
    "SELECT * FROM FAULTS WITH (TABLOCKX, HOLDLOCK)",
    "SELECT NEXT VALUE FOR dbo.seq",
    "OPEN SYMMETRIC KEY k DECRYPTION BY PASSWORD = 'x'",
    "SELECT * FROM fn_trace_gettable('x.trc', DEFAULT)",
    "SELECT 1 DELETE FROM FAULTS",
    "PRINT 'x'",
]


@pytest.mark.parametrize("sql", BATCHES)
async def test_refused_sql_never_reaches_halo(fresh_client: Client, fresh_sandbox: Sandbox, sql: str) -> None:
    await fresh_client.call_tool("query_sql", {"sql": "SELECT 1 AS one"})  # token fetched, route counted once
    before = fresh_sandbox.counters()["routes"].get("POST /api/Report", 0)
    result = await fresh_client.call_tool("query_sql", {"sql": sql})
    assert result.is_error and ("allowed" in text(result) or "could not read" in text(result))
    assert fresh_sandbox.counters()["routes"].get("POST /api/Report", 0) == before == 1


async def test_call_operation_runs_a_report_select(client: Client) -> None:
    result = await client.call_tool(
        "call_operation",
        {"operation": "POST /Report", "arguments": {"_loadreportonly": True, "sql": "SELECT COUNT(*) AS n FROM AREA"}},
    )
    assert not result.is_error, text(result)


@pytest.mark.parametrize("sql", ["UPDATE FAULTS SET Status = 9", *BATCHES[5:]])
async def test_call_operation_refuses_report_sql_before_any_halo_request(
    fresh_client: Client, fresh_sandbox: Sandbox, sql: str
) -> None:
    await fresh_client.call_tool("query_sql", {"sql": "SELECT 1 AS one"})  # the token is fetched before counting
    fresh_sandbox.reset_counters()
    for call in (
        {"operation": "POST /Report", "arguments": {"_loadreportonly": True, "sql": sql}},
        {"operation": "POST /Report", "body": {"_loadreportonly": True, "SQL": sql}},
        {"operation": "POST /Report", "body": [{"name": "ok", "sql": "SELECT 1"}, {"name": "bad", "sql": sql}]},
    ):
        result = await fresh_client.call_tool("call_operation", call)
        assert result.is_error and "POST /Report, field" in text(result), text(result)
    assert fresh_sandbox.counters()["total"] == 0


async def test_call_operation_checks_sql_fragments_of_other_operations(
    fresh_client: Client, fresh_sandbox: Sandbox
) -> None:
    await fresh_client.call_tool("query_sql", {"sql": "SELECT 1 AS one"})
    fresh_sandbox.reset_counters()
    body = {"id": 1, "customfields": [{"id": 5, "where_sql": "1=1 DELETE FROM FAULTS"}]}
    result = await fresh_client.call_tool("call_operation", {"operation": "POST /Agent", "body": body})
    assert result.is_error and "field where_sql" in text(result), text(result)
    assert fresh_sandbox.counters()["total"] == 0


async def test_the_server_imports_the_sql_parser_only_when_sql_is_checked() -> None:
    code = (
        "import sys; from halo_mcp.server.surface import Surface; from halo_mcp.tools import load_all; load_all(); "
        "assert 'sqlglot' not in sys.modules; from halo_mcp.tools.sql_guard import check_sql; check_sql('SELECT 1'); "
        "assert 'sqlglot' in sys.modules"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


async def test_reports_need_the_reporting_permission(sandbox: Sandbox) -> None:
    client_id, secret = sandbox.create_app(scopes="read:tickets")
    settings = halo_settings_for(sandbox, client_id=client_id, client_secret=secret, scope="read:tickets")
    surface = Surface(settings, ServerSettings(toolsets="all"))
    try:
        async with Client(surface.server) as c:
            result = await c.call_tool("query_sql", {"sql": "SELECT 1 AS one"})
            assert result.is_error and ("403" in text(result) or "permission" in text(result).lower())
    finally:
        await surface.aclose()

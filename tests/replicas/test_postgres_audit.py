"""The audit in a real PostgreSQL: the same contract as the SQLite audit, a schema migrated at start (once, also
when replicas start together), retention, and `halo-mcp audit` reading it."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import pytest

from halo_mcp.audit import open_audit
from halo_mcp.config import ServerSettings
from halo_mcp.state.postgres import MIGRATIONS, PostgresAudit
from tests.helpers import halo_mcp_cli, subprocess_env

pytestmark = pytest.mark.replicas


def test_a_write_is_recorded_with_secrets_masked_and_read_back_newest_first(database_url: str) -> None:
    audit = PostgresAudit(database_url)
    try:
        audit.record(
            collection="desk", tool="create_ticket", arguments={"summary": "VPN", "password": "hunter2"},
            affected=["ticket:7"], outcome="ok", message="ticket 7 created",
        )  # fmt: skip
        audit.record(
            collection="desk", tool="add_note", arguments={}, affected=[], outcome="error", message="no",
            principal="tok_1 (service desk)",
        )  # fmt: skip
        newest, oldest = audit.entries()
        assert (newest.tool, newest.outcome, newest.principal) == ("add_note", "error", "tok_1 (service desk)")
        assert oldest.principal == ""
        assert oldest.arguments == {"summary": "VPN", "password": "***"}
        assert oldest.affected == ["ticket:7"]
        assert [e.tool for e in audit.entries(tool="create_ticket")] == ["create_ticket"]
        assert audit.entries(collection="other") == []
    finally:
        audit.close()


def test_replicas_starting_together_migrate_the_schema_once(database_url: str) -> None:
    with ThreadPoolExecutor(3) as pool:
        stores = list(pool.map(lambda _: PostgresAudit(database_url), range(3)))
    for store in stores:
        store.close()
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT version FROM halo_mcp_schema").fetchall() == [(len(MIGRATIONS),)]


def test_an_audit_from_the_first_schema_is_migrated_and_keeps_its_rows(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        conn.execute("CREATE TABLE halo_mcp_schema (version INTEGER NOT NULL)")
        conn.execute("INSERT INTO halo_mcp_schema VALUES (1)")
        for statement in filter(str.strip, MIGRATIONS[0].split(";")):
            conn.execute(statement)  # type: ignore[call-overload]
        conn.execute(
            "INSERT INTO halo_mcp_audit (at, collection, tool, arguments, affected, outcome, message) "
            "VALUES (1, 'default', 'add_note', '{}', '[]', 'ok', 'old')"
        )
    audit = PostgresAudit(database_url)
    try:
        assert [e.message for e in audit.entries()] == ["old"]
        with psycopg.connect(database_url) as conn:
            columns = {r[0] for r in conn.execute("SELECT column_name FROM information_schema.columns "
                                                  "WHERE table_name = 'halo_mcp_audit'")}  # fmt: skip
        assert "principal" in columns
    finally:
        audit.close()


def test_retention_removes_old_entries_at_start(database_url: str) -> None:
    audit = PostgresAudit(database_url)
    audit.record(collection="default", tool="add_note", arguments={}, affected=[], outcome="ok", message="new")
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "INSERT INTO halo_mcp_audit (at, collection, tool, arguments, affected, outcome, message) "
            "VALUES (%s, 'default', 'add_note', '{}', '[]', 'ok', 'old')",
            (time.time() - 40 * 86_400,),
        )
    audit.close()
    kept = open_audit(ServerSettings(database_url=database_url, audit_retention_days=30))
    try:
        assert [e.message for e in kept.entries()] == ["new"]
    finally:
        kept.close()


def test_halo_mcp_audit_reads_postgresql(database_url: str) -> None:
    audit = PostgresAudit(database_url)
    audit.record(collection="default", tool="add_note", arguments={"note": "hi"}, affected=["action:1/9"],
                 outcome="ok", message="note 9 added")  # fmt: skip
    audit.close()
    done = halo_mcp_cli(subprocess_env(HALO_MCP_DATABASE_URL=database_url), "audit", "--json")
    assert done.returncode == 0, done.stderr
    assert [(e["tool"], e["affected"]) for e in json.loads(done.stdout)] == [("add_note", ["action:1/9"])]


def test_an_unreachable_database_stops_the_start_with_one_line_naming_the_variable() -> None:
    done = halo_mcp_cli(subprocess_env(HALO_MCP_DATABASE_URL="postgresql://nobody:secret-pw@127.0.0.1:1/none"), "audit")
    assert done.returncode != 0
    assert "HALO_MCP_DATABASE_URL" in done.stderr and "secret-pw" not in done.stderr


def test_an_audit_kept_before_the_ticket_index_gains_each_entrys_tickets_and_the_filters_use_indexes(
    database_url: str,
) -> None:
    with psycopg.connect(database_url) as conn:
        migrate_to(conn, 3)
        for tool, arguments, affected in (
            ("add_note", '{"note": "n"}', '["action:12/1", "kb:5"]'),
            ("update_ticket", '{"id": 13, "ticket_id": true}', "[]"),
            ("create_article", '{"id": 14}', '["attachment:15/2"]'),
            ("add_note", '{"ticket_id": 16.5}', '["ticket:x"]'),
            ("add_note", '{"ticket_id": 1000000000000000000000}', '["ticket:1000000000000000000000"]'),
        ):
            conn.execute(
                "INSERT INTO halo_mcp_audit (at, collection, tool, arguments, affected, outcome, message) "
                "VALUES (1, 'desk', %s, %s, %s, 'ok', %s)",
                (tool, arguments, affected, tool),
            )
    audit = PostgresAudit(database_url)
    try:
        assert [[e.tool for e in audit.entries(ticket=n)] for n in (12, 13, 14, 15, 16, 5)] == [
            ["add_note"], ["update_ticket"], [], ["create_article"], [], []
        ]  # fmt: skip
        with psycopg.connect(database_url) as conn:
            found = conn.execute("SELECT tool, tickets FROM halo_mcp_audit ORDER BY id").fetchall()
            assert found == [("add_note", [12]), ("update_ticket", [13]), ("create_article", [15]), ("add_note", []),
                             ("add_note", [])]  # fmt: skip
            # four rows: a scan costs less than any index; without scans, the planner shows which index serves a term
            conn.execute("SET enable_seqscan = off")
            conn.execute("SET enable_indexscan = off")
            plans = {
                index: str(
                    conn.execute(
                        f"EXPLAIN SELECT id FROM halo_mcp_audit WHERE {term} ORDER BY id DESC LIMIT 200"
                    ).fetchall()
                )
                for index, term in (
                    ("halo_mcp_audit_tickets", "tickets @> ARRAY[12]::BIGINT[]"),
                    ("halo_mcp_audit_collection", "collection = 'desk'"),
                    ("halo_mcp_audit_at", "at >= 0 AND at < 2"),
                )
            }
        assert all(index in plan for index, plan in plans.items()), plans
    finally:
        audit.close()


def migrate_to(conn: psycopg.Connection[Any], version: int) -> None:
    """The schema as an earlier release left it."""
    conn.execute("CREATE TABLE halo_mcp_schema (version INTEGER NOT NULL)")
    conn.execute("INSERT INTO halo_mcp_schema VALUES (%s)", (version,))
    for step in MIGRATIONS[:version]:
        for statement in filter(str.strip, step.split(";")):
            conn.execute(statement)  # type: ignore[call-overload]

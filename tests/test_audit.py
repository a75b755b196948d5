"""The write audit: where it lives, what it keeps, what it masks."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from halo_mcp.audit import AuditLog, audit_path, redact


def test_default_audit_lives_in_the_state_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert audit_path("") == str(tmp_path / "halo-mcp" / "audit.db")
    assert audit_path(":memory:") == ":memory:"
    log = AuditLog(audit_path(""))
    log.record(collection="c", tool="add_note", arguments={"ticket_id": 1}, affected=["ticket:1"], outcome="ok",
               message="note added")  # fmt: skip
    log.close()
    again = AuditLog(audit_path(""))
    assert [(e.tool, e.affected) for e in again.entries()] == [("add_note", ["ticket:1"])]
    again.close()


def test_secrets_and_file_contents_are_masked_and_long_text_cut() -> None:
    masked = redact({"client_secret": "x", "nested": [{"password": "p", "note": "n" * 600}], "data_base64": "QUJD"})
    assert masked["client_secret"] == "***" and masked["data_base64"] == "***"
    assert masked["nested"][0]["password"] == "***"
    assert len(masked["nested"][0]["note"]) < 520


def test_retention_prunes_old_sqlite_entries_at_start_and_never_makes_a_file(tmp_path: Path) -> None:
    from halo_mcp.audit import open_audit
    from halo_mcp.config import ServerSettings

    path = tmp_path / "audit.db"
    assert open_audit(ServerSettings(audit_db=str(path), audit_retention_days=30)).prune(time.time()) == 0
    assert not path.exists()  # a server that only reads still makes no audit file
    log = AuditLog(str(path))
    log.record(collection="c", tool="add_note", arguments={}, affected=[], outcome="ok", message="new")
    log.record(collection="c", tool="add_note", arguments={}, affected=[], outcome="ok", message="old")
    log.close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE audit SET at = ? WHERE message = 'old'", (time.time() - 31 * 86_400,))
    kept = open_audit(ServerSettings(audit_db=str(path), audit_retention_days=30))
    assert [e.message for e in kept.entries()] == ["new"]
    kept.close()


@pytest.mark.anyio
async def test_a_serving_process_applies_the_retention_again_while_it_runs(tmp_path: Path) -> None:
    import anyio

    from halo_mcp.audit import keep_pruning

    log = AuditLog(str(tmp_path / "audit.db"))
    log.record(collection="c", tool="add_note", arguments={}, affected=[], outcome="ok", message="new")
    log.record(collection="c", tool="add_note", arguments={}, affected=[], outcome="ok", message="aged")
    with sqlite3.connect(tmp_path / "audit.db") as db:  # it grew old while the server ran
        db.execute("UPDATE audit SET at = ? WHERE message = 'aged'", (time.time() - 31 * 86_400,))
    async with anyio.create_task_group() as tg:
        tg.start_soon(keep_pruning, log, 30, 0.05)
        with anyio.fail_after(5):
            while len(log.entries()) > 1:
                await anyio.sleep(0.02)
        tg.cancel_scope.cancel()
    assert [e.message for e in log.entries()] == ["new"]
    log.close()


def test_entries_filter_by_tool_and_collection_together_and_long_messages_are_cut() -> None:
    log = AuditLog(":memory:")
    for collection, tool in (("desk", "add_note"), ("desk", "create_ticket"), ("field", "add_note")):
        log.record(collection=collection, tool=tool, arguments={}, affected=[], outcome="ok", message="m" * 900)
    assert [(e.collection, e.tool) for e in log.entries(tool="add_note", collection="desk")] == [("desk", "add_note")]
    assert [e.collection for e in log.entries(tool="add_note")] == ["field", "desk"]
    assert len(log.entries(collection="desk")) == 2 and len(log.entries()) == 3
    assert {len(e.message) for e in log.entries()} == {500}
    log.close()

"""An audit trail of every write made through the server: when, which collection, which principal (an API token's
id and label), which tool, arguments with secrets removed, the Halo records affected, and the outcome. SQLite, file
or memory."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SECRET_KEYS = re.compile(r"(?i)(secret|password|token|authorization|api[_-]?key|data_base64|^data$|content_base64)")

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    collection TEXT NOT NULL,
    tool TEXT NOT NULL,
    arguments TEXT NOT NULL,
    affected TEXT NOT NULL,
    outcome TEXT NOT NULL,
    message TEXT NOT NULL,
    principal TEXT NOT NULL DEFAULT ''
)
"""


def state_dir() -> Path:
    """halo-mcp's directory for state that outlives a process (audit, Halo logins)."""
    return Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "halo-mcp"


def audit_path(setting: str) -> str:
    """Where the audit lives: the setting, or by default a file in the user's state directory."""
    return setting or str(state_dir() / "audit.db")


def redact(value: Any) -> Any:
    """Arguments as recorded: secret-looking keys masked, long strings shortened."""
    if isinstance(value, dict):
        return {k: "***" if SECRET_KEYS.search(str(k)) else redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    if isinstance(value, str) and len(value) > 500:
        return value[:500] + f"…[+{len(value) - 500}]"
    return value


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: float
    collection: str
    tool: str
    arguments: dict[str, Any]
    affected: list[str]
    outcome: str
    message: str
    principal: str = ""


class AuditLog:
    def __init__(self, path: str = ":memory:") -> None:
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute(SCHEMA)
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(audit)")}
            if "principal" not in columns:  # an audit file written before collections had principals
                self._db.execute("ALTER TABLE audit ADD COLUMN principal TEXT NOT NULL DEFAULT ''")
            self._db.commit()

    def record(
        self,
        *,
        collection: str,
        tool: str,
        arguments: dict[str, Any],
        affected: list[str],
        outcome: str,
        message: str,
        principal: str = "",
    ) -> None:
        row = (
            time.time(),
            collection,
            principal,
            tool,
            json.dumps(redact(arguments)),
            json.dumps(affected),
            outcome,
            message[:500],
        )
        with self._lock:
            self._db.execute(
                "INSERT INTO audit (at, collection, principal, tool, arguments, affected, outcome, message) "
                "VALUES (?,?,?,?,?,?,?,?)",
                row,
            )
            self._db.commit()

    def entries(self, limit: int = 100, tool: str | None = None, collection: str | None = None) -> list[AuditEntry]:
        sql = "SELECT id, at, collection, tool, arguments, affected, outcome, message, principal FROM audit"
        where, args = [], []
        if tool:
            where.append("tool = ?")
            args.append(tool)
        if collection:
            where.append("collection = ?")
            args.append(collection)
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC LIMIT ?"
        with self._lock:
            rows = self._db.execute(sql, [*args, limit]).fetchall()
        return [AuditEntry(r[0], r[1], r[2], r[3], json.loads(r[4]), json.loads(r[5]), r[6], r[7], r[8]) for r in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()

"""An audit trail of every write made through the server: when, which collection, which principal (an API token's
id and label), which tool, arguments with secrets removed, the Halo records affected, and the outcome. SQLite, file
or memory; PostgreSQL for replicas (state/postgres.py).

Every filter is applied by the database, over the whole audit: collection and tool (indexed with the id, so the
newest match is found without a scan), time (indexed), ticket (each entry's tickets are worked out once, when it is
recorded, and indexed) and person (a case-insensitive part of the principal: a scan, newest first, that stops at
the page's end). Pages are read newest first from an id (`before`), so a page stays the same while new entries
arrive.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Unpack

from halo_mcp.config import ConfigError, state_dir

if TYPE_CHECKING:
    from halo_mcp.config import ServerSettings
    from halo_mcp.state.base import AuditFilters, AuditStore

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
# The filters' indexes, and each entry's tickets (`tickets_in`); `TICKETS_TABLE` is the mark of a file that has them.
TICKETS_TABLE = "audit_tickets"
INDEXES = """
CREATE TABLE IF NOT EXISTS audit_tickets (
    ticket INTEGER NOT NULL,
    entry INTEGER NOT NULL,
    PRIMARY KEY (ticket, entry)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS audit_at ON audit (at);
CREATE INDEX IF NOT EXISTS audit_collection ON audit (collection, id);
CREATE INDEX IF NOT EXISTS audit_tool ON audit (tool, id);
"""


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


MESSAGE_LIMIT_CHARS = 500
AUDIT_COLUMNS = "id, at, collection, tool, arguments, affected, outcome, message, principal"  # AuditEntry's order


def audit_row(
    collection: str,
    principal: str,
    tool: str,
    arguments: dict[str, Any],
    affected: list[str],
    outcome: str,
    message: str,
) -> tuple[Any, ...]:
    """One INSERT's values for every audit store: secrets masked, the message bounded."""
    args, touched = json.dumps(redact(arguments)), json.dumps(affected)
    return (time.time(), collection, principal, tool, args, touched, outcome, message[:MESSAGE_LIMIT_CHARS])


TICKET_RECORDS = ("ticket", "action", "attachment")  # `ticket:N`, `action:N/M`, `attachment:N/M`: on ticket N
TICKET_DIGITS = 18  # a ticket id fits a 64-bit integer column in either database


def tickets_in(tool: str, arguments: dict[str, Any], affected: list[str]) -> list[int]:
    """The tickets an entry touched: its `ticket:N`, `action:N/M` and `attachment:N/M` records, and a ticket id in
    its arguments (`ticket_id`, or `id` for a tool on a ticket). Worked out once, when the entry is recorded."""
    found = set()
    for record in affected:
        kind, _, ident = record.partition(":")
        number = ident.split("/", 1)[0]
        if kind in TICKET_RECORDS and number.isascii() and number.isdigit() and len(number) <= TICKET_DIGITS:
            found.add(int(number))
    for key in ("ticket_id", "id") if tool.endswith("ticket") or "ticket_id" in arguments else ():
        value = arguments.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**TICKET_DIGITS:
            found.add(value)
    return sorted(found)


@dataclass(frozen=True)
class AuditSql:
    """How one database spells the filters: its placeholder, a case-insensitive LIKE, and "entry is on ticket"."""

    placeholder: str
    like: str
    on_ticket: str


def audit_filter(sql: AuditSql, filters: AuditFilters) -> tuple[str, list[Any]]:
    """The WHERE clause (empty when nothing filters) and its values; `since` is inclusive, `until` and `before` (an
    entry id: the page after the one that ended there) exclusive."""
    p = sql.placeholder
    person = filters.get("person")
    wanted: list[tuple[str, Any]] = [
        (f"collection = {p}", filters.get("collection") or None),
        (f"tool = {p}", filters.get("tool") or None),
        (f"principal {sql.like} {p} ESCAPE '\\'", f"%{_like_escaped(person)}%" if person else None),
        (sql.on_ticket, filters.get("ticket")),
        (f"at >= {p}", filters.get("since")),
        (f"at < {p}", filters.get("until")),
        (f"id < {p}", filters.get("before")),
    ]
    terms = [(term, value) for term, value in wanted if value is not None]
    where = " WHERE " + " AND ".join(term for term, _ in terms) if terms else ""
    return where, [value for _, value in terms]


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def parse_when(value: str, name: str) -> float:
    """Epoch seconds from ISO 8601: a date, or a date-time (UTC unless it names a zone); `name` is the setting."""
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"{name}: {value!r} is not a date (2026-11-29) or a date-time (2026-11-29T10:00)") from None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


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


SQLITE = AuditSql("?", "LIKE", "id IN (SELECT entry FROM audit_tickets WHERE ticket = ?)")  # LIKE: ASCII case


def _index_tickets(db: sqlite3.Connection) -> None:
    """Work out the tickets of every entry already in the file, once."""
    rows = db.execute("SELECT id, tool, arguments, affected FROM audit").fetchall()
    found = [(t, entry) for entry, tool, args, affected in rows
             for t in tickets_in(tool, json.loads(args), json.loads(affected))]  # fmt: skip
    db.executemany("INSERT OR IGNORE INTO audit_tickets (ticket, entry) VALUES (?, ?)", found)
    db.commit()


class AuditLog:
    """Created by the first write: a server that only reads never makes the file. An existing file is opened at
    once, so one that is not an audit database stops the start instead of a write. Only the default location's
    directory is created; a custom path must name an existing directory (checked with the setting)."""

    def __init__(self, path: str = ":memory:") -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        if path != ":memory:" and Path(path).exists():
            with self._lock:
                self._open()

    def _open(self) -> sqlite3.Connection:
        """The connection, made on first use; call with the lock held."""
        if self._db is None:
            if self.path == audit_path(""):
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            try:
                db = sqlite3.connect(self.path, check_same_thread=False)
                db.execute(SCHEMA)
                columns = {row[1] for row in db.execute("PRAGMA table_info(audit)")}
                if "principal" not in columns:  # an audit file written before collections had principals
                    db.execute("ALTER TABLE audit ADD COLUMN principal TEXT NOT NULL DEFAULT ''")
                db.commit()
                tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
                db.executescript(INDEXES)
                if TICKETS_TABLE not in tables:  # a file written before the filters were indexed
                    _index_tickets(db)
            except sqlite3.Error as exc:
                raise ConfigError(
                    f"the audit at {self.path} cannot be used ({exc}): set HALO_MCP_AUDIT_DB to another file"
                ) from None
            self._db = db
        return self._db

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
        row = audit_row(collection, principal, tool, arguments, affected, outcome, message)
        tickets = tickets_in(tool, arguments, affected)
        with self._lock:
            db = self._open()
            entry = db.execute(
                "INSERT INTO audit (at, collection, principal, tool, arguments, affected, outcome, message) "
                "VALUES (?,?,?,?,?,?,?,?)",
                row,
            ).lastrowid
            db.executemany("INSERT INTO audit_tickets (ticket, entry) VALUES (?, ?)", [(t, entry) for t in tickets])
            db.commit()

    def entries(self, limit: int = 100, **filters: Unpack[AuditFilters]) -> list[AuditEntry]:
        where, args = audit_filter(SQLITE, filters)
        sql = f"SELECT {AUDIT_COLUMNS} FROM audit{where} ORDER BY id DESC LIMIT ?"
        with self._lock:
            rows = self._open().execute(sql, [*args, limit]).fetchall()
        return [AuditEntry(r[0], r[1], r[2], r[3], json.loads(r[4]), json.loads(r[5]), r[6], r[7], r[8]) for r in rows]

    def export(self, after_id: int, limit: int) -> list[AuditEntry]:
        """Oldest first from `after_id`, a page at a time (`halo-mcp state migrate` copies a large audit so)."""
        sql = f"SELECT {AUDIT_COLUMNS} FROM audit WHERE id > ? ORDER BY id LIMIT ?"
        with self._lock:
            rows = self._open().execute(sql, (after_id, limit)).fetchall()
        return [AuditEntry(r[0], r[1], r[2], r[3], json.loads(r[4]), json.loads(r[5]), r[6], r[7], r[8]) for r in rows]

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def prune(self, older_than: float) -> int:
        """Delete entries recorded before `older_than` (epoch seconds); an audit never written stays unmade."""
        if (self.path == ":memory:" and self._db is None) or (self.path != ":memory:" and not Path(self.path).exists()):
            return 0
        with self._lock:
            db = self._open()
            db.execute("DELETE FROM audit_tickets WHERE entry IN (SELECT id FROM audit WHERE at < ?)", (older_than,))
            deleted = db.execute("DELETE FROM audit WHERE at < ?", (older_than,)).rowcount
            db.commit()
        return deleted


AUDIT_PRUNE_SECONDS = 86_400.0  # a serving process applies the retention again this often


async def keep_pruning(audit: AuditStore, retention_days: float, every: float = AUDIT_PRUNE_SECONDS) -> None:
    """Apply the retention daily while serving (a replica may run for months); run in the server's task group."""
    import anyio

    while True:
        await anyio.sleep(every)
        older_than = time.time() - retention_days * 86_400
        await anyio.to_thread.run_sync(audit.prune, older_than)


def open_audit(settings: ServerSettings) -> AuditStore:
    """The audit the settings name: PostgreSQL (HALO_MCP_DATABASE_URL) for replicas, else SQLite; entries older than
    HALO_MCP_AUDIT_RETENTION_DAYS are deleted here, at start."""
    store: AuditStore
    if settings.database_url:
        from halo_mcp.state.postgres import PostgresAudit

        store = PostgresAudit(settings.database_url.get_secret_value())
    else:
        store = AuditLog(audit_path(settings.audit_db))
    if settings.audit_retention_days:
        store.prune(time.time() - settings.audit_retention_days * 86_400)
    return store

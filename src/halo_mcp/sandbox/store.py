"""SQLite storage: one table per resource holding the record as JSON, with expression indexes for filters.

Every table has the same shape `(rid, id, parent, data)`: `id` is the resource key (for Priority the
`priorityid`), `parent` is the ticket id for Actions. All access happens on the server's event-loop thread.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from halo_mcp.sandbox.resources import RESOURCES, TABLES

Record = dict[str, Any]

# Tables small enough to keep fully decoded in memory for joins and lookups.
SMALL_TABLES = frozenset(
    {"Client", "Site", "Agent", "Team", "Status", "Priority", "TicketType", "Category", "SLA", "Outcome", "AssetType"}
    | {"Supplier", "Runbook", "ServiceCategory", "AssetStatus"}
)
# Tables without an API resource: runbooks (/Automation) and asset status names (for `status_name`).
EXTRA_TABLES = ("Runbook", "AssetStatus")

# Fields materialised as indexed real columns `c_<field>` per table (from the resources' `indexes`).
COLUMNS: dict[str, tuple[str, ...]] = {}
for _res in RESOURCES.values():
    _cols = COLUMNS.setdefault(_res.store_table, ())
    COLUMNS[_res.store_table] = tuple(dict.fromkeys((*_cols, *_res.indexes)))


def col(table: str, field: str, alias: str = "") -> str:
    """SQL expression for a record field: its materialised column when there is one, else json_extract."""
    prefix = f"{alias}." if alias else ""
    if field in COLUMNS.get(table, ()):
        return f"{prefix}c_{field}"
    return f"json_extract({prefix}data, '$.{field}')"


def _colvalue(v: Any) -> Any:
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, dict | list):
        return None
    return v


def now_iso() -> str:
    """UTC ISO timestamp with a Z suffix (the seed's format, so stored dates compare consistently)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_dt(value: Any) -> datetime | None:
    """Parse an ISO timestamp (naive is UTC); Halo's unset dates (1899-12-30, 0001-01-01, 1900-01-01) are None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if dt.year <= 1900:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def fmt_dt(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, default=str)


class Store:
    """The sandbox database."""

    def __init__(self, path: str = ":memory:") -> None:
        self.path = path
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA foreign_keys=OFF")
        if path != ":memory:":
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
        self._all: dict[str, list[Record]] = {}
        self._by_key: dict[str, dict[Any, Record]] = {}
        self._names: dict[tuple[str, str], dict[Any, Any]] = {}
        self.tables: set[str] = set()
        self._create()

    # -- schema -----------------------------------------------------------------------------------------
    def _create(self) -> None:
        cur = self.db.cursor()
        rows = cur.execute("SELECT name FROM sqlite_master WHERE type='table' AND name LIKE 'r\\_%' ESCAPE '\\'")
        existing = [n for (n,) in rows]
        for table in (*TABLES, *EXTRA_TABLES, *(n[2:] for n in existing)):
            self.ensure(table)
        cur.execute("CREATE TABLE IF NOT EXISTS sandbox_meta (k TEXT PRIMARY KEY, v TEXT)")
        cur.execute(
            "CREATE TABLE IF NOT EXISTS sandbox_apps (client_id TEXT PRIMARY KEY, client_secret TEXT, "
            "scopes TEXT, agent_id INTEGER, grants TEXT)"
        )

    def ensure(self, table: str) -> None:
        """Create a resource's table on first use (generic resources get one only when they hold data)."""
        if table in self.tables:
            return
        if not table.isidentifier():
            raise ValueError(f"not a table name: {table!r}")
        cur = self.db.cursor()
        extra = "".join(f", c_{f}" for f in COLUMNS.get(table, ()))
        cur.execute(
            f"CREATE TABLE IF NOT EXISTS r_{table} "
            f"(rid INTEGER PRIMARY KEY, id INTEGER, parent INTEGER, data TEXT NOT NULL{extra})"
        )
        cur.execute(f"CREATE INDEX IF NOT EXISTS ix_{table}_id ON r_{table}(id)")
        cur.execute(f"CREATE INDEX IF NOT EXISTS ix_{table}_parent ON r_{table}(parent, id)")
        for f in COLUMNS.get(table, ()):
            cur.execute(f"CREATE INDEX IF NOT EXISTS ix_{table}_{f} ON r_{table}(c_{f})")
        self.tables.add(table)

    def is_empty(self) -> bool:
        return self.meta_get("seeded") is None

    def meta_get(self, key: str) -> str | None:
        row = self.db.execute("SELECT v FROM sandbox_meta WHERE k=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def meta_set(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO sandbox_meta(k, v) VALUES(?, ?)", (key, value))

    def clear(self) -> None:
        for table in self.tables:
            self.db.execute(f"DELETE FROM r_{table}")
        self.db.execute("DELETE FROM sandbox_meta")
        self._invalidate(None)

    def load(self, data: dict[str, list[Record]]) -> None:
        """Bulk-load seed records in one transaction."""
        for table in data:
            self.ensure(table)
        self.db.execute("BEGIN")
        try:
            for table, rows in data.items():
                key = RESOURCES[table].key if table in RESOURCES else "id"
                cols = COLUMNS.get(table, ())
                names = "".join(f", c_{f}" for f in cols)
                marks = ", ?" * len(cols)
                self.db.executemany(
                    f"INSERT INTO r_{table}(id, parent, data{names}) VALUES(?, ?, ?{marks})",
                    (
                        (
                            r.get(key),
                            r.get("ticket_id") if table == "Actions" else None,
                            dumps(r),
                            *(_colvalue(r.get(f)) for f in cols),
                        )
                        for r in rows
                    ),
                )
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self._invalidate(None)

    # -- caches -----------------------------------------------------------------------------------------
    def _invalidate(self, table: str | None) -> None:
        if table is None:
            self._all.clear()
            self._by_key.clear()
            self._names.clear()
            return
        self._all.pop(table, None)
        self._by_key.pop(table, None)
        for k in [k for k in self._names if k[0] == table]:
            del self._names[k]

    def all(self, table: str) -> list[Record]:
        """Every record of a (small) table, decoded and cached until the table changes."""
        rows = self._all.get(table)
        if rows is None:
            rows = [json.loads(d) for (d,) in self.db.execute(f"SELECT data FROM r_{table} ORDER BY rid")]
            self._all[table] = rows
        return rows

    def lookup(self, table: str, key: Any) -> Record | None:
        """A small-table record by key (cached)."""
        index = self._by_key.get(table)
        if index is None:
            kf = RESOURCES[table].key if table in RESOURCES else "id"
            index = {}
            for r in self.all(table):
                index.setdefault(r.get(kf), r)
            self._by_key[table] = index
        return index.get(key)

    def name_of(self, table: str, key: Any, name_field: str = "name") -> Any:
        """Derived display value for a join; cached per (table, field)."""
        if key is None:
            return None
        cache = self._names.setdefault((table, name_field), {})
        if key in cache:
            return cache[key]
        if table in SMALL_TABLES:
            rec = self.lookup(table, key)
        else:
            rec = self.get(table, key) if isinstance(key, int) else None
        value = None if rec is None else rec.get(name_field)
        if len(cache) < 200_000:
            cache[key] = value
        return value

    # -- CRUD -------------------------------------------------------------------------------------------
    def get(self, table: str, key: Any, parent: int | None = None) -> Record | None:
        if parent is None:
            row = self.db.execute(f"SELECT data FROM r_{table} WHERE id=? LIMIT 1", (key,)).fetchone()
        else:
            row = self.db.execute(
                f"SELECT data FROM r_{table} WHERE parent=? AND id=? LIMIT 1", (parent, key)
            ).fetchone()
        return None if row is None else json.loads(row[0])

    def next_id(self, table: str, parent: int | None = None) -> int:
        if parent is None:
            row = self.db.execute(f"SELECT MAX(id) FROM r_{table}").fetchone()
        else:
            row = self.db.execute(f"SELECT MAX(id) FROM r_{table} WHERE parent=?", (parent,)).fetchone()
        return int(row[0] or 0) + 1

    def insert(self, table: str, record: Record, parent: int | None = None, key: str = "id") -> Record:
        if record.get(key) in (None, 0):
            record[key] = self.next_id(table, parent)
        cols = COLUMNS.get(table, ())
        names = "".join(f", c_{f}" for f in cols)
        marks = ", ?" * len(cols)
        values = (record[key], parent, dumps(record), *(_colvalue(record.get(f)) for f in cols))
        self.db.execute(f"INSERT INTO r_{table}(id, parent, data{names}) VALUES(?, ?, ?{marks})", values)
        self._invalidate(table)
        return record

    def update(self, table: str, record: Record, parent: int | None = None, key: str = "id") -> None:
        cols = COLUMNS.get(table, ())
        sets = "".join(f", c_{f}=?" for f in cols)
        values = [dumps(record), *(_colvalue(record.get(f)) for f in cols)]
        if parent is None:
            self.db.execute(f"UPDATE r_{table} SET data=?{sets} WHERE id=?", (*values, record[key]))
        else:
            self.db.execute(
                f"UPDATE r_{table} SET data=?{sets} WHERE parent=? AND id=?", (*values, parent, record[key])
            )
        self._invalidate(table)

    def delete(self, table: str, key: Any, parent: int | None = None) -> bool:
        if parent is None:
            cur = self.db.execute(f"DELETE FROM r_{table} WHERE id=?", (key,))
        else:
            cur = self.db.execute(f"DELETE FROM r_{table} WHERE parent=? AND id=?", (parent, key))
        self._invalidate(table)
        return cur.rowcount > 0

    def query(
        self,
        table: str,
        where: Sequence[str] = (),
        params: Sequence[Any] = (),
        order: Iterable[tuple[str, bool]] = (),
        limit: int | None = None,
        offset: int = 0,
        want_total: bool = True,
    ) -> tuple[list[Record], int]:
        """Filtered, ordered page of records plus the total count of matches."""
        clause = (" WHERE " + " AND ".join(f"({w})" for w in where)) if where else ""
        order_sql = ", ".join(f"{expr} {'DESC' if desc else 'ASC'}" for expr, desc in order) or "id ASC"
        # Sort row ids first, then fetch the JSON: keeps large `data` payloads out of SQLite's sorter.
        sql = f"SELECT rid FROM r_{table}{clause} ORDER BY {order_sql}, rid ASC"
        if limit is not None:
            sql += f" LIMIT {int(limit)} OFFSET {int(offset)}"
        rids = [r for (r,) in self.db.execute(sql, list(params))]
        by_rid: dict[int, str] = {}
        for start in range(0, len(rids), 500):
            chunk = rids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            by_rid.update(self.db.execute(f"SELECT rid, data FROM r_{table} WHERE rid IN ({marks})", chunk).fetchall())
        rows = [json.loads(by_rid[r]) for r in rids]
        total = len(rows)
        if want_total and (limit is not None or offset):
            total = int(self.db.execute(f"SELECT COUNT(*) FROM r_{table}{clause}", list(params)).fetchone()[0])
        return rows, total

    def count(self, table: str, where: Sequence[str] = (), params: Sequence[Any] = ()) -> int:
        clause = (" WHERE " + " AND ".join(f"({w})" for w in where)) if where else ""
        return int(self.db.execute(f"SELECT COUNT(*) FROM r_{table}{clause}", list(params)).fetchone()[0])

    # -- API applications -------------------------------------------------------------------------------
    def add_app(self, client_id: str, secret: str, scopes: str, agent_id: int | None, grants: str) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO sandbox_apps VALUES(?, ?, ?, ?, ?)", (client_id, secret, scopes, agent_id, grants)
        )

    def get_app(self, client_id: str) -> tuple[str, str, int | None, str] | None:
        row = self.db.execute(
            "SELECT client_secret, scopes, agent_id, grants FROM sandbox_apps WHERE client_id=?", (client_id,)
        ).fetchone()
        return None if row is None else (row[0], row[1], row[2], row[3])

    def close(self) -> None:
        self.db.close()

"""The audit in PostgreSQL (HALO_MCP_DATABASE_URL), written by every replica and read by `halo-mcp audit`.

The schema is created and migrated at start: `halo_mcp_schema` holds the version, and each replica migrates under
one advisory lock, so replicas starting together apply each step once. Connections come from a small pool; a
write is one INSERT in its own transaction. Collections and API tokens (state/base.py) will join this module.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from halo_mcp.audit import AUDIT_COLUMNS, AuditEntry, audit_filter, audit_row
from halo_mcp.config import ConfigError
from halo_mcp.state.base import StoredKey

MIGRATION_LOCK = 0x4A10_3C9  # pg_advisory_xact_lock key: one migrating replica at a time
CONNECT_TIMEOUT_SECONDS = 5.0
# Step N brings the schema to version N; never edit a released step, append one.
MIGRATIONS = (
    """
    CREATE TABLE halo_mcp_audit (
        id BIGSERIAL PRIMARY KEY,
        at DOUBLE PRECISION NOT NULL,
        collection TEXT NOT NULL,
        tool TEXT NOT NULL,
        arguments JSONB NOT NULL,
        affected JSONB NOT NULL,
        outcome TEXT NOT NULL,
        message TEXT NOT NULL
    );
    CREATE INDEX halo_mcp_audit_at ON halo_mcp_audit (at)
    """,
    "ALTER TABLE halo_mcp_audit ADD COLUMN principal TEXT NOT NULL DEFAULT ''",
)


def migrate(conn: psycopg.Connection[Any]) -> int:
    """Bring the schema to the newest version; returns the version found before."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        conn.execute("CREATE TABLE IF NOT EXISTS halo_mcp_schema (version INTEGER NOT NULL)")
        row = conn.execute("SELECT version FROM halo_mcp_schema").fetchone()
        found = row[0] if row else 0
        if row is None:
            conn.execute("INSERT INTO halo_mcp_schema (version) VALUES (0)")
        for version, step in enumerate(MIGRATIONS[found:], start=found + 1):
            for statement in filter(str.strip, step.split(";")):
                conn.execute(statement)
            conn.execute("UPDATE halo_mcp_schema SET version = %s", (version,))
    return int(found)


class PostgresAudit:
    """The `AuditStore` on PostgreSQL."""

    def __init__(self, url: str, *, max_connections: int = 4) -> None:
        try:  # one plain connection first: a refusal fails at once, where a pool would retry until its timeout
            with psycopg.connect(url, connect_timeout=int(CONNECT_TIMEOUT_SECONDS)) as conn:
                migrate(conn)
        except psycopg.Error as exc:
            raise ConfigError(
                f"HALO_MCP_DATABASE_URL: PostgreSQL cannot be used ({type(exc).__name__}); check that it runs "
                "and that the URL's host, port, user and database are right"
            ) from None
        self.pool = ConnectionPool(
            url, min_size=1, max_size=max_connections, timeout=CONNECT_TIMEOUT_SECONDS, open=True
        )

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
        with self.pool.connection() as conn:
            conn.execute(
                "INSERT INTO halo_mcp_audit (at, collection, principal, tool, arguments, affected, outcome, message) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                row,
            )

    def entries(self, limit: int = 100, tool: str | None = None, collection: str | None = None) -> list[AuditEntry]:
        where, args = audit_filter("%s", tool=tool, collection=collection)
        sql = f"SELECT {AUDIT_COLUMNS} FROM halo_mcp_audit{where} ORDER BY id DESC LIMIT %s"
        with self.pool.connection() as conn:
            rows = conn.execute(sql, [*args, limit]).fetchall()
        return [AuditEntry(*row) for row in rows]

    def prune(self, older_than: float) -> int:
        with self.pool.connection() as conn:
            return conn.execute("DELETE FROM halo_mcp_audit WHERE at < %s", (older_than,)).rowcount

    def close(self) -> None:
        self.pool.close()


class PostgresKeyRings:
    """The `KeyRingStore` on PostgreSQL (state/keyring.py): durable, and backed up with the sealed Halo tokens its
    halo-token ring opens (ring keys are stored wrapped, so a dump alone opens nothing). Its one table is created
    here, under its own advisory lock, apart from `MIGRATIONS`; a first key is added under a per-ring lock, so of
    replicas starting together one key wins."""

    SCHEMA = (
        "CREATE TABLE IF NOT EXISTS halo_mcp_keyring (ring TEXT NOT NULL, kid TEXT NOT NULL, secret BYTEA NOT NULL, "
        "active_from DOUBLE PRECISION NOT NULL, PRIMARY KEY (ring, kid))"
    )
    LOCK = 0x4A10_3CA  # creating the table; each ring's first key locks hashtext(ring) instead

    def __init__(self, url: str) -> None:
        self.pool = ConnectionPool(url, min_size=1, max_size=3, timeout=CONNECT_TIMEOUT_SECONDS, open=True)
        self._ready = False

    def _connection(self) -> Any:
        """A pooled connection, once the table exists."""
        if not self._ready:
            with self.pool.connection() as conn, conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (self.LOCK,))
                conn.execute(self.SCHEMA)
            self._ready = True
        return self.pool.connection()

    def keys(self, ring: str) -> list[StoredKey]:
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT kid, secret, active_from FROM halo_mcp_keyring WHERE ring = %s", (ring,)
            ).fetchall()
        return [StoredKey(kid, bytes(secret), float(active_from)) for kid, secret, active_from in rows]

    def add(self, ring: str, key: StoredKey, *, only_first: bool = False) -> bool:
        with self._connection() as conn, conn.transaction():
            if only_first:
                conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"halo-mcp keyring {ring}",))
                if conn.execute("SELECT 1 FROM halo_mcp_keyring WHERE ring = %s LIMIT 1", (ring,)).fetchone():
                    return False
            added = conn.execute(
                "INSERT INTO halo_mcp_keyring (ring, kid, secret, active_from) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT DO NOTHING",
                (ring, key.kid, key.secret, key.active_from),
            )
            return added.rowcount > 0

    def remove(self, ring: str, kids: list[str]) -> int:
        if not kids:
            return 0
        with self._connection() as conn:
            return conn.execute("DELETE FROM halo_mcp_keyring WHERE ring = %s AND kid = ANY(%s)", (ring, kids)).rowcount

    def close(self) -> None:
        self.pool.close()

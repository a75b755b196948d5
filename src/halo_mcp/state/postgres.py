"""The durable records in PostgreSQL (HALO_MCP_DATABASE_URL), shared by every replica: the audit (written by every
replica, read by `halo-mcp audit`), and the state store (`PostgresState`: store-managed collections, API token
digests, sign-in records: OAuth clients, codes, refresh tokens, revocations, consents and sealed Halo tokens).

The schema is created and migrated at start: `halo_mcp_schema` holds the version, and each replica migrates under
one advisory lock, so replicas starting together apply each step once. The audit keeps its synchronous pool (a
write is one INSERT in its own transaction); the state store is async (psycopg's `AsyncConnectionPool`), so a
token check waits for its network without blocking the event loop. Nothing is cached: a token revoked through one
replica is refused by every other at its next request. Changes to stored collections bump a counter
(`halo_mcp_changes`) that each replica polls (server/collections/host.py), so they are served everywhere within
a second.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any, Unpack

import psycopg
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool, ConnectionPool, PoolTimeout

from halo_mcp.audit import AUDIT_COLUMNS, AuditEntry, AuditSql, audit_filter, audit_row, tickets_in
from halo_mcp.config import ConfigError
from halo_mcp.state.base import ApiToken, StateUnavailable, StoredKey

if TYPE_CHECKING:
    from halo_mcp.audit import AuditLog
    from halo_mcp.state.base import AuditFilters
    from halo_mcp.state.embedded import EmbeddedState

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
    # The state store (PostgresState), and the source of audit rows copied by `halo-mcp state migrate` (so a second
    # run copies none twice).
    """
    CREATE TABLE halo_mcp_api_tokens (
        id TEXT PRIMARY KEY,
        collection TEXT NOT NULL,
        digest BYTEA NOT NULL UNIQUE,
        label TEXT NOT NULL,
        created DOUBLE PRECISION NOT NULL,
        last_used DOUBLE PRECISION,
        expires DOUBLE PRECISION,
        revoked DOUBLE PRECISION
    );
    CREATE INDEX halo_mcp_api_tokens_collection ON halo_mcp_api_tokens (collection);
    CREATE TABLE halo_mcp_collections (name TEXT PRIMARY KEY, definition JSONB NOT NULL);
    CREATE TABLE halo_mcp_signin (
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        value BYTEA NOT NULL,
        expires DOUBLE PRECISION,
        PRIMARY KEY (kind, key)
    );
    CREATE TABLE halo_mcp_changes (topic TEXT PRIMARY KEY, counter BIGINT NOT NULL);
    INSERT INTO halo_mcp_changes (topic, counter) VALUES ('collections', 0);
    ALTER TABLE halo_mcp_audit ADD COLUMN imported TEXT UNIQUE
    """,
    # The audit's filters, done here over the whole audit: each entry's tickets (audit.py `tickets_in`; worked out
    # in SQL for the entries already kept, ids of up to 18 digits), and indexes for the ticket, collection and tool
    # filters.
    """
    ALTER TABLE halo_mcp_audit ADD COLUMN tickets BIGINT[] NOT NULL DEFAULT '{}';
    UPDATE halo_mcp_audit SET tickets = ARRAY(
        SELECT DISTINCT n FROM (
            SELECT substring(r FROM '^(?:ticket|action|attachment):([0-9]{1,18})(?:/|$)')::BIGINT AS n
            FROM jsonb_array_elements_text(affected) AS r
            UNION ALL
            SELECT (arguments ->> k)::BIGINT FROM unnest(ARRAY['ticket_id', 'id']) AS k
            WHERE (tool LIKE '%ticket' OR arguments ? 'ticket_id') AND (arguments ->> k) ~ '^[0-9]{1,18}$'
                AND jsonb_typeof(arguments -> k) = 'number'
        ) AS found WHERE n IS NOT NULL ORDER BY n
    );
    CREATE INDEX halo_mcp_audit_tickets ON halo_mcp_audit USING GIN (tickets);
    CREATE INDEX halo_mcp_audit_collection ON halo_mcp_audit (collection, id);
    CREATE INDEX halo_mcp_audit_tool ON halo_mcp_audit (tool, id)
    """,
)
POSTGRES = AuditSql("%s", "ILIKE", "tickets @> ARRAY[%s]::BIGINT[]")


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


def prepare(url: str) -> None:
    """Reach PostgreSQL and migrate, with one plain connection: a refusal fails at once (a pool would retry until
    its timeout) as one line that names the setting, never the URL (it may hold a password)."""
    try:
        with psycopg.connect(url, connect_timeout=int(CONNECT_TIMEOUT_SECONDS)) as conn:
            migrate(conn)
    except psycopg.Error as exc:
        raise ConfigError(
            f"HALO_MCP_DATABASE_URL: PostgreSQL cannot be used ({type(exc).__name__}); check that it runs "
            "and that the URL's host, port, user and database are right"
        ) from None


class PostgresAudit:
    """The `AuditStore` on PostgreSQL."""

    def __init__(self, url: str, *, max_connections: int = 4) -> None:
        prepare(url)
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
        with self._connection() as conn:
            conn.execute(
                "INSERT INTO halo_mcp_audit (at, collection, principal, tool, arguments, affected, outcome, message, "
                "tickets) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (*row, tickets_in(tool, arguments, affected)),
            )

    def entries(self, limit: int = 100, **filters: Unpack[AuditFilters]) -> list[AuditEntry]:
        where, args = audit_filter(POSTGRES, filters)
        sql = f"SELECT {AUDIT_COLUMNS} FROM halo_mcp_audit{where} ORDER BY id DESC LIMIT %s"
        with self._connection() as conn:
            rows = conn.execute(sql, [*args, limit]).fetchall()
        return [AuditEntry(*row) for row in rows]

    def prune(self, older_than: float) -> int:
        with self._connection() as conn:
            return conn.execute("DELETE FROM halo_mcp_audit WHERE at < %s", (older_than,)).rowcount

    @contextlib.contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        """A pooled connection; PostgreSQL away is `StateUnavailable` (an SQL error stays itself)."""
        try:
            with self.pool.connection() as conn:
                yield conn
        except (psycopg.OperationalError, PoolTimeout) as exc:
            raise StateUnavailable(type(exc).__name__) from None

    def close(self) -> None:
        self.pool.close()


# -- the state store -------------------------------------------------------------------------------------------

TOKEN_COLUMNS = "id, collection, label, created, last_used, expires, revoked"  # ApiToken's order
COLLECTIONS_TOPIC = "collections"
AUDIT_PAGE_ROWS = 5_000  # `halo-mcp state migrate` reads and writes the audit this many rows at a time


class PostgresState:
    """The `State` on PostgreSQL. The pool belongs to the event loop that first uses it (a CLI command may run
    several loops, one after another); `release` closes it."""

    def __init__(self, url: str, *, max_connections: int = 4) -> None:
        prepare(url)
        self._url = url
        self._max = max_connections
        self._pool: AsyncConnectionPool | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.tokens = PostgresTokens(self)
        self.collections = PostgresCollections(self)
        self.signin = PostgresSignIn(self)

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        loop = asyncio.get_running_loop()
        if self._pool is None or self._loop is not loop:
            # assigned before the first await, so concurrent first callers share one pool
            self._pool, self._loop = self._new_pool(), loop
            await self._pool.open()
        try:
            async with self._pool.connection() as conn:
                yield conn
        except (psycopg.OperationalError, PoolTimeout) as exc:  # PostgreSQL away; an SQL error stays itself
            raise StateUnavailable(type(exc).__name__) from None

    async def rows(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """One statement in its own transaction (the pool's connections autocommit): the rows it returned."""
        async with self.connection() as conn:
            return await (await conn.execute(sql, args)).fetchall()

    async def count(self, sql: str, args: tuple[Any, ...] = ()) -> int:
        """One statement in its own transaction: how many rows it changed."""
        async with self.connection() as conn:
            return (await conn.execute(sql, args)).rowcount

    def _new_pool(self) -> AsyncConnectionPool:
        return AsyncConnectionPool(
            self._url,
            min_size=1,
            max_size=self._max,
            timeout=CONNECT_TIMEOUT_SECONDS,
            kwargs={"autocommit": True},
            open=False,
        )

    async def release(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    def close(self) -> None:
        """The pool was closed by `release`, inside its loop."""
        self._pool = None

    async def copy_from(
        self, source: EmbeddedState, audit: AuditLog | None, now: float, *, audit_page: int = AUDIT_PAGE_ROWS
    ) -> dict[str, int]:
        """`halo-mcp state migrate`: what the embedded store holds and this one lacks, copied once; returns how many
        rows each table gained (a second run gains none). Tokens travel as digests, sign-in records sealed as
        stored, audit rows with their time; expired sign-in records stay behind."""
        tokens = [(*_token_row(token), bytes(digest)) for token, digest in source.tokens.export()]
        collections = [(name, Jsonb(definition)) for name, definition in source.collections.export()]
        signin = source.signin.export(now)
        counts: dict[str, int] = {}
        async with self.connection() as conn, conn.transaction(), conn.cursor() as cur:
            for table, sql, values in (
                (
                    "collections",
                    "INSERT INTO halo_mcp_collections (name, definition) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                    collections,
                ),
                (
                    "api_tokens",
                    f"INSERT INTO halo_mcp_api_tokens ({TOKEN_COLUMNS}, digest) VALUES (%s, %s, %s, %s, %s, %s, %s, "
                    "%s) ON CONFLICT DO NOTHING",
                    tokens,
                ),
                (
                    "signin",
                    "INSERT INTO halo_mcp_signin (kind, key, value, expires) VALUES (%s, %s, %s, %s) "
                    "ON CONFLICT DO NOTHING",
                    signin,
                ),
            ):
                counts[table] = 0
                if values:
                    await cur.executemany(sql, values)
                    counts[table] = max(0, cur.rowcount)
            if counts["collections"]:
                await _bump(cur, COLLECTIONS_TOPIC)
            counts["audit"] = await _copy_audit(cur, audit, audit_page) if audit is not None else 0
        return counts


async def _copy_audit(cur: psycopg.AsyncCursor[Any], audit: AuditLog, page_rows: int) -> int:
    """The SQLite audit, oldest first and a page at a time; each row remembers its source (`imported`), so a row
    copied before is skipped."""
    copied, last = 0, 0
    sql = (
        "INSERT INTO halo_mcp_audit (at, collection, principal, tool, arguments, affected, outcome, message, imported, "
        "tickets) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"
    )
    while page := audit.export(last, page_rows):
        rows = [
            (e.at, e.collection, e.principal, e.tool, Jsonb(e.arguments), Jsonb(e.affected), e.outcome, e.message,
             f"sqlite:{e.id}:{e.at!r}", tickets_in(e.tool, e.arguments, e.affected))
            for e in page
        ]  # fmt: skip
        await cur.executemany(sql, rows)
        copied += max(0, cur.rowcount)
        last = page[-1].id
    return copied


def _token_row(token: ApiToken) -> tuple[Any, ...]:
    return (token.id, token.collection, token.label, token.created, token.last_used, token.expires, token.revoked)


async def _bump(cur: psycopg.AsyncCursor[Any], topic: str) -> None:
    await cur.execute("UPDATE halo_mcp_changes SET counter = counter + 1 WHERE topic = %s", (topic,))


class PostgresTokens:
    def __init__(self, state: PostgresState) -> None:
        self._rows = state.rows
        self._count = state.count

    async def add(self, token: ApiToken, digest: bytes) -> None:
        await self._count(
            f"INSERT INTO halo_mcp_api_tokens ({TOKEN_COLUMNS}, digest) VALUES (%s, %s, %s, %s, %s, %s, NULL, %s)",
            (*_token_row(token)[:-1], digest),
        )

    async def find(self, digest: bytes, now: float) -> ApiToken | None:
        rows = await self._rows(
            f"SELECT {TOKEN_COLUMNS} FROM halo_mcp_api_tokens "
            "WHERE digest = %s AND revoked IS NULL AND (expires IS NULL OR expires > %s)",
            (digest, now),
        )
        return ApiToken(*rows[0]) if rows else None

    async def touch(self, token_id: str, when: float) -> None:
        await self._count("UPDATE halo_mcp_api_tokens SET last_used = %s WHERE id = %s", (when, token_id))

    async def list(self, collection: str | None = None) -> list[ApiToken]:
        where, args = (" WHERE collection = %s", (collection,)) if collection is not None else ("", ())
        rows = await self._rows(f"SELECT {TOKEN_COLUMNS} FROM halo_mcp_api_tokens{where} ORDER BY created, id", args)
        return [ApiToken(*row) for row in rows]

    async def get(self, token_id: str) -> ApiToken | None:
        rows = await self._rows(f"SELECT {TOKEN_COLUMNS} FROM halo_mcp_api_tokens WHERE id = %s", (token_id,))
        return ApiToken(*rows[0]) if rows else None

    async def revoke(self, token_id: str, when: float) -> bool:
        sql = "UPDATE halo_mcp_api_tokens SET revoked = %s WHERE id = %s AND revoked IS NULL"
        return await self._count(sql, (when, token_id)) > 0

    async def revoke_collection(self, collection: str, when: float) -> int:
        sql = "UPDATE halo_mcp_api_tokens SET revoked = %s WHERE collection = %s AND revoked IS NULL"
        return await self._count(sql, (when, collection))

    async def prune(self, now: float) -> int:
        sql = "DELETE FROM halo_mcp_api_tokens WHERE revoked IS NOT NULL OR expires <= %s"
        return await self._count(sql, (now,))


class PostgresCollections:
    """Stored collections; each change bumps the counter the replicas poll (`version`)."""

    def __init__(self, state: PostgresState) -> None:
        self._state = state

    async def list(self) -> list[dict[str, Any]]:
        rows = await self._state.rows('SELECT definition FROM halo_mcp_collections ORDER BY name COLLATE "C"')
        return [row[0] for row in rows]

    async def get(self, name: str) -> dict[str, Any] | None:
        rows = await self._state.rows("SELECT definition FROM halo_mcp_collections WHERE name = %s", (name,))
        return rows[0][0] if rows else None

    async def put(self, name: str, definition: dict[str, Any]) -> None:
        async with self._state.connection() as conn, conn.transaction(), conn.cursor() as cur:
            await cur.execute(
                "INSERT INTO halo_mcp_collections (name, definition) VALUES (%s, %s) "
                "ON CONFLICT (name) DO UPDATE SET definition = EXCLUDED.definition",
                (name, Jsonb(definition)),
            )
            await _bump(cur, COLLECTIONS_TOPIC)

    async def delete(self, name: str) -> bool:
        async with self._state.connection() as conn, conn.transaction(), conn.cursor() as cur:
            await cur.execute("DELETE FROM halo_mcp_collections WHERE name = %s", (name,))
            deleted = cur.rowcount > 0
            if deleted:
                await _bump(cur, COLLECTIONS_TOPIC)
        return deleted

    async def version(self) -> int:
        rows = await self._state.rows("SELECT counter FROM halo_mcp_changes WHERE topic = %s", (COLLECTIONS_TOPIC,))
        return int(rows[0][0]) if rows else 0


class PostgresSignIn:
    def __init__(self, state: PostgresState) -> None:
        self._rows = state.rows
        self._count = state.count

    async def _one(self, sql: str, args: tuple[Any, ...]) -> bytes | None:
        rows = await self._rows(sql, args)
        return bytes(rows[0][0]) if rows else None

    async def put(self, kind: str, key: str, value: bytes, expires: float | None) -> None:
        await self._count(
            "INSERT INTO halo_mcp_signin (kind, key, value, expires) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (kind, key) DO UPDATE SET value = EXCLUDED.value, expires = EXCLUDED.expires",
            (kind, key, value, expires),
        )

    async def get(self, kind: str, key: str, now: float) -> bytes | None:
        return await self._one(
            "SELECT value FROM halo_mcp_signin WHERE kind = %s AND key = %s AND (expires IS NULL OR expires > %s)",
            (kind, key, now),
        )

    async def take(self, kind: str, key: str, now: float) -> bytes | None:
        return await self._one(
            "DELETE FROM halo_mcp_signin WHERE kind = %s AND key = %s AND (expires IS NULL OR expires > %s) "
            "RETURNING value",
            (kind, key, now),
        )

    async def claim(self, kind: str, key: str, value: bytes, expires: float, now: float) -> bool:
        claimed = await self._count(
            "INSERT INTO halo_mcp_signin (kind, key, value, expires) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (kind, key) DO UPDATE SET value = EXCLUDED.value, expires = EXCLUDED.expires "
            "WHERE halo_mcp_signin.expires <= %s",
            (kind, key, value, expires, now),
        )
        return claimed > 0

    async def delete(self, kind: str, key: str) -> bool:
        return await self._count("DELETE FROM halo_mcp_signin WHERE kind = %s AND key = %s", (kind, key)) > 0

    async def prune(self, now: float) -> int:
        return await self._count("DELETE FROM halo_mcp_signin WHERE expires <= %s", (now,))


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

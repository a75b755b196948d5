"""The embedded state store: one SQLite file (WAL), shared by the server and the CLI on one machine.

A token check is one indexed lookup by digest (about 10 µs, so it runs on the event loop rather than in a thread);
a revocation written by the CLI is seen by the server's next request.
"""

from __future__ import annotations

import builtins
import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

from halo_mcp.state.base import ApiToken

SCHEMA = """
CREATE TABLE IF NOT EXISTS api_tokens (
    id TEXT PRIMARY KEY,
    collection TEXT NOT NULL,
    digest BLOB NOT NULL UNIQUE,
    label TEXT NOT NULL,
    created REAL NOT NULL,
    last_used REAL,
    expires REAL,
    revoked REAL
);
CREATE INDEX IF NOT EXISTS api_tokens_collection ON api_tokens (collection);
CREATE TABLE IF NOT EXISTS signin (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    value BLOB NOT NULL,
    expires REAL,
    PRIMARY KEY (kind, key)
);
CREATE TABLE IF NOT EXISTS collections (
    name TEXT PRIMARY KEY,
    definition TEXT NOT NULL
);
"""
COLUMNS = "id, collection, label, created, last_used, expires, revoked"


class _Db:
    def __init__(self, path: str) -> None:
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.lock = threading.Lock()
        with self.lock:
            if path != ":memory:":
                self.conn.execute("PRAGMA journal_mode=WAL")
                self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute("PRAGMA busy_timeout=5000")
            self.conn.executescript(SCHEMA)

    def run(self, sql: str, args: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        with self.lock:
            return self.conn.execute(sql, args)


def _token(row: tuple[Any, ...]) -> ApiToken:
    return ApiToken(*row)


class EmbeddedTokens:
    def __init__(self, db: _Db) -> None:
        self._db = db

    async def add(self, token: ApiToken, digest: bytes) -> None:
        self._db.run(
            f"INSERT INTO api_tokens ({COLUMNS}, digest) VALUES (?,?,?,?,?,?,?,?)",
            (token.id, token.collection, token.label, token.created, token.last_used, token.expires, None, digest),
        )

    async def find(self, digest: bytes, now: float) -> ApiToken | None:
        row = self._db.run(
            f"SELECT {COLUMNS} FROM api_tokens "
            "WHERE digest = ? AND revoked IS NULL AND (expires IS NULL OR expires > ?)",
            (digest, now),
        ).fetchone()
        return _token(row) if row else None

    async def touch(self, token_id: str, when: float) -> None:
        self._db.run("UPDATE api_tokens SET last_used = ? WHERE id = ?", (when, token_id))

    async def list(self, collection: str | None = None) -> list[ApiToken]:
        if collection is None:
            rows = self._db.run(f"SELECT {COLUMNS} FROM api_tokens ORDER BY created").fetchall()
        else:
            rows = self._db.run(
                f"SELECT {COLUMNS} FROM api_tokens WHERE collection = ? ORDER BY created", (collection,)
            ).fetchall()
        return [_token(r) for r in rows]

    async def get(self, token_id: str) -> ApiToken | None:
        row = self._db.run(f"SELECT {COLUMNS} FROM api_tokens WHERE id = ?", (token_id,)).fetchone()
        return _token(row) if row else None

    async def revoke(self, token_id: str, when: float) -> bool:
        cur = self._db.run("UPDATE api_tokens SET revoked = ? WHERE id = ? AND revoked IS NULL", (when, token_id))
        return cur.rowcount > 0

    async def revoke_collection(self, collection: str, when: float) -> int:
        cur = self._db.run(
            "UPDATE api_tokens SET revoked = ? WHERE collection = ? AND revoked IS NULL", (when, collection)
        )
        return cur.rowcount

    async def prune(self, now: float) -> int:
        cur = self._db.run("DELETE FROM api_tokens WHERE revoked IS NOT NULL OR expires <= ?", (now,))
        return cur.rowcount

    def export(self) -> builtins.list[tuple[ApiToken, bytes]]:
        """Every token with its digest, for `halo-mcp state migrate`."""
        rows = self._db.run(f"SELECT {COLUMNS}, digest FROM api_tokens ORDER BY created").fetchall()
        return [(_token(row[:-1]), bytes(row[-1])) for row in rows]


class EmbeddedCollections:
    def __init__(self, db: _Db) -> None:
        self._db = db

    async def list(self) -> list[dict[str, Any]]:
        rows = self._db.run("SELECT definition FROM collections ORDER BY name").fetchall()
        return [json.loads(r[0]) for r in rows]

    async def get(self, name: str) -> dict[str, Any] | None:
        row = self._db.run("SELECT definition FROM collections WHERE name = ?", (name,)).fetchone()
        return json.loads(row[0]) if row else None

    async def put(self, name: str, definition: dict[str, Any]) -> None:
        self._db.run(
            "INSERT INTO collections (name, definition) VALUES (?, ?) "
            "ON CONFLICT(name) DO UPDATE SET definition = excluded.definition",
            (name, json.dumps(definition)),
        )

    async def delete(self, name: str) -> bool:
        return self._db.run("DELETE FROM collections WHERE name = ?", (name,)).rowcount > 0

    def export(self) -> builtins.list[tuple[str, dict[str, Any]]]:
        """Every stored collection by name, for `halo-mcp state migrate`."""
        rows = self._db.run("SELECT name, definition FROM collections ORDER BY name").fetchall()
        return [(name, json.loads(definition)) for name, definition in rows]


class EmbeddedSignIn:
    def __init__(self, db: _Db) -> None:
        self._db = db

    async def put(self, kind: str, key: str, value: bytes, expires: float | None) -> None:
        self._db.run(
            "INSERT INTO signin (kind, key, value, expires) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(kind, key) DO UPDATE SET value = excluded.value, expires = excluded.expires",
            (kind, key, value, expires),
        )

    async def get(self, kind: str, key: str, now: float) -> bytes | None:
        row = self._db.run(
            "SELECT value FROM signin WHERE kind = ? AND key = ? AND (expires IS NULL OR expires > ?)",
            (kind, key, now),
        ).fetchone()
        return bytes(row[0]) if row else None

    async def take(self, kind: str, key: str, now: float) -> bytes | None:
        row = self._db.run(
            "DELETE FROM signin WHERE kind = ? AND key = ? AND (expires IS NULL OR expires > ?) RETURNING value",
            (kind, key, now),
        ).fetchone()
        return bytes(row[0]) if row else None

    async def claim(self, kind: str, key: str, value: bytes, expires: float, now: float) -> bool:
        cur = self._db.run(
            "INSERT INTO signin (kind, key, value, expires) VALUES (?, ?, ?, ?) ON CONFLICT(kind, key) DO UPDATE "
            "SET value = excluded.value, expires = excluded.expires WHERE signin.expires <= ?",
            (kind, key, value, expires, now),
        )
        return cur.rowcount > 0

    async def delete(self, kind: str, key: str) -> bool:
        return self._db.run("DELETE FROM signin WHERE kind = ? AND key = ?", (kind, key)).rowcount > 0

    async def prune(self, now: float) -> int:
        return self._db.run("DELETE FROM signin WHERE expires <= ?", (now,)).rowcount

    def export(self, now: float) -> list[tuple[str, str, bytes, float | None]]:
        """Every unexpired record (kind, key, value, expires), for `halo-mcp state migrate`."""
        rows = self._db.run(
            "SELECT kind, key, value, expires FROM signin WHERE expires IS NULL OR expires > ? ORDER BY kind, key",
            (now,),
        ).fetchall()
        return [(kind, key, bytes(value), expires) for kind, key, value, expires in rows]


class EmbeddedState:
    """SQLite at `path` (":memory:" for tests)."""

    def __init__(self, path: str = ":memory:") -> None:
        self._db = _Db(path)
        self.tokens = EmbeddedTokens(self._db)
        self.collections = EmbeddedCollections(self._db)
        self.signin = EmbeddedSignIn(self._db)

    def close(self) -> None:
        with self._db.lock:
            self._db.conn.close()

    async def release(self) -> None:
        """Nothing is bound to an event loop here."""

"""`halo-mcp state migrate`: move from the embedded store to the shared one (PostgreSQL).

Copies what the embedded SQLite files hold and PostgreSQL lacks: store-managed collections, API tokens (their
digests: secrets were never stored), sign-in records (OAuth clients, grants, refresh tokens, revocations, consents,
sealed Halo tokens; expired ones stay behind) and the audit. Idempotent: a second run copies nothing twice, and a
collection or token already in PostgreSQL is kept as it is there. The SQLite files are read, never changed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from halo_mcp.cli import PROG
from halo_mcp.config import ConfigError

LABELS = {
    "collections": "collections",
    "api_tokens": "API tokens",
    "signin": "sign-in records",
    "audit": "audit entries",
}


def add_parser(sub: Any) -> None:
    p = sub.add_parser("state", help="the state store: copy the embedded one to PostgreSQL (migrate)")
    verbs = p.add_subparsers(dest="verb", metavar="VERB", required=True)
    v = verbs.add_parser(
        "migrate", help="copy collections, tokens, sign-in records and the audit from SQLite to PostgreSQL"
    )
    v.add_argument("--config", help="halo-mcp.toml, for its [server] database_url (default: HALO_MCP_CONFIG)")
    v.add_argument("--json", action="store_true", help="print the counts as JSON")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import asyncio
    import time

    from halo_mcp.audit import AuditLog, audit_path
    from halo_mcp.config import config_path, load_file, load_server_settings, state_dir, with_file_engines
    from halo_mcp.state.embedded import EmbeddedState
    from halo_mcp.state.postgres import PostgresState

    settings = load_server_settings()
    path = config_path(settings, args.config)
    if path is not None:
        settings = with_file_engines(settings, load_file(path))
    if settings.database_url is None:
        raise ConfigError(
            "HALO_MCP_DATABASE_URL is not set: name the PostgreSQL to copy into (or [server] database_url in "
            "halo-mcp.toml with --config)"
        )
    state_file = settings.state_db or str(state_dir() / "state.db")
    audit_file = audit_path(settings.audit_db)
    if not Path(state_file).exists() and (audit_file == ":memory:" or not Path(audit_file).exists()):
        raise ConfigError(
            f"nothing to copy: no state store at {state_file} and no audit at {audit_file} (HALO_MCP_STATE_DB and "
            "HALO_MCP_AUDIT_DB name other files)"
        )
    target = PostgresState(settings.database_url.get_secret_value(), max_connections=1)
    source = EmbeddedState(state_file) if Path(state_file).exists() else EmbeddedState(":memory:")
    audit = AuditLog(audit_file) if audit_file != ":memory:" and Path(audit_file).exists() else None

    async def copy() -> dict[str, int]:
        try:
            return await target.copy_from(source, audit, time.time())
        finally:
            await target.release()

    try:
        counts = asyncio.run(copy())
    finally:
        source.close()
        if audit is not None:
            audit.close()
    if args.json:
        print(json.dumps(counts))
    else:
        copied = ", ".join(f"{n} {LABELS[table]}" for table, n in counts.items())
        print(f"{PROG}: copied {copied} into PostgreSQL (rows already there were kept)", file=sys.stderr)
    return 0

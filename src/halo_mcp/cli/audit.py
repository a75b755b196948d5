"""`halo-mcp audit`: print recent audited writes from PostgreSQL (HALO_MCP_DATABASE_URL, or `[server] database_url`
in halo-mcp.toml) or from SQLite (HALO_MCP_AUDIT_DB)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import TYPE_CHECKING, Any

from halo_mcp.config import ConfigError

if TYPE_CHECKING:
    from halo_mcp.state.base import AuditStore


def add_parser(sub: Any) -> None:
    p = sub.add_parser("audit", help="print recent audited writes (HALO_MCP_DATABASE_URL or HALO_MCP_AUDIT_DB)")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--tool", help="only this tool")
    p.add_argument("--collection", help="only this collection")
    p.add_argument("--person", help="only principals containing this (a token's id or label, a person's name)")
    p.add_argument("--ticket", type=int, help="only entries that touched this ticket")
    p.add_argument("--since", help="from this date or date-time (ISO 8601, UTC unless it names a zone)")
    p.add_argument("--until", help="before this date or date-time")
    p.add_argument("--before", type=int, metavar="ID", help="older than this entry id (the next page)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--config", help="halo-mcp.toml, for its [server] database_url (default: HALO_MCP_CONFIG)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from halo_mcp.audit import AuditLog, audit_path
    from halo_mcp.config import config_path, load_file, load_server_settings, with_file_engines

    settings = load_server_settings()
    config = config_path(settings, args.config)
    if config is not None:  # `[server] database_url` when the environment names none
        settings = with_file_engines(settings, load_file(config))
    if settings.database_url:
        from halo_mcp.state.postgres import PostgresAudit

        return show(PostgresAudit(settings.database_url.get_secret_value(), max_connections=1), args)
    path = audit_path(settings.audit_db)
    if path == ":memory:":
        raise ConfigError("HALO_MCP_AUDIT_DB=:memory: keeps the audit inside the server process; name a file instead")
    if not Path(path).exists():
        raise ConfigError(f"no audit at {path} yet (set HALO_MCP_AUDIT_DB to read another file)")
    return show(AuditLog(path), args)


def show(audit: AuditStore, args: argparse.Namespace) -> int:
    from halo_mcp.audit import parse_when

    try:
        since = parse_when(args.since, "--since") if args.since else None
        until = parse_when(args.until, "--until") if args.until else None
        entries = audit.entries(
            args.limit, tool=args.tool, collection=args.collection, person=args.person, ticket=args.ticket,
            since=since, until=until, before=args.before,
        )  # fmt: skip
    finally:
        audit.close()
    if args.json:
        print(json.dumps([e.__dict__ for e in entries], indent=2, ensure_ascii=False))
        return 0
    for e in entries:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(e.at))
        affected = ",".join(e.affected) or "-"
        who = f"  {e.principal}" if e.principal else ""
        print(f"{when}  {e.collection}{who}  {e.tool}  {e.outcome}  {affected}  {json.dumps(e.arguments)}  {e.message}")
    if not entries:
        print("no audit entries", file=sys.stderr)
    return 0

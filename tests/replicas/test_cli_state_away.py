"""Every CLI command that touches the state store, when PostgreSQL stops answering after the command reached it:
one line that names the setting (never the URL's password), a non-zero exit, no traceback. Opening a store that
is away is one line too (test_postgres_audit.py); here the real PostgreSQL is stopped mid-command."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from halo_mcp.state.embedded import EmbeddedState
from halo_mcp.state.postgres import prepare
from tests.helpers import PostgresServer, halo_mcp_cli, subprocess_env

pytestmark = [pytest.mark.replicas, pytest.mark.timeout(120)]

PASSWORD = "pw-never-printed"
FILE = '[tenants.acme]\nurl = "https://acme.example"\nclient_id_env = "T_ID"\nclient_secret_env = "T_SECRET"\n'


def test_every_state_command_says_in_one_line_that_postgresql_stopped_and_exits_non_zero(tmp_path: Path) -> None:
    server = PostgresServer(str(tmp_path / "pg")).start()  # its own: this test stops it
    try:
        url = server.database().replace("postgres@", f"postgres:{PASSWORD}@")  # trust: the password is not asked
        prepare(url)
        config = tmp_path / "halo-mcp.toml"
        config.write_text(FILE + '\n[[collections]]\nname = "desk"\ntenant = "acme"\n')
        source = EmbeddedState(str(tmp_path / "state.db"))  # something for `state migrate` to copy
        asyncio.run(source.collections.put("kb", {"name": "kb", "tenant": "acme"}))
        source.close()
        env = subprocess_env(HALO_MCP_DATABASE_URL=url, HALO_MCP_STATE_DB=str(tmp_path / "state.db"), T_ID="id",
                             T_SECRET="secret")  # fmt: skip
        commands = {
            "collections list": ["collections", "--config", str(config), "list"],
            "collections token": ["collections", "--config", str(config), "token", "desk"],
            "audit": ["audit"],
            "state migrate": ["state", "migrate"],
            "doctor": ["doctor", "--config", str(config)],
            "serve": ["serve", "--config", str(config), "--transport", "http", "--port", "0"],
        }
        lock, watch = psycopg.connect(url), psycopg.connect(url, autocommit=True)
        # every command reaches PostgreSQL, then waits on a table this transaction holds
        lock.execute("LOCK TABLE halo_mcp_collections, halo_mcp_audit IN ACCESS EXCLUSIVE MODE")
        running = {
            name: subprocess.Popen([sys.executable, "-m", "halo_mcp", *argv], env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
            for name, argv in commands.items()
        }  # fmt: skip
        deadline = time.monotonic() + 60
        while waiting(watch) < len(commands):
            assert time.monotonic() < deadline, f"{waiting(watch)} of {len(commands)} commands reached the lock"
            assert all(p.poll() is None for p in running.values()), {n: p.poll() for n, p in running.items()}
            time.sleep(0.1)
        server.stop()
        lock.close()  # the stop ended their sessions: closed, not committed
        watch.close()
        done = {name: (p.wait(timeout=60), *p.communicate()) for name, p in running.items()}
        for name in ("collections list", "audit"):  # and started while it is stopped: one line too
            again = halo_mcp_cli(env, *commands[name])
            assert again.returncode == 2 and again.stdout == "", again
            assert again.stderr.startswith("halo-mcp: HALO_MCP_DATABASE_URL: PostgreSQL cannot be used"), again
            assert again.stderr.count("\n") == 1 and PASSWORD not in again.stderr, again
        keys = halo_mcp_cli(env, "keys", "list")
        assert keys.returncode == 2 and keys.stdout == "" and PASSWORD not in keys.stderr, keys
        assert keys.stderr.splitlines()[-1].startswith("halo-mcp: key rings: the shared store"), keys
    finally:
        server.stop()
    for name, (code, out, err) in done.items():
        said = out + err
        assert code != 0, (name, said)
        assert "Traceback" not in said and PASSWORD not in said, (name, said)
        if name == "doctor":  # a report: the line is its failed check
            assert "FAIL  state        HALO_MCP_DATABASE_URL: PostgreSQL stopped answering" in out, said
        else:
            assert err.startswith("halo-mcp: HALO_MCP_DATABASE_URL: PostgreSQL stopped answering"), (name, said)
            assert err.count("\n") == 1, (name, said)


def waiting(conn: psycopg.Connection[tuple[int]]) -> int:
    """How many sessions wait for a lock (asked outside the locking transaction, whose view of the activity stays
    as it was when it began)."""
    row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'").fetchone()
    return row[0] if row else 0

"""The Sandbox lifecycle: async use, file persistence, clean shutdown, reset, in-process ASGI app."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import httpx2
import pytest

from halo_mcp.sandbox import Sandbox, SandboxConfig, create_app
from tests.helpers import api_client, get_token


@pytest.mark.anyio
async def test_async_context_manager() -> None:
    async with Sandbox(seed=1) as sb:
        tok = get_token(sb)["access_token"]
        async with httpx2.AsyncClient(base_url=sb.api_url, headers={"Authorization": f"Bearer {tok}"}) as client:
            r = await client.get("/Tickets/1")
        assert r.status_code == 200 and r.json()["id"] == 1


def test_stop_releases_port_and_thread() -> None:
    before = set(threading.enumerate())
    sb = Sandbox(seed=1).start()
    port = sb.port
    assert httpx2.get(sb.url + "/_sandbox/health").json()["status"] == "ok"
    sb.stop()
    assert set(threading.enumerate()) - before == set()  # no thread of ours survives (others may have ended)
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))  # the port is free again


def test_file_db_survives_restart(tmp_path: Path) -> None:
    db = str(tmp_path / "halo.db")
    with Sandbox(seed=1, db=db) as sb, api_client(sb) as api:
        tid = api.post("/Tickets", json=[{"summary": "Persist me", "details": "d"}]).json()["id"]
        cid, secret = sb.create_app(scopes="read:tickets")
    with Sandbox(seed=1, db=db) as sb, api_client(sb) as api:
        assert api.get(f"/Tickets/{tid}").json()["summary"] == "Persist me"
        assert get_token(sb, client_id=cid, client_secret=secret)["scope"] == "read:tickets"


def test_reset_restores_seed_data(fresh_sandbox: Sandbox) -> None:
    with api_client(fresh_sandbox) as api:
        original = api.get("/Tickets/1").json()["summary"]
        api.post("/Tickets", json=[{"id": 1, "summary": "changed"}])
        fresh_sandbox.set_faults(latency_ms=1)
        fresh_sandbox.reset()
        assert api.get("/Tickets/1").json()["summary"] == original
    assert fresh_sandbox.faults()["latency_ms"] == 0
    assert fresh_sandbox.counters()["total"] == 1


def test_in_process_asgi_app() -> None:
    app = create_app(SandboxConfig(seed=1))
    transport = httpx2.ASGITransport(app=app)

    async def go() -> int:
        async with httpx2.AsyncClient(transport=transport, base_url="http://sandbox") as c:
            tok = (
                await c.post(
                    "/auth/token",
                    data={
                        "grant_type": "client_credentials",
                        "client_id": app.config.client_id,
                        "client_secret": app.config.client_secret,
                    },
                )
            ).json()["access_token"]
            r = await c.get("/api/Status", headers={"Authorization": f"Bearer {tok}"})
            return r.status_code

    import anyio

    assert anyio.run(go) == 200


def test_cli_arguments() -> None:
    import argparse

    from halo_mcp.sandbox.cli import add_arguments

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--port", "0", "--scale", "small", "--faults", "error_next=1", "--db", ":memory:"])
    assert args.port == 0 and args.faults == "error_next=1" and args.seed == 1

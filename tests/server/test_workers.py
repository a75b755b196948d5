"""Several HTTP worker processes on one port: stateless sessions, both eras served, workers stopped together."""

from __future__ import annotations

import os
from typing import Any

import anyio
import httpx2
import mcp_types as types
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from halo_mcp.config import HaloSettings
from halo_mcp.sandbox import Sandbox
from tests.helpers import CliServer, http_client, subprocess_env, text

pytestmark = pytest.mark.anyio


def children_of(pid: int) -> list[int]:
    path = f"/proc/{pid}/task/{pid}/children"
    with open(path) as f:
        return [int(p) for p in f.read().split()]


async def test_two_workers_serve_both_eras_and_stop_together(sandbox: Sandbox) -> None:
    server = CliServer(subprocess_env(sandbox), "--workers", "2")
    try:
        workers = children_of(server.proc.pid)
        assert len(workers) == 1  # the parent is worker 0

        async def one_call(mode: str) -> str:
            async with http_client(server.url, mode=mode) as client:
                result = await client.call_tool("lookup", {"kind": "team", "query": "Network"})
                assert not result.is_error
                return text(result)

        with anyio.fail_after(30):
            async with anyio.create_task_group() as tg:
                for mode in ["auto", "legacy"] * 4:
                    tg.start_soon(one_call, mode)
        assert "Network" in await one_call("legacy")
        assert httpx2.get(f"{server.url}/sse", timeout=5).status_code == 404  # SSE needs a single process
    finally:
        server.stop()
    for pid in workers:
        assert not os.path.exists(f"/proc/{pid}"), f"worker {pid} outlived the server"


def test_each_worker_gets_a_share_of_halos_rate_limit() -> None:
    hosted = HaloSettings(url="https://acme.halopsa.com", client_id="x", client_secret="y")
    assert hosted.per_worker(2).rate_limit_window() == (150, 300.0)
    assert hosted.per_worker(1) is hosted
    self_hosted = HaloSettings(url="https://halo.internal.example", client_id="x", client_secret="y")
    assert self_hosted.per_worker(4).rate_limit_window() is None


async def test_a_question_answered_on_another_worker_is_still_accepted(sandbox: Sandbox) -> None:
    """2026-07-28: the answer comes back in a new request, which any worker may take (no keep-alive here, so each
    request is a new connection); all workers seal and unseal `requestState` with one key."""
    server = CliServer(subprocess_env(sandbox), "--workers", "2")
    asked: list[str] = []

    async def decline(context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        asked.append(params.message)
        return types.ElicitResult(action="decline")

    try:
        limits = httpx2.Limits(max_keepalive_connections=0)
        async with (
            httpx2.AsyncClient(limits=limits, timeout=httpx2.Timeout(10, read=30)) as http,
            Client(streamable_http_client(f"{server.url}/mcp", http_client=http), elicitation_callback=decline) as c,
        ):
            for ticket in range(1, 9):
                arguments = {"operation": "DELETE /Tickets/{id}", "arguments": {"id": ticket}}
                result = await c.call_tool("call_operation", arguments)
                assert result.is_error and "nothing was changed in Halo" in text(result), text(result)
    finally:
        server.stop()
    assert len(asked) == 8

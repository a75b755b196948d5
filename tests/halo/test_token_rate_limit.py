"""A 429 from Halo's token endpoint is waited out like an API 429: within the retry budget, as Retry-After says,
and beyond it the tool result says when to retry. Through the MCP client, against the sandbox's rate-limit fault."""

from __future__ import annotations

import time

import pytest
from mcp import Client

from halo_mcp.config import ServerSettings
from halo_mcp.sandbox import Sandbox
from halo_mcp.server.surface import Surface
from tests.helpers import call, failed, get_token, halo_settings_for, ok

pytestmark = pytest.mark.anyio
TOKEN_ROUTE = "POST /auth/token"


async def test_a_short_retry_after_from_the_token_endpoint_is_honoured(fresh_sandbox: Sandbox) -> None:
    fresh_sandbox.set_faults(rate_limit={"limit": 1, "window_seconds": 1.5, "retry_after": True}, paths=["/auth"])
    get_token(fresh_sandbox)  # the window is now full for this client id
    fresh_sandbox.reset_counters()
    s = Surface(halo_settings_for(fresh_sandbox, max_retry_wait=5.0), ServerSettings(toolsets="directory"))
    try:
        async with Client(s.server) as c:
            started = time.monotonic()
            ok(await call(c, "lookup", kind="team"))
            waited = time.monotonic() - started
    finally:
        await s.aclose()
    assert fresh_sandbox.counters()["routes"][TOKEN_ROUTE] == 2  # refused once, then issued
    assert 0.3 < waited < 5.0


async def test_a_retry_after_beyond_the_budget_fails_at_once_saying_when_to_retry(fresh_sandbox: Sandbox) -> None:
    fresh_sandbox.set_faults(rate_limit={"limit": 1, "window_seconds": 60, "retry_after": True}, paths=["/auth"])
    get_token(fresh_sandbox)
    fresh_sandbox.reset_counters()
    s = Surface(halo_settings_for(fresh_sandbox, max_retry_wait=2.0), ServerSettings(toolsets="directory"))
    try:
        async with Client(s.server) as c:
            started = time.monotonic()
            message = failed(await call(c, "lookup", kind="team"))
            assert time.monotonic() - started < 2.0
    finally:
        await s.aclose()
    assert "token endpoint is rate limiting us" in message and "retry in 60 s" in message
    assert fresh_sandbox.counters()["routes"][TOKEN_ROUTE] == 1

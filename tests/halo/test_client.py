"""The Halo client against the sandbox: auth, list shapes, and every fault kind. Writes are never duplicated."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest

from halo_mcp.config import HaloSettings
from halo_mcp.halo.client import HaloClient, encode_params, env_proxy, rows_of
from halo_mcp.halo.errors import (
    HaloAuthError,
    HaloNotFound,
    HaloRateLimited,
    HaloUnavailable,
    HaloWriteUncertain,
    error_text,
)
from halo_mcp.sandbox import Sandbox
from tests.helpers import halo_settings_for

pytestmark = pytest.mark.anyio


@pytest.fixture
async def halo(fresh_sandbox: Sandbox) -> AsyncIterator[HaloClient]:
    client = HaloClient(halo_settings_for(fresh_sandbox, max_retry_wait=3.0, read_timeout=1.0))
    yield client
    await client.aclose()


def route_count(sb: Sandbox, route: str) -> int:
    return int(sb.counters()["routes"].get(route, 0))


async def tickets_with(halo: HaloClient, marker: str) -> list[dict[str, Any]]:
    page = await halo.list_page("Tickets", "tickets", {"search": marker}, page_size=50)
    return [t for t in page.rows if marker in str(t.get("summary", ""))]


# -- auth ---------------------------------------------------------------------------------------------------


async def test_client_credentials_token_is_cached(halo: HaloClient, fresh_sandbox: Sandbox) -> None:
    fresh_sandbox.reset_counters()
    for _ in range(3):
        assert isinstance(await halo.get("Tickets/1"), dict)
    assert route_count(fresh_sandbox, "POST /auth/token") == 1
    assert route_count(fresh_sandbox, "GET /api/Tickets/{id}") == 3


async def test_concurrent_first_calls_share_one_token_request(fresh_sandbox: Sandbox) -> None:
    fresh_sandbox.reset_counters()
    async with HaloClient(halo_settings_for(fresh_sandbox)) as halo:
        results = await asyncio.gather(*(halo.get("Tickets/1") for _ in range(20)))
    assert all(r["id"] == 1 for r in results)
    assert route_count(fresh_sandbox, "POST /auth/token") == 1


async def test_password_grant_acts_as_the_agent(fresh_sandbox: Sandbox) -> None:
    settings = halo_settings_for(
        fresh_sandbox, username=fresh_sandbox.agent_username, password=fresh_sandbox.agent_password
    )
    async with HaloClient(settings) as halo:
        me = await halo.get("Agent/me")
    assert me["id"] > 0 and me["name"]


async def test_bad_secret_is_an_actionable_error_without_the_secret(fresh_sandbox: Sandbox) -> None:
    secret = "wrong-secret-value-123"
    async with HaloClient(halo_settings_for(fresh_sandbox, client_secret=secret)) as halo:
        with pytest.raises(HaloAuthError) as info:
            await halo.get("Tickets/1")
    assert "HALO_CLIENT_SECRET" in str(info.value)
    assert secret not in str(info.value)


async def test_expired_token_mid_run_refreshes_once(halo: HaloClient, fresh_sandbox: Sandbox) -> None:
    await halo.get("Tickets/1")
    fresh_sandbox.expire_tokens()
    fresh_sandbox.reset_counters()
    assert (await halo.get("Tickets/1"))["id"] == 1
    assert route_count(fresh_sandbox, "GET /api/Tickets/{id}") == 2  # the 401, then the retry
    assert route_count(fresh_sandbox, "POST /auth/token") == 1


async def test_expired_token_on_a_write_creates_exactly_one_record(halo: HaloClient, fresh_sandbox: Sandbox) -> None:
    await halo.get("Tickets/1")
    fresh_sandbox.expire_tokens()
    created = await halo.post("Tickets", {"summary": "token-expiry-write", "details": "x", "tickettype_id": 1})
    assert created["id"] > 0
    assert len(await tickets_with(halo, "token-expiry-write")) == 1


# -- list shapes --------------------------------------------------------------------------------------------


async def test_page_size_is_capped_at_100(halo: HaloClient) -> None:
    page = await halo.list_page("Tickets", "tickets", page_size=500)
    assert len(page.rows) == 100
    assert page.total is not None and page.total > 100


async def test_plain_array_lookups_and_envelopes_both_read(halo: HaloClient) -> None:
    assert rows_of(await halo.get("Status"))
    assert rows_of(await halo.get("Client", {"pageinate": True, "page_size": 5}), "clients")


async def test_unknown_id_is_not_found(halo: HaloClient) -> None:
    with pytest.raises(HaloNotFound):
        await halo.get("Tickets/99999999")


def test_params_encode_booleans_and_repeat_multi_values() -> None:
    assert encode_params({"open_only": True, "status": [1, 2], "x": None}) == [
        ("open_only", "true"),
        ("status", "1"),
        ("status", "2"),
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"resultCode":1,"errorMessage":"Details is required"}', "Details is required"),
        (b'{"ClassName":"System.Exception","Message":"Boom"}', "Boom"),
        (b'"Plain JSON string"', "Plain JSON string"),
        (b'{"error":"invalid_client","error_description":"bad secret"}', "bad secret"),
        (b"not json at all", "not json at all"),
        (b"", ""),
    ],
)
def test_error_bodies_of_every_shape_become_text(body: bytes, message: str) -> None:
    assert error_text(body) == message


# -- faults -------------------------------------------------------------------------------------------------


async def test_5xx_burst_on_reads_recovers(halo: HaloClient, fresh_sandbox: Sandbox) -> None:
    await halo.get("Tickets/1")
    fresh_sandbox.set_faults(error_next=2, error_status=503)
    fresh_sandbox.reset_counters()
    assert (await halo.get("Tickets/1"))["id"] == 1
    assert route_count(fresh_sandbox, "GET /api/Tickets/{id}") == 3


async def test_5xx_on_a_write_is_not_retried(halo: HaloClient, fresh_sandbox: Sandbox) -> None:
    await halo.get("Tickets/1")
    fresh_sandbox.set_faults(error_next=1, error_status=503, methods=["POST"])
    fresh_sandbox.reset_counters()
    with pytest.raises(HaloUnavailable) as info:
        await halo.post("Tickets", {"summary": "five-oh-three-write", "details": "x", "tickettype_id": 1})
    assert "before retrying" in str(info.value)
    assert route_count(fresh_sandbox, "POST /api/Tickets") == 1


async def test_dropped_connection_after_a_write_is_uncertain_and_not_repeated(
    halo: HaloClient, fresh_sandbox: Sandbox
) -> None:
    await halo.get("Tickets/1")
    fresh_sandbox.set_faults(drop_next=1, drop_when="after", methods=["POST"])
    fresh_sandbox.reset_counters()
    with pytest.raises(HaloWriteUncertain) as info:
        await halo.post("Tickets", {"summary": "dropped-after-write", "details": "x", "tickettype_id": 1})
    assert "Check the record" in str(info.value)
    assert route_count(fresh_sandbox, "POST /api/Tickets") == 1
    fresh_sandbox.clear_faults()
    assert len(await tickets_with(halo, "dropped-after-write")) == 1  # applied once, never twice


async def test_dropped_connection_on_a_read_recovers(halo: HaloClient, fresh_sandbox: Sandbox) -> None:
    await halo.get("Tickets/1")
    fresh_sandbox.set_faults(drop_next=2)
    assert (await halo.get("Tickets/1"))["id"] == 1


async def test_slow_response_past_the_timeout_retries_reads(halo: HaloClient, fresh_sandbox: Sandbox) -> None:
    await halo.get("Tickets/1")
    fresh_sandbox.set_faults(slow_ms=2500, slow_next=1)
    fresh_sandbox.reset_counters()
    assert (await halo.get("Tickets/1"))["id"] == 1
    assert route_count(fresh_sandbox, "GET /api/Tickets/{id}") == 2


async def test_slow_write_past_the_timeout_is_not_duplicated(halo: HaloClient, fresh_sandbox: Sandbox) -> None:
    await halo.get("Tickets/1")
    fresh_sandbox.set_faults(slow_ms=1500, slow_next=1, methods=["POST"])
    with pytest.raises(HaloWriteUncertain):
        await halo.post("Tickets", {"summary": "slow-write-once", "details": "x", "tickettype_id": 1})
    fresh_sandbox.clear_faults()
    assert len(await tickets_with(halo, "slow-write-once")) <= 1


async def test_429_storm_is_waited_out_within_the_budget(halo: HaloClient, fresh_sandbox: Sandbox) -> None:
    await halo.get("Tickets/1")
    fresh_sandbox.set_faults(rate_limit={"limit": 3, "window_seconds": 1, "retry_after": True})
    results = [await halo.get("Tickets/1") for _ in range(6)]
    assert all(r["id"] == 1 for r in results)


async def test_429_beyond_the_budget_says_when_to_retry(fresh_sandbox: Sandbox) -> None:
    settings = halo_settings_for(fresh_sandbox, max_retry_wait=0.5)
    async with HaloClient(settings) as halo:
        await halo.get("Tickets/1")
        fresh_sandbox.set_faults(rate_limit={"limit": 1, "window_seconds": 60, "retry_after": True})
        fresh_sandbox.reset_counters()
        with pytest.raises(HaloRateLimited) as info:
            for _ in range(3):
                await halo.post("Tickets", {"summary": "rate-limited-write", "details": "x", "tickettype_id": 1})
    assert "Retry in" in str(info.value)
    assert info.value.retry_after is not None and info.value.retry_after > 0
    fresh_sandbox.clear_faults()
    async with HaloClient(halo_settings_for(fresh_sandbox)) as halo:
        assert len(await tickets_with(halo, "rate-limited-write")) == 1


async def test_client_side_limiter_keeps_us_under_halos_limit(fresh_sandbox: Sandbox) -> None:
    fresh_sandbox.set_faults(rate_limit={"limit": 4, "window_seconds": 1, "retry_after": False})
    async with HaloClient(halo_settings_for(fresh_sandbox, rate_limit="3/1", max_retries=0)) as halo:
        results = [await halo.get("Tickets/1") for _ in range(7)]  # token request counts against Halo's window
    assert len(results) == 7
    state_text = HaloSettings(url="https://acme.halopsa.com", client_id="x", client_secret="y").rate_limit_window()
    assert state_text == (300, 300.0)  # hosted instances get Halo's documented limit by default


async def test_connection_refused_is_unavailable_for_reads_and_writes() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = HaloSettings(
        url=f"http://127.0.0.1:{port}", client_id="id", client_secret="s", max_retry_wait=1.0, rate_limit="off"
    )
    async with HaloClient(settings) as halo:
        with pytest.raises(HaloUnavailable) as info:
            await halo.get("Tickets/1")
    assert "cannot reach" in str(info.value) or "cannot connect" in str(info.value)


async def test_secrets_and_tokens_never_reach_the_logs(
    fresh_sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with HaloClient(halo_settings_for(fresh_sandbox)) as halo:
        await halo.get("Tickets/1")
        fresh_sandbox.expire_tokens()
        await halo.get("Tickets/1")
        token = await halo.tokens.current()
    assert caplog.records  # the client does log requests
    assert fresh_sandbox.client_secret not in caplog.text
    assert token not in caplog.text
    assert token not in repr(halo.tokens._token)


def test_the_proxy_the_environment_names_is_used_unless_no_proxy_covers_halo(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    assert env_proxy("https://acme.haloitsm.com/api") is None
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp:3128")
    assert env_proxy("https://acme.haloitsm.com/api") == "http://proxy.corp:3128"
    assert env_proxy("http://127.0.0.1:9999/api") is None  # no HTTP_PROXY: plain HTTP goes direct
    monkeypatch.setenv("NO_PROXY", ".haloitsm.com")
    assert env_proxy("https://acme.haloitsm.com/api") is None

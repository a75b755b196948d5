"""/metrics in Prometheus text: calls, errors and latency per collection and tool; Halo requests, 429s and the
budget left per tenant. And /healthz and the stores when no shared engine is configured: exactly as before."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx2
import prometheus_client
import pytest

from halo_mcp.audit import AuditLog
from halo_mcp.config import ServerSettings
from halo_mcp.halo.ratelimit import RollingWindowLimiter
from halo_mcp.sandbox import Sandbox
from halo_mcp.server.metrics import CONTENT_TYPE, Metrics
from halo_mcp.server.surface import Surface
from tests.helpers import ThreadServer, api_calls, call, failed, halo_settings_for, http_client, ok


def series(text: str, name: str, missing: float | None = None, **labels: str) -> float:
    """The value of one series, matched on the labels given (others may be present); `missing` if there is none."""
    for line in text.splitlines():
        found = re.fullmatch(rf"{name}\{{([^}}]*)\}} (\S+)", line)
        if found and all(f'{k}="{v}"' in found.group(1) for k, v in labels.items()):
            return float(found.group(2))
    if missing is None:
        raise AssertionError(f"no {name} {labels} in /metrics")
    return missing


@pytest.mark.anyio
async def test_metrics_count_calls_errors_latency_and_halo_requests_per_tenant(fresh_sandbox: Sandbox) -> None:
    server = ThreadServer(fresh_sandbox, ServerSettings(transport="http"), rate_limit="100/60").start()
    tenant = urlsplit(fresh_sandbox.api_url).netloc
    try:
        before = httpx2.get(f"{server.url}/metrics").text
        calls_before = series(before, "halo_mcp_tool_calls_total", 0.0, collection="default", tool="get_ticket")
        fresh_sandbox.reset_counters()
        async with http_client(server.url) as client:
            ok(await call(client, "get_ticket", id=1))
            failed(await call(client, "get_ticket", id=999999))
        response = httpx2.get(f"{server.url}/metrics")
        assert response.headers["content-type"].startswith("text/plain")
        text = response.text
        assert series(text, "halo_mcp_tool_calls_total", collection="default", tool="get_ticket") == calls_before + 2
        assert series(text, "halo_mcp_tool_errors_total", collection="default", tool="get_ticket") >= 1
        duration = series(text, "halo_mcp_tool_call_duration_seconds_count", collection="default", tool="get_ticket")
        assert duration == calls_before + 2
        sent = api_calls(fresh_sandbox.counters())
        assert series(text, "halo_mcp_halo_requests_total", tenant=tenant) >= sent > 0
        assert series(text, "halo_mcp_halo_rate_limited_total", tenant=tenant) == 0
        assert 0 < series(text, "halo_mcp_halo_rate_limit_remaining", tenant=tenant) <= 100 - sent
    finally:
        server.stop()


def test_latency_buckets_count_each_call_once_cumulatively_in_prometheus_own_format() -> None:
    metrics = Metrics()
    for seconds in (0.004, 0.005, 0.3, 45.0):
        metrics.observe("c", "t", seconds, error=seconds > 1)
    text = metrics.render().decode()
    bucket = "halo_mcp_tool_call_duration_seconds_bucket"
    assert [series(text, bucket, le=le, tool="t") for le in ("0.005", "0.25", "0.5", "30.0", "+Inf")] == [2, 2, 3, 3, 4]
    assert series(text, "halo_mcp_tool_call_duration_seconds_sum", tool="t") == pytest.approx(45.309)
    assert series(text, "halo_mcp_tool_errors_total", tool="t") == 1
    assert CONTENT_TYPE == prometheus_client.CONTENT_TYPE_LATEST


def test_healthz_says_ok_without_a_shared_engine(http_server: ThreadServer) -> None:
    body = httpx2.get(f"{http_server.url}/healthz").json()
    assert body["status"] == "ok" and "degraded" not in body


@pytest.mark.anyio
async def test_without_redis_or_postgresql_the_window_and_audit_stay_in_process(sandbox: Sandbox) -> None:
    surface = Surface(halo_settings_for(sandbox, rate_limit="300/300"), ServerSettings(audit_db=":memory:"))
    try:
        assert isinstance(surface.halo.limiter, RollingWindowLimiter)
        assert isinstance(surface.audit, AuditLog)
        assert surface.degraded() == []
    finally:
        await surface.aclose()

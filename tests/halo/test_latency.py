"""Halo round trips: timed per response by the client, p50 and mean over any period from two snapshots."""

from __future__ import annotations

import pytest

from halo_mcp.halo.client import HaloClient
from halo_mcp.halo.latency import Latency
from halo_mcp.sandbox import Sandbox
from halo_mcp.server.collections.health import HealthRecorder
from tests.helpers import api_calls, halo_settings_for


def test_the_p50_is_interpolated_in_its_bucket_and_a_period_is_the_difference_of_two_snapshots() -> None:
    latency = Latency()
    assert latency.snapshot().quantile_ms(0.5) is None and latency.snapshot().mean_ms() is None
    for seconds in (0.004, 0.004, 0.004):
        latency.observe(seconds)
    start = latency.snapshot()
    for seconds in (0.12, 0.12, 0.12, 0.12, 0.12, 40.0):
        latency.observe(seconds)
    whole, later = latency.snapshot(), latency.snapshot().since(start)
    assert whole.count == 9 and whole.quantile_ms(0.5) == 115.0  # rank 4.5 of 9: 1.5 of the five in 100-150 ms
    assert later.count == 6 and later.quantile_ms(0.5) == 130.0 and later.mean_ms() == 6766.7
    assert later.quantile_ms(1.0) == 30_000.0  # slower than the last bound: its floor
    assert start.since(whole) == start  # counts that went backwards (a rebuilt client): from zero


@pytest.mark.anyio
async def test_health_reports_each_tenants_halo_p50_and_mean_for_every_api_request(fresh_sandbox: Sandbox) -> None:
    client = HaloClient(halo_settings_for(fresh_sandbox))
    health = HealthRecorder(lambda: {"acme": client}, dict)
    try:
        await client.get("Tickets", {"count": 1})  # a token, and one fast request before the period
        health.record()
        before = api_calls(fresh_sandbox.counters())
        fresh_sandbox.set_faults(latency_ms=160)
        for _ in range(4):
            await client.get("Tickets", {"count": 1})
        fresh_sandbox.clear_faults()
        timed = api_calls(fresh_sandbox.counters()) - before
        (acme,) = health.report()["tenants"]
    finally:
        await client.aclose()
    assert acme["halo_timed_last_hour"] == timed == 4  # counted from the oldest sample of the hour
    assert 150 <= acme["halo_p50_ms"] < 1000  # each took 160 ms or more: the 150-200 ms bucket or a slower one
    assert 160 <= acme["halo_mean_ms"] < 1000

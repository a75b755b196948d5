"""Every fault kind, scoping, counters, the admin API and the CLI syntax."""

from __future__ import annotations

import time

import httpx2
import pytest

from halo_mcp.sandbox import Sandbox
from halo_mcp.sandbox.faults import RATE_LIMIT_MESSAGE, FaultSpecError, parse_cli
from tests.helpers import api_client


def test_rate_limit_per_client(fresh_sandbox: Sandbox) -> None:
    sb = fresh_sandbox
    sb.set_faults(rate_limit={"limit": 5, "window_seconds": 300, "retry_after": True})
    with api_client(sb) as api:  # the token request counts against the same client (its client_id)
        codes = [api.get("/Status").status_code for _ in range(7)]
        assert codes == [200] * 4 + [429] * 3
        r = api.get("/Status")
        assert r.json() == RATE_LIMIT_MESSAGE and int(r.headers["retry-after"]) > 0
    cid, secret = sb.create_app(scopes="all")
    other = httpx2.post(
        sb.url + "/auth/token", data={"grant_type": "client_credentials", "client_id": cid, "client_secret": secret}
    )
    with api_client(sb, other.json()["access_token"]) as api2:
        assert api2.get("/Status").status_code == 200
    assert sb.counters()["routes"]["GET /api/Status"] == 9
    assert sb.counters()["rate_limited"] == 4  # three 429s in the loop and the one read for its headers


def test_rate_limit_window_rolls(fresh_sandbox: Sandbox) -> None:
    fresh_sandbox.set_faults(rate_limit={"limit": 2, "window_seconds": 0.5, "retry_after": False})
    with api_client(fresh_sandbox) as api:
        assert [api.get("/Status").status_code for _ in range(2)] == [200, 429]  # the token request was 1st
        assert "retry-after" not in api.get("/Status").headers
        time.sleep(0.6)
        assert api.get("/Status").status_code == 200


def test_latency_and_error_injection(fresh_sandbox: Sandbox) -> None:
    sb = fresh_sandbox
    with api_client(sb) as api:
        sb.set_faults(latency_ms=150, jitter_ms=10)
        t0 = time.perf_counter()
        assert api.get("/Status").status_code == 200
        assert time.perf_counter() - t0 >= 0.13
        sb.set_faults(error_next=2, error_status=502)
        assert [api.get("/Status").status_code for _ in range(3)] == [502, 502, 200]
        sb.set_faults(error_rate=0.5)
        codes = [api.get("/Status").status_code for _ in range(40)]
        assert 8 <= codes.count(503) <= 32 and codes.count(200) + codes.count(503) == 40
        assert sb.faults()["error_rate"] == 0.5
        sb.clear_faults()
        assert all(api.get("/Status").status_code == 200 for _ in range(5))


def test_drop_before_and_after(fresh_sandbox: Sandbox) -> None:
    sb = fresh_sandbox
    with api_client(sb) as api:
        sb.set_faults(drop_next=1, drop_when="before", methods=["POST"])
        with pytest.raises(httpx2.TransportError):
            api.post("/Supplier", json=[{"name": "Dropped Before"}])
        names = {s["name"] for s in api.get("/Supplier", params={"count": 100}).json()["suppliers"]}
        assert "Dropped Before" not in names
        sb.set_faults(drop_next=1, drop_when="after", paths=["/api/supplier"])
        with pytest.raises(httpx2.TransportError):
            api.post("/Supplier", json=[{"name": "Dropped After"}])
        names = {s["name"] for s in api.get("/Supplier", params={"count": 100}).json()["suppliers"]}
        assert "Dropped After" in names  # the write happened even though the response was lost
        sb.set_faults(drop_rate=1.0, paths=["/api/Tickets"])
        assert api.get("/Status").status_code == 200  # out of scope
        with pytest.raises(httpx2.TransportError):
            api.get("/Tickets/1")


def test_slow_responses_trip_client_timeouts(fresh_sandbox: Sandbox) -> None:
    sb = fresh_sandbox
    sb.set_faults(slow_ms=1500, slow_next=1, paths=["/api"])
    with api_client(sb, timeout=0.3) as api:
        t0 = time.perf_counter()
        with pytest.raises(httpx2.TimeoutException):
            api.get("/Status")
        assert time.perf_counter() - t0 < 1.4
    with api_client(sb, timeout=5) as api:
        assert api.get("/Status").status_code == 200


def test_forced_token_expiry_and_admin_untouched_by_faults(fresh_sandbox: Sandbox) -> None:
    sb = fresh_sandbox
    with api_client(sb) as api:
        sb.set_faults(error_rate=1.0)
        assert api.get("/Status").status_code == 503
        assert httpx2.get(sb.url + "/_sandbox/health").status_code == 200  # admin is never faulted
        sb.clear_faults()
        sb.expire_tokens()
        assert api.get("/Status").status_code == 401
    counters = sb.counters()
    assert counters["routes"]["GET /api/Status"] == 2 and not any(
        k.startswith("GET /_sandbox") for k in counters["routes"]
    )
    sb.reset_counters()
    assert sb.counters() == {"total": 0, "routes": {}, "rate_limited": 0}


def test_admin_rejects_bad_fault_specs(sb: Sandbox) -> None:
    for bad in (
        {"nope": 1},
        {"error_rate": 2},
        {"drop_when": "later"},
        {"rate_limit": {"limit": 0}},
        {"latency_ms": "x"},
    ):
        r = httpx2.put(sb.url + "/_sandbox/faults", json=bad)
        assert r.status_code == 400 and r.json()["error"], bad
    assert httpx2.post(sb.url + "/_sandbox/apps", json={"scopes": "read:nothing"}).status_code == 400


def test_cli_fault_syntax() -> None:
    spec = parse_cli("rate_limit=300/300,latency=20~5,error_rate=0.1,drop_next=2,slow=3000@0.1,methods=POST+DELETE")
    assert spec == {
        "rate_limit": {"limit": 300, "window_seconds": 300.0, "retry_after": True},
        "latency_ms": 20.0,
        "jitter_ms": 5.0,
        "error_rate": 0.1,
        "drop_next": 2,
        "slow_ms": 3000.0,
        "slow_rate": 0.1,
        "methods": ["POST", "DELETE"],
    }
    assert parse_cli('{"error_next": 1}') == {"error_next": 1}
    for bad in ("bogus=1", "latency", "error_rate=abc", "error_rate=5"):
        with pytest.raises(FaultSpecError):
            parse_cli(bad)


def test_faults_set_at_start() -> None:
    with Sandbox(seed=1, faults=parse_cli("error_next=1,error_status=500,paths=/api")) as sb, api_client(sb) as api:
        assert [api.get("/Status").status_code for _ in range(2)] == [500, 200]

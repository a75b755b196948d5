"""What the Health page and `GET /admin/api/health` report: per Halo tenant the rate-limit budget left over time,
the requests sent, the 429s received and Halo's latency (p50 and mean round trip, halo/latency.py); per collection
the tool calls, errors and mean call time over the last hour. A person signed in with their own Halo client (per-user
sign-in) is not in the tenant figures; their tool calls are in their collection's.

Nothing is added to the request path: a sampler reads the tenants' clients and the tool counters (metrics.py) every
HEALTH_SAMPLE_SECONDS and keeps HEALTH_HISTORY_SECONDS of samples (the budget chart spans the tenant's rolling
window); a report compares the live figures with the oldest sample in the hour (counters that went backwards, a
client rebuilt on reload, count from zero).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import anyio

from halo_mcp.halo.client import HaloClient
from halo_mcp.halo.latency import LatencySnapshot
from halo_mcp.halo.ratelimit import tenant_of
from halo_mcp.server.metrics import METRICS

HEALTH_SAMPLE_SECONDS = 2.0
HEALTH_HISTORY_SECONDS = 3600.0
RECENT_SECONDS = 300.0  # "recent" 429s: the last five minutes


@dataclass(frozen=True)
class Sample:
    at: float  # epoch seconds
    tenants: dict[str, tuple[int | None, int, int]]  # remaining (None: no client-side budget), requests, 429s
    collections: dict[str, tuple[float, float, float]]  # calls, errors, seconds (sum)
    latency: dict[str, LatencySnapshot]  # per tenant: Halo round trips


class HealthRecorder:
    """Samples `clients()` (tenant name -> client) and the tool counters; `report()` reads them."""

    def __init__(self, clients: Callable[[], Mapping[str, HaloClient]], tenants_of: Callable[[], dict[str, str]]):
        self.clients = clients
        self.tenants_of = tenants_of  # collection -> tenant
        self.samples: deque[Sample] = deque()

    def sample(self) -> Sample:
        tenants, latency = {}, {}
        for name, client in self.clients().items():
            state = client.rate_limit_state()
            tenants[name] = (state.remaining if state else None, client.request_count, client.rate_limited_count)
            latency[name] = client.latency.snapshot()
        return Sample(time.time(), tenants, METRICS.tools.per_collection(), latency)

    def record(self) -> None:
        now = self.sample()
        self.samples.append(now)
        while self.samples and self.samples[0].at < now.at - HEALTH_HISTORY_SECONDS:
            self.samples.popleft()

    async def run(self) -> None:
        while True:
            self.record()
            await anyio.sleep(HEALTH_SAMPLE_SECONDS)

    def _since(self, seconds: float, now: float) -> Sample | None:
        return next((s for s in self.samples if s.at >= now - seconds), None)

    def report(self) -> dict[str, Any]:
        """The figures, JSON-ready: `tenants` and `collections`, each a list of dicts."""
        now = self.sample()
        hour, recent = self._since(HEALTH_HISTORY_SECONDS, now.at), self._since(RECENT_SECONDS, now.at)
        clients = self.clients()
        collections: list[dict[str, Any]] = []
        spent: dict[str, list[float]] = {}  # tenant -> errors, seconds, calls
        for name in sorted(self.tenants_of()):
            calls, errors, seconds = _delta(now.collections.get(name), hour.collections.get(name) if hour else None)
            figures = spent.setdefault(self.tenants_of()[name], [0.0, 0.0, 0.0])
            figures[0] += errors
            figures[1] += seconds
            figures[2] += calls
            collections.append({
                "collection": name,
                "tenant": self.tenants_of()[name],
                "calls": int(calls),
                "errors": int(errors),
                "mean_ms": round(seconds / calls * 1000, 1) if calls else None,
            })  # fmt: skip
        tenants = []
        for name, client in sorted(clients.items()):
            state = client.rate_limit_state()
            _, sent, limited = now.tenants[name]
            base = hour.tenants.get(name) if hour else None
            start = recent.tenants.get(name) if recent else None
            errors, seconds, calls = spent.get(name, [0.0, 0.0, 0.0])
            span = state.window_seconds if state else 0.0  # the chart: the budget over the last rolling window
            series = [(s.at - now.at, s.tenants[name][0]) for s in self.samples if s.at >= now.at - span
                      and name in s.tenants and s.tenants[name][0] is not None]  # fmt: skip
            halo = now.latency[name].since(hour.latency.get(name) if hour else None)
            tenants.append({
                "tenant": name,
                "host": tenant_of(client.settings),
                "limit": state.limit if state else None,
                "remaining": state.remaining if state else None,
                "window_seconds": state.window_seconds if state else None,
                "reset_seconds": round(state.reset_seconds) if state else None,
                "requests_last_hour": _count(sent, base[1] if base else 0),
                "rate_limited_last_hour": _count(limited, base[2] if base else 0),
                "rate_limited_recent": _count(limited, start[2] if start else 0),
                "tool_errors_last_hour": int(errors),
                "mean_call_ms": round(seconds / calls * 1000, 1) if calls else None,
                "halo_p50_ms": halo.quantile_ms(0.5),
                "halo_mean_ms": halo.mean_ms(),
                "halo_timed_last_hour": halo.count,
                "series": [(round(t), r) for t, r in series] + ([(0, state.remaining)] if state else []),
            })  # fmt: skip
        return {"tenants": tenants, "collections": collections}


def _count(now: int, then: int) -> int:
    return now - then if now >= then else now  # a client rebuilt on reload counts from zero


def _delta(
    now: tuple[float, float, float] | None, then: tuple[float, float, float] | None
) -> tuple[float, float, float]:
    if now is None:
        return (0.0, 0.0, 0.0)
    if then is None or now[0] < then[0]:
        return now
    return (now[0] - then[0], now[1] - then[1], now[2] - then[2])

"""Prometheus metrics for /metrics: tool calls, errors and latency per collection and tool, and per Halo tenant
the requests sent, the 429s received and the rate-limit budget left.

Tool figures are counted as calls finish; Halo figures are read from the clients when scraped, so the request
path carries no metrics code. One registry per process: every surface (collection) reports into it.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from halo_mcp.halo.client import HaloClient
from halo_mcp.halo.ratelimit import tenant_of

CONTENT_TYPE = CONTENT_TYPE_LATEST
# Tool calls take milliseconds (cached lookups) to tens of seconds (waiting out Halo's rate limit).
LATENCY_BUCKETS_SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class HaloCollector(Collector):
    """Reads every live Halo client at scrape time."""

    def __init__(self) -> None:
        self.clients: weakref.WeakSet[HaloClient] = weakref.WeakSet()

    def collect(self) -> Iterator[Metric]:
        requests = CounterMetricFamily("halo_mcp_halo_requests", "Requests sent to Halo", labels=["tenant"])
        limited = CounterMetricFamily("halo_mcp_halo_rate_limited", "HTTP 429 answers from Halo", labels=["tenant"])
        remaining = GaugeMetricFamily(
            "halo_mcp_halo_rate_limit_remaining", "Requests left in Halo's rate-limit window", labels=["tenant"]
        )
        totals: dict[str, list[int]] = {}
        left: dict[str, int] = {}  # several clients of one tenant (reloads, tests): the least any of them has
        for client in list(self.clients):
            tenant = tenant_of(client.settings)
            sums = totals.setdefault(tenant, [0, 0])
            sums[0] += client.request_count
            sums[1] += client.rate_limited_count
            state = client.rate_limit_state()
            if state is not None:
                left[tenant] = min(left.get(tenant, state.remaining), state.remaining)
        for tenant, (sent, refused) in sorted(totals.items()):
            requests.add_metric([tenant], sent)
            limited.add_metric([tenant], refused)
            if tenant in left:
                remaining.add_metric([tenant], left[tenant])
        yield from (requests, limited, remaining)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        labels = ["collection", "tool"]
        self.calls = Counter("halo_mcp_tool_calls", "Tool calls", labels, registry=self.registry)
        self.errors = Counter(
            "halo_mcp_tool_errors", "Tool calls answered with isError", labels, registry=self.registry
        )
        self.latency = Histogram(
            "halo_mcp_tool_call_duration_seconds",
            "Tool call duration",
            labels,
            buckets=LATENCY_BUCKETS_SECONDS,
            registry=self.registry,
        )
        self.halo = HaloCollector()
        self.registry.register(self.halo)
        self._series: dict[tuple[str, str], tuple[Counter, Histogram]] = {}  # bounded by the tools served

    def watch(self, client: HaloClient) -> None:
        self.halo.clients.add(client)

    def observe(self, collection: str, tool: str, seconds: float, error: bool) -> None:
        series = self._series.get((collection, tool))
        if series is None:  # labels() validates and locks on every call: once per tool is enough
            series = self._series[collection, tool] = (
                self.calls.labels(collection, tool),
                self.latency.labels(collection, tool),
            )
        series[0].inc()
        if error:
            self.errors.labels(collection, tool).inc()
        series[1].observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)


METRICS = Metrics()

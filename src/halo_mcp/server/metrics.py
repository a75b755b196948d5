"""Prometheus metrics for /metrics: tool calls, errors and latency per collection and tool, and per Halo tenant
the requests sent, the 429s received and the rate-limit budget left.

Tool figures are counted as calls finish, in plain per-series counters; Halo figures are read from the clients when
scraped, so the request path carries no metrics code. Both become Prometheus families only when /metrics is read:
prometheus_client (and the http.server and wsgiref it imports) stays out of every server's start-up and out of a
stdio server altogether. One registry per process: every surface (collection) reports into it.
"""

from __future__ import annotations

import weakref
from bisect import bisect_left
from collections.abc import Iterator
from typing import TYPE_CHECKING

from halo_mcp.halo.client import HaloClient
from halo_mcp.halo.ratelimit import tenant_of

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry
    from prometheus_client.core import Metric

CONTENT_TYPE = "text/plain; version=1.0.0; charset=utf-8"  # prometheus_client's CONTENT_TYPE_LATEST
# Tool calls take milliseconds (cached lookups) to tens of seconds (waiting out Halo's rate limit).
LATENCY_BUCKETS_SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class HaloCollector:
    """Reads every live Halo client at scrape time."""

    def __init__(self) -> None:
        self.clients: weakref.WeakSet[HaloClient] = weakref.WeakSet()

    def collect(self) -> Iterator[Metric]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

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


class ToolCollector:
    """Tool calls, errors and a latency histogram per (collection, tool), counted in plain lists."""

    def __init__(self) -> None:
        # Per series: calls, errors, latency sum, then one count per bucket (the last one is +Inf).
        self.series: dict[tuple[str, str], list[float]] = {}

    def observe(self, collection: str, tool: str, seconds: float, error: bool) -> None:
        figures = self.series.get((collection, tool))
        if figures is None:
            figures = self.series[(collection, tool)] = [0.0] * (4 + len(LATENCY_BUCKETS_SECONDS))
        figures[0] += 1
        if error:
            figures[1] += 1
        figures[2] += seconds
        figures[3 + bisect_left(LATENCY_BUCKETS_SECONDS, seconds)] += 1  # Prometheus buckets are `le`

    def per_collection(self) -> dict[str, tuple[float, float, float]]:
        """Calls, errors and seconds (the latency sum) per collection, summed over its tools."""
        out: dict[str, tuple[float, float, float]] = {}
        for (collection, _), figures in self.series.items():
            calls, errors, seconds = out.get(collection, (0.0, 0.0, 0.0))
            out[collection] = (calls + figures[0], errors + figures[1], seconds + figures[2])
        return out

    def collect(self) -> Iterator[Metric]:
        from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily

        labels = ["collection", "tool"]
        calls = CounterMetricFamily("halo_mcp_tool_calls", "Tool calls", labels=labels)
        errors = CounterMetricFamily("halo_mcp_tool_errors", "Tool calls answered with isError", labels=labels)
        latency = HistogramMetricFamily("halo_mcp_tool_call_duration_seconds", "Tool call duration", labels=labels)
        bounds = [str(float(b)) for b in LATENCY_BUCKETS_SECONDS] + ["+Inf"]
        for key, figures in sorted(self.series.items()):
            calls.add_metric(list(key), figures[0])
            errors.add_metric(list(key), figures[1])
            cumulative, buckets = 0.0, []
            for bound, count in zip(bounds, figures[3:], strict=True):
                cumulative += count
                buckets.append((bound, cumulative))
            latency.add_metric(list(key), buckets, figures[2])
        yield from (calls, errors, latency)


class Metrics:
    def __init__(self) -> None:
        self.tools = ToolCollector()
        self.halo = HaloCollector()

    def watch(self, client: HaloClient) -> None:
        self.halo.clients.add(client)

    def observe(self, collection: str, tool: str, seconds: float, error: bool) -> None:
        self.tools.observe(collection, tool, seconds, error)

    @property
    def registry(self) -> CollectorRegistry:
        """Both collectors as a Prometheus registry, made when read (/metrics, the console's health samples)."""
        from prometheus_client import CollectorRegistry

        registry = CollectorRegistry(auto_describe=False)
        registry.register(self.tools)
        registry.register(self.halo)
        return registry

    def render(self) -> bytes:
        from prometheus_client import generate_latest

        return generate_latest(self.registry)


METRICS = Metrics()

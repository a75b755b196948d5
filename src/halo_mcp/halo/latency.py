"""Halo round-trip times, kept at the cost of a bisect and two additions per response: counts in fixed buckets since
the client started, like a Prometheus histogram. A reader (the console's health sampler) keeps snapshots and
subtracts the oldest one of a period to get that period's p50 and mean; the p50 is estimated within its bucket.

A round trip runs from sending a request to having its whole body (or, for a stream, its headers): Halo's time,
the network's, and a wait for a free connection. Requests that got no answer are not timed.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass

# Upper bounds of the buckets; one more bucket holds anything slower.
LATENCY_BOUNDS_SECONDS = (
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.5, 5.0, 10.0, 30.0,
)  # fmt: skip


@dataclass(frozen=True)
class LatencySnapshot:
    counts: tuple[int, ...]  # responses per bucket (LATENCY_BOUNDS_SECONDS, then slower)
    seconds: float  # their round trips, summed

    @property
    def count(self) -> int:
        return sum(self.counts)

    def since(self, earlier: LatencySnapshot | None) -> LatencySnapshot:
        """What happened after `earlier`; all of it when there is none or the client was rebuilt since."""
        if earlier is None or any(now < then for now, then in zip(self.counts, earlier.counts, strict=True)):
            return self
        counts = tuple(now - then for now, then in zip(self.counts, earlier.counts, strict=True))
        return LatencySnapshot(counts, self.seconds - earlier.seconds)

    def mean_ms(self) -> float | None:
        return round(self.seconds / self.count * 1000, 1) if self.count else None

    def quantile_ms(self, q: float) -> float | None:
        """The q-quantile, interpolated linearly inside its bucket (the slowest bucket answers with its floor)."""
        total = self.count
        if not total:
            return None
        rank, seen = q * total, 0
        for index, n in enumerate(self.counts):
            if n and seen + n >= rank:
                low = LATENCY_BOUNDS_SECONDS[index - 1] if index else 0.0
                if index == len(LATENCY_BOUNDS_SECONDS):
                    return round(low * 1000, 1)
                high = LATENCY_BOUNDS_SECONDS[index]
                return round((low + (high - low) * (rank - seen) / n) * 1000, 1)
            seen += n
        return None  # unreachable: the ranks end at `total`


class Latency:
    """One client's histogram; the event loop is its only writer."""

    def __init__(self) -> None:
        self._counts = [0] * (len(LATENCY_BOUNDS_SECONDS) + 1)
        self._seconds = 0.0

    def observe(self, seconds: float) -> None:
        self._counts[bisect_left(LATENCY_BOUNDS_SECONDS, seconds)] += 1
        self._seconds += seconds

    def snapshot(self) -> LatencySnapshot:
        return LatencySnapshot(tuple(self._counts), self._seconds)

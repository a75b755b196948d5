"""Guessing the admin token is throttled: after FAILURES_PER_PEER wrong tokens from one address within
FAILURE_WINDOW_SECONDS, that address is answered 429 with Retry-After (the token is not even compared), and after
FAILURES_OVERALL wrong tokens from anywhere, every address is, until the oldest failure leaves the window.

The console's sign-in form and the admin API's bearer check count against the same throttle (they guard the same
secret). Memory is bounded: at most PEERS_TRACKED addresses, each with its last FAILURES_PER_PEER failure times; the
overall count catches a guesser who spreads over more addresses. Each process keeps its own count (replicas each
allow as many). A success clears its address's failures; the token itself is still compared in constant time
(collections/auth.py `StaticTokenVerifier`).
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque

FAILURES_PER_PEER = 5
FAILURES_OVERALL = 20
FAILURE_WINDOW_SECONDS = 900.0
PEERS_TRACKED = 1024


class FailureThrottle:
    def __init__(
        self,
        per_peer: int = FAILURES_PER_PEER,
        overall: int = FAILURES_OVERALL,
        window: float = FAILURE_WINDOW_SECONDS,
        peers: int = PEERS_TRACKED,
    ) -> None:
        self.per_peer, self.overall, self.window, self.peers = per_peer, overall, window, peers
        self._peers: OrderedDict[str, deque[float]] = OrderedDict()
        self._all: deque[float] = deque(maxlen=overall)

    def retry_after(self, peer: str) -> int:
        """Whole seconds until `peer` may try a token again; 0 when it may now."""
        now = time.monotonic()
        waits = [self._wait(self._peers.get(peer), self.per_peer, now), self._wait(self._all, self.overall, now)]
        return math.ceil(max(waits))

    def failed(self, peer: str) -> int:
        """Count a wrong token from `peer`; returns the seconds it must now wait (0: it may try again at once)."""
        now = time.monotonic()
        mine = self._peers.pop(peer, None) or deque(maxlen=self.per_peer)
        mine.append(now)
        self._peers[peer] = mine  # the most recent last; the least recent is forgotten first
        while len(self._peers) > self.peers:
            self._peers.popitem(last=False)
        self._all.append(now)
        return self.retry_after(peer)

    def succeeded(self, peer: str) -> None:
        self._peers.pop(peer, None)

    def _wait(self, failures: deque[float] | None, limit: int, now: float) -> float:
        """With `limit` failures kept, the door opens when the oldest of them leaves the window."""
        if failures is None or len(failures) < limit:
            return 0.0
        return max(0.0, failures[0] + self.window - now)

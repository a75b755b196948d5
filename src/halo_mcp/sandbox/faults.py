"""Injected faults (rate limit, latency, 5xx, dropped connections, slow responses) and request counters.

Faults apply to `/api` and `/auth` only, never to `/_sandbox`. The random parts use a seeded RNG so a
benchmark run with `error_rate=0.1` is reproducible.

CLI syntax (`--faults`), comma-separated `key=value` items:
    rate_limit=300/300      limit/window_seconds (window defaults to 300); `rate_limit=off` disables
    retry_after=0|1         send Retry-After with 429s (default 1)
    latency=20~5            added latency in ms, with optional uniform jitter (~ms)
    error_rate=0.1          ratio of requests answered with error_status
    error_next=2            the next N matching requests fail
    error_status=503
    drop_rate=0.05, drop_next=1, drop_when=before|after
    slow=3000@0.1           delay responses by 3000 ms for 10 % of requests (`slow=3000` = all)
    slow_next=2             the next N matching requests are slow (needs slow=MS or slow_ms=MS)
    methods=POST+DELETE     restrict faults to these methods
    paths=/api/Tickets+/api/Actions   restrict faults to these case-insensitive path prefixes
Raw JSON keys (latency_ms=, jitter_ms=, slow_ms=, slow_rate=) are accepted too, and so is a JSON object.
"""

from __future__ import annotations

import json
import random
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

RATE_LIMIT_MESSAGE = "Rate Limit Reached - 300 Requests per rolling 5 minute window"

KEYS = {
    "rate_limit",
    "latency_ms",
    "jitter_ms",
    "error_rate",
    "error_next",
    "error_status",
    "drop_rate",
    "drop_next",
    "drop_when",
    "slow_ms",
    "slow_rate",
    "slow_next",
    "methods",
    "paths",
}


class FaultSpecError(ValueError):
    pass


@dataclass
class RateLimit:
    limit: int = 300
    window_seconds: float = 300.0
    retry_after: bool = True


@dataclass
class FaultSpec:
    rate_limit: RateLimit | None = None
    latency_ms: float = 0
    jitter_ms: float = 0
    error_rate: float = 0.0
    error_next: int = 0
    error_status: int = 503
    drop_rate: float = 0.0
    drop_next: int = 0
    drop_when: str = "before"
    slow_ms: float = 0
    slow_rate: float = 0.0
    slow_next: int = 0
    methods: list[str] | None = None
    paths: list[str] | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> FaultSpec:
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise FaultSpecError("faults must be a JSON object")
        unknown = set(data) - KEYS
        if unknown:
            raise FaultSpecError(f"unknown fault keys: {', '.join(sorted(unknown))}")
        spec = cls()
        rl = data.get("rate_limit")
        if rl is not None:
            if rl is True:
                rl = {}
            if not isinstance(rl, dict):
                raise FaultSpecError("rate_limit must be an object or null")
            spec.rate_limit = RateLimit(
                limit=_num(rl.get("limit", 300), "rate_limit.limit", int, 1),
                window_seconds=_num(rl.get("window_seconds", 300), "rate_limit.window_seconds", float, 0.001),
                retry_after=bool(rl.get("retry_after", True)),
            )
        for key in ("latency_ms", "jitter_ms", "slow_ms"):
            if key in data:
                setattr(spec, key, _num(data[key], key, float, 0))
        for key in ("error_rate", "drop_rate", "slow_rate"):
            if key in data:
                value = _num(data[key], key, float, 0)
                if value > 1:
                    raise FaultSpecError(f"{key} must be between 0 and 1")
                setattr(spec, key, value)
        for key in ("error_next", "drop_next", "slow_next"):
            if key in data:
                setattr(spec, key, _num(data[key], key, int, 0))
        if "error_status" in data:
            spec.error_status = _num(data["error_status"], "error_status", int, 400)
            if spec.error_status > 599:
                raise FaultSpecError("error_status must be an HTTP error status")
        if "drop_when" in data:
            if data["drop_when"] not in ("before", "after"):
                raise FaultSpecError("drop_when must be 'before' or 'after'")
            spec.drop_when = data["drop_when"]
        for key in ("methods", "paths"):
            value = data.get(key)
            if value is not None:
                if isinstance(value, str):
                    value = [value]
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise FaultSpecError(f"{key} must be a list of strings or null")
                setattr(spec, key, [v.upper() if key == "methods" else v.lower() for v in value])
        return spec

    def to_dict(self) -> dict[str, Any]:
        rl = self.rate_limit
        return {
            "rate_limit": None
            if rl is None
            else {"limit": rl.limit, "window_seconds": rl.window_seconds, "retry_after": rl.retry_after},
            "latency_ms": self.latency_ms,
            "jitter_ms": self.jitter_ms,
            "error_rate": self.error_rate,
            "error_next": self.error_next,
            "error_status": self.error_status,
            "drop_rate": self.drop_rate,
            "drop_next": self.drop_next,
            "drop_when": self.drop_when,
            "slow_ms": self.slow_ms,
            "slow_rate": self.slow_rate,
            "slow_next": self.slow_next,
            "methods": self.methods,
            "paths": self.paths,
        }


def _num(value: Any, name: str, kind: type, minimum: float) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FaultSpecError(f"{name} must be a number")
    if value < minimum:
        raise FaultSpecError(f"{name} must be >= {minimum}")
    return kind(value)


def parse_cli(text: str | None) -> dict[str, Any]:
    """Parse the compact `--faults` syntax (see the module docstring) into the admin JSON shape."""
    if not text:
        return {}
    text = text.strip()
    if text.startswith("{"):
        data = json.loads(text)
        if not isinstance(data, dict):
            raise FaultSpecError("faults JSON must be an object")
        return data
    out: dict[str, Any] = {}
    retry_after = True
    for item in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = item.partition("=")
        key = key.strip().lower()
        value = value.strip()
        if not sep:
            raise FaultSpecError(f"expected key=value, got {item!r}")
        try:
            if key == "rate_limit":
                if value.lower() in ("off", "none", "0"):
                    out["rate_limit"] = None
                else:
                    limit, _, window = value.partition("/")
                    out["rate_limit"] = {"limit": int(limit), "window_seconds": float(window or 300)}
            elif key == "retry_after":
                retry_after = value.lower() not in ("0", "false", "no", "off")
            elif key == "latency":
                ms, _, jitter = value.partition("~")
                out["latency_ms"] = float(ms)
                if jitter:
                    out["jitter_ms"] = float(jitter)
            elif key == "slow":
                ms, _, rate = value.partition("@")
                out["slow_ms"] = float(ms)
                out["slow_rate"] = float(rate) if rate else 1.0
            elif key in ("methods", "paths"):
                out[key] = [v for v in value.split("+") if v]
            elif key == "drop_when":
                out[key] = value
            elif key in ("error_next", "drop_next", "slow_next", "error_status"):
                out[key] = int(value)
            elif key in KEYS:
                out[key] = float(value)
            else:
                raise FaultSpecError(f"unknown fault {key!r}")
        except ValueError as e:
            if isinstance(e, FaultSpecError):
                raise
            raise FaultSpecError(f"bad value for {key}: {value!r}") from e
    if isinstance(out.get("rate_limit"), dict):
        out["rate_limit"]["retry_after"] = retry_after
    FaultSpec.from_dict(out)  # validate
    return out


@dataclass
class Decision:
    """What to do with one request."""

    rate_limited: bool = False
    retry_after: int = 0
    delay: float = 0.0  # seconds before handling
    error: int = 0  # status to answer with instead of handling
    drop: str = ""  # "before" | "after" | ""
    slow: float = 0.0  # seconds added before the response is sent


@dataclass
class FaultEngine:
    seed: int = 1
    spec: FaultSpec = field(default_factory=FaultSpec)
    rng: random.Random = field(default_factory=random.Random)
    windows: dict[str, deque[float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rng.seed(self.seed)

    def set(self, spec: FaultSpec) -> None:
        self.spec = spec
        self.windows.clear()
        self.rng.seed(self.seed)

    def active(self) -> bool:
        s = self.spec
        return bool(
            s.rate_limit
            or s.latency_ms
            or s.jitter_ms
            or s.error_rate
            or s.error_next
            or s.drop_rate
            or s.drop_next
            or (s.slow_ms and (s.slow_rate or s.slow_next))
        )

    def _matches(self, method: str, path: str) -> bool:
        s = self.spec
        if s.methods is not None and method.upper() not in s.methods:
            return False
        return s.paths is None or any(path.lower().startswith(p) for p in s.paths)

    def decide(self, method: str, path: str, client: str) -> Decision:
        d = Decision()
        s = self.spec
        if not self._matches(method, path):
            return d
        if s.rate_limit is not None:
            now = time.monotonic()
            win = self.windows.setdefault(client, deque())
            while win and win[0] <= now - s.rate_limit.window_seconds:
                win.popleft()
            if len(win) >= s.rate_limit.limit:
                d.rate_limited = True
                if s.rate_limit.retry_after:
                    d.retry_after = max(1, int(win[0] + s.rate_limit.window_seconds - now + 0.999))
                return d
            win.append(now)
        if s.latency_ms or s.jitter_ms:
            d.delay = max(0.0, s.latency_ms + self.rng.uniform(-s.jitter_ms, s.jitter_ms)) / 1000
        if s.drop_next > 0:
            s.drop_next -= 1
            d.drop = s.drop_when
        elif s.drop_rate and self.rng.random() < s.drop_rate:
            d.drop = s.drop_when
        if not d.drop:
            if s.error_next > 0:
                s.error_next -= 1
                d.error = s.error_status
            elif s.error_rate and self.rng.random() < s.error_rate:
                d.error = s.error_status
        if s.slow_ms:
            if s.slow_next > 0:
                s.slow_next -= 1
                d.slow = s.slow_ms / 1000
            elif s.slow_rate and self.rng.random() < s.slow_rate:
                d.slow = s.slow_ms / 1000
        return d


@dataclass
class Counters:
    total: int = 0
    routes: dict[str, int] = field(default_factory=dict)
    rate_limited: int = 0  # requests answered 429 by the rate-limit fault

    def hit(self, key: str) -> None:
        self.total += 1
        self.routes[key] = self.routes.get(key, 0) + 1

    def reset(self) -> None:
        self.total = 0
        self.routes = {}
        self.rate_limited = 0

    def to_dict(self) -> dict[str, Any]:
        return {"total": self.total, "routes": dict(sorted(self.routes.items())), "rate_limited": self.rate_limited}

"""The state store's contracts. Every backend keeps the same facts and the same guarantees:

- a rate-limit `Window` never lets more than `limit` requests start in any `window` seconds, counted over every
  process that shares it; a slot is reserved before a request is sent and stamped when its answer arrives;
- an `AuditStore` keeps every audited write until retention removes it, newest first when read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from halo_mcp.audit import AuditEntry


@dataclass(frozen=True)
class RateLimitState:
    """What we know of the upstream limit, in the spirit of the IETF RateLimit fields."""

    limit: int
    remaining: int
    reset_seconds: float
    window_seconds: float

    def describe(self) -> str:
        return (
            f"Halo rate limit {self.limit} requests per {self.window_seconds:g} s: "
            f"{self.remaining} remaining, window resets in {self.reset_seconds:.0f} s"
        )


class RateLimitWait(Exception):
    """No slot within the caller's wait budget; `seconds` is how long one needs."""

    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.seconds = seconds


class Slot(Protocol):
    def done(self) -> None:
        """The answer arrived: stamp the slot now (never blocks the caller)."""
        ...


class Window(Protocol):
    """One Halo tenant's rolling rate-limit window."""

    limit: int
    window: float

    async def acquire(self, max_wait: float) -> Slot:
        """Reserve a slot, waiting up to `max_wait`; raises RateLimitWait with the seconds a slot needs."""
        ...

    def exhaust(self, retry_after: float | None) -> None:
        """Halo said 429: treat the window as full for `retry_after` seconds (or a whole window)."""
        ...

    def state(self) -> RateLimitState: ...

    def degraded(self) -> str | None:
        """Why this window is running on less than its shared state, or None when it is healthy."""
        ...

    async def aclose(self) -> None: ...


class AuditStore(Protocol):
    """Audited writes; `record` masks secrets in the arguments (audit.py `redact`) before they are stored."""

    def record(
        self,
        *,
        collection: str,
        tool: str,
        arguments: dict[str, Any],
        affected: list[str],
        outcome: str,
        message: str,
    ) -> None: ...

    def entries(self, limit: int = 100, tool: str | None = None, collection: str | None = None) -> list[AuditEntry]: ...

    def prune(self, older_than: float) -> int:
        """Delete entries recorded before `older_than` (epoch seconds); returns how many."""
        ...

    def close(self) -> None: ...

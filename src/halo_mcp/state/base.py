"""The state store's contracts. Every backend keeps the same facts and the same guarantees:

- an `ApiToken` is stored as the SHA-256 digest of its secret, never the secret; lookup is by digest;
- a revoked or expired token is never returned by `find` (so it is refused at once, on every replica);
- store-managed collections are kept as their `CollectionConfig` JSON, keyed by name;
- sign-in records (OAuth clients, pending authorizations, codes, refresh tokens, revoked grants, consents and
  Halo tokens) are opaque bytes by kind and key with an expiry; `take` is atomic (a code or a refresh token is
  used once, on every replica) and `claim` is a lease (one Halo refresh per person at a time). Secrets are keyed
  by digest, and Halo tokens arrive already encrypted;
- a rate-limit `Window` never lets more than `limit` requests start in any `window` seconds, counted over every
  process that shares it; a slot is reserved before a request is sent and stamped when its answer arrives;
- an `AuditStore` keeps every audited write until retention removes it, newest first when read, filtered and
  paged by the database (never by the caller over a part of it).
The token, collection and sign-in methods are coroutines so that a shared backend waits for its network without
blocking the event loop; the embedded one answers at once. The audit is still synchronous, as the SQLite audit
always was.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypedDict, Unpack, runtime_checkable

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

    @property
    def cache(self) -> SharedCache | None:
        """The same store's caches for this tenant (lookup tables, the server's Halo token), when shared."""
        ...

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


class AuditFilters(TypedDict, total=False):
    """What narrows `AuditStore.entries`; a filter left out (or None) matches every entry."""

    tool: str | None
    collection: str | None
    person: str | None
    ticket: int | None
    since: float | None
    until: float | None
    before: int | None


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
        principal: str = "",
    ) -> None: ...

    def entries(self, limit: int = 100, **filters: Unpack[AuditFilters]) -> list[AuditEntry]:
        """Newest first, filtered by the database over the whole audit (audit.py `audit_filter`): `person` is a
        case-insensitive part of the principal, `ticket` a ticket the entry touched, `since` (inclusive) and
        `until` epoch seconds, `before` an entry id (the next page starts below the last one shown)."""
        ...

    def prune(self, older_than: float) -> int:
        """Delete entries recorded before `older_than` (epoch seconds); returns how many."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class ApiToken:
    """A collection credential (not Halo's `HaloToken`, not the SDK's `AccessToken`). Times are epoch seconds."""

    id: str
    collection: str
    label: str
    created: float
    last_used: float | None
    expires: float | None
    revoked: float | None = None

    def usable(self, now: float) -> bool:
        return self.revoked is None and (self.expires is None or self.expires > now)


class TokenStore(Protocol):
    async def add(self, token: ApiToken, digest: bytes) -> None: ...

    async def find(self, digest: bytes, now: float) -> ApiToken | None:
        """The usable token with this digest, or None (unknown, revoked or expired)."""
        ...

    async def touch(self, token_id: str, when: float) -> None:
        """Record a use; callers throttle it, it is bookkeeping, not security."""
        ...

    async def list(self, collection: str | None = None) -> list[ApiToken]: ...

    async def get(self, token_id: str) -> ApiToken | None: ...

    async def revoke(self, token_id: str, when: float) -> bool: ...

    async def revoke_collection(self, collection: str, when: float) -> int: ...

    async def prune(self, now: float) -> int:
        """Delete expired and revoked tokens; returns how many."""
        ...


class CollectionStore(Protocol):
    async def list(self) -> list[dict[str, Any]]: ...

    async def get(self, name: str) -> dict[str, Any] | None: ...

    async def put(self, name: str, definition: dict[str, Any]) -> None: ...

    async def delete(self, name: str) -> bool: ...


class SignInStore(Protocol):
    async def put(self, kind: str, key: str, value: bytes, expires: float | None) -> None: ...

    async def get(self, kind: str, key: str, now: float) -> bytes | None:
        """The unexpired value, or None."""
        ...

    async def take(self, kind: str, key: str, now: float) -> bytes | None:
        """Get and delete in one step: of two concurrent takers, one gets the value."""
        ...

    async def claim(self, kind: str, key: str, value: bytes, expires: float, now: float) -> bool:
        """Put only when absent or expired (a lease): of two concurrent claimers, one gets True."""
        ...

    async def delete(self, kind: str, key: str) -> bool: ...

    async def prune(self, now: float) -> int:
        """Delete expired records; returns how many."""
        ...


class State(Protocol):
    """Opened once (in the lifespan or by a CLI command) and handed down as typed fields."""

    @property
    def tokens(self) -> TokenStore: ...

    @property
    def collections(self) -> CollectionStore: ...

    @property
    def signin(self) -> SignInStore: ...

    def close(self) -> None: ...

    async def release(self) -> None:
        """Close the connections opened in the running event loop (a shared store's pool belongs to one loop); the
        store opens new ones if used again, until `close`."""
        ...


@runtime_checkable
class CollectionChanges(Protocol):
    """A shared `CollectionStore` that other processes change: each replica polls `version` and re-reads the
    collections when it moved (the embedded store, one process's, is re-read on reload only)."""

    async def version(self) -> int:
        """A number that changes whenever any process changes the stored collections."""
        ...


class StateUnavailable(Exception):
    """The shared store cannot be reached (its type name in `args`, never its URL): a request that needs it is
    answered 503 with Retry-After, and the server keeps running; the store reconnects on its own."""


@dataclass(frozen=True)
class StoredKey:
    """One key of a shared ring: `secret` as the store keeps it (wrapped, see state/keyring.py); it signs or seals
    from `active_from` (epoch seconds), and verifies or opens from the moment a replica has loaded it."""

    kid: str
    secret: bytes
    active_from: float


class KeyRingStore(Protocol):
    """Named key rings replicas share. Synchronous: a ring is loaded at start and refreshed off the event loop."""

    def keys(self, ring: str) -> list[StoredKey]: ...

    def add(self, ring: str, key: StoredKey, *, only_first: bool = False) -> bool:
        """Add a key; with `only_first`, only to an empty ring (of replicas starting together, one key wins)."""
        ...

    def remove(self, ring: str, kids: list[str]) -> int: ...

    def close(self) -> None: ...


class SharedCache(Protocol):
    """Short-lived values replicas share (lookup tables, the server's Halo token, sealed) and leases on them.
    Best effort: an unreachable store reads as a miss and grants the lease, so a call never fails on it."""

    async def get(self, key: str) -> bytes | None: ...

    async def put(self, key: str, value: bytes, ttl: float) -> None: ...

    async def lease(self, key: str, ttl: float) -> bool:
        """Take the lease `key` for `ttl` seconds unless another holder has it."""
        ...

    async def release(self, key: str) -> None: ...

    async def aclose(self) -> None: ...

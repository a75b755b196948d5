"""The state store's contracts. Every backend keeps the same facts and the same guarantees:

- an `ApiToken` is stored as the SHA-256 digest of its secret, never the secret; lookup is by digest;
- a revoked or expired token is never returned by `find` (so it is refused at once, on every replica);
- store-managed collections are kept as their `CollectionConfig` JSON, keyed by name.
The methods are coroutines so that a shared backend (PostgreSQL, Redis) waits for its network without blocking the
event loop; the embedded one answers at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


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


class State(Protocol):
    """Opened once (in the lifespan or by a CLI command) and handed down as typed fields."""

    @property
    def tokens(self) -> TokenStore: ...

    @property
    def collections(self) -> CollectionStore: ...

    def close(self) -> None: ...

"""One Halo client per signed-in person, so every Halo request of their session is made as them: their
permissions, their "me", their audit principal in Halo. The person's client shares the tenant's rate budget
(one limiter: Halo counts per tenant) but never its token.

Halo tokens are read from the store (sealed), refreshed shortly before expiry with one refresh in flight per
person (Halo rotates refresh tokens, so two concurrent refreshes would end the sign-in): a lock in this process,
and a lease in the store across replicas; whoever does not hold the lease waits for the grant the holder writes
back (sealed), and uses it instead of refreshing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import replace

from mcp.server.auth.provider import TokenError

from halo_mcp.config import HaloSettings
from halo_mcp.halo.auth import HaloToken
from halo_mcp.halo.client import HaloClient
from halo_mcp.halo.errors import HaloAuthError
from halo_mcp.halo.oauth import HaloSignIn
from halo_mcp.server.auth.provider import HaloAuthProvider

REFRESH_LEASE = 30.0  # seconds a replica may hold the right to refresh one person's Halo token
LEASE_POLL = 0.1


class PersonTokens:
    """The `HaloClient.tokens` of one person: the same face as `HaloTokenManager`."""

    def __init__(self, provider: HaloAuthProvider, signin: HaloSignIn, subject: str, scope: str) -> None:
        self.provider = provider
        self.signin = signin
        self.subject = subject
        self.scope = scope
        self.token_url = f"{signin.auth_url}/token"
        self.refresh_margin = signin.settings.token_refresh_margin  # as for the server's own token
        self._grant: HaloToken | None = None
        self._lock = asyncio.Lock()

    @property
    def granted_scope(self) -> str | None:
        return self._grant.scope if self._grant else None

    async def current(self) -> str:
        grant = self._grant
        if grant and grant.expires_at - self.refresh_margin > time.time():
            return grant.access_token
        return await self._renew(grant.access_token if grant else None)

    async def invalidate(self, stale: str) -> str:
        return await self._renew(stale, force=True)

    async def _renew(self, stale: str | None, force: bool = False) -> str:
        async with self._lock:
            deadline = time.monotonic() + REFRESH_LEASE
            while True:
                grant = await self._usable(stale, force)
                if isinstance(grant, str):
                    return grant
                if await self.provider.lease_refresh(self.subject, REFRESH_LEASE):
                    break
                if time.monotonic() > deadline:
                    raise HaloAuthError("renewing your Halo sign-in is taking too long; try again in a minute")
                await asyncio.sleep(LEASE_POLL)  # another replica is refreshing: wait for what it writes back
            try:
                grant = await self._usable(stale, force)  # the previous holder may have just written one
                return grant if isinstance(grant, str) else await self._refresh(grant)
            finally:
                await self.provider.release_refresh(self.subject)

    async def _usable(self, stale: str | None, force: bool) -> str | HaloToken:
        """The stored access token when it is good (and not the one Halo refused), else the grant to refresh."""
        grant = await self.provider.load_halo_grant(self.subject)
        if grant is None:
            raise HaloAuthError("your Halo sign-in is gone: sign in again from your MCP client")
        if grant.expires_at - self.refresh_margin > time.time() and not (force and grant.access_token == stale):
            self._grant = grant
            return grant.access_token
        return grant

    async def _refresh(self, grant: HaloToken) -> str:
        if not grant.refresh_token:
            raise HaloAuthError("your Halo sign-in has expired: sign in again from your MCP client")
        try:
            renewed = await self.signin.refresh(grant.refresh_token)
        except TokenError:
            await self.provider.forget_halo_grant(self.subject)
            raise HaloAuthError(
                "Halo ended your sign-in; your MCP client will ask you to sign in again on its next request"
            ) from None
        if renewed.refresh_token is None:
            renewed = replace(renewed, refresh_token=grant.refresh_token)
        await self.provider.save_halo_grant(self.subject, renewed)
        self._grant = renewed
        return renewed.access_token


class People:
    """Signed-in persons' Halo clients, by subject (`tenant/kind/id`)."""

    def __init__(
        self,
        provider: HaloAuthProvider,
        tenants: dict[str, HaloSettings],
        shared: Callable[[str], HaloClient],
        signin: Callable[[str], HaloSignIn],
    ) -> None:
        self.provider = provider
        self.tenants = tenants
        self.shared = shared
        self.signin = signin
        self.clients: dict[str, HaloClient] = {}

    def client(self, subject: str) -> HaloClient:
        found = self.clients.get(subject)
        if found is None:
            tenant = subject.split("/", 1)[0]
            tenant_client = self.shared(tenant)
            # One budget per tenant, whoever asks: the person's client shares the tenant's window.
            found = HaloClient(
                self.tenants[tenant],
                scope=tenant_client.tokens.scope,
                policy=tenant_client.policy,
                window=tenant_client.limiter,
            )
            found.tokens = PersonTokens(self.provider, self.signin(tenant), subject, found.tokens.scope)  # type: ignore[assignment]
            self.clients[subject] = found
        return found

    async def aclose(self) -> None:
        for client in self.clients.values():
            client.limiter = None  # the tenant's window, closed with the tenant's client
            await client.aclose()
        self.clients = {}

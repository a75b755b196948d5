"""One Halo client per signed-in person, so every Halo request of their session is made as them: their
permissions, their "me", their audit principal in Halo. The person's client shares the tenant's rate budget
(one limiter: Halo counts per tenant) but never its token.

Halo tokens are read from the store (sealed), refreshed shortly before expiry with one refresh in flight per
person in this process (Halo rotates refresh tokens, so two concurrent refreshes would end the sign-in), and
written back sealed. A replica that finds a fresher grant in the store uses it instead of refreshing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from mcp.server.auth.provider import TokenError

from halo_mcp.config import HaloSettings
from halo_mcp.halo.client import HaloClient
from halo_mcp.halo.errors import HaloAuthError
from halo_mcp.halo.oauth import HaloGrant, HaloSignIn
from halo_mcp.server.auth.provider import HaloAuthProvider

REFRESH_MARGIN = 60.0  # seconds before expiry a Halo token is renewed


class PersonTokens:
    """The `HaloClient.tokens` of one person: the same face as `HaloTokenManager`."""

    def __init__(self, provider: HaloAuthProvider, signin: HaloSignIn, subject: str, scope: str) -> None:
        self.provider = provider
        self.signin = signin
        self.subject = subject
        self.scope = scope
        self.token_url = f"{signin.auth_url}/token"
        self._grant: HaloGrant | None = None
        self._lock = asyncio.Lock()

    @property
    def granted_scope(self) -> str | None:
        return self._grant.scope if self._grant else None

    async def current(self) -> str:
        grant = self._grant
        if grant and grant.expires_at - REFRESH_MARGIN > time.time():
            return grant.access_token
        return await self._renew(grant.access_token if grant else None)

    async def invalidate(self, stale: str) -> str:
        return await self._renew(stale, force=True)

    async def _renew(self, stale: str | None, force: bool = False) -> str:
        async with self._lock:
            grant = await self.provider.load_halo_grant(self.subject)
            if grant is None:
                raise HaloAuthError("your Halo sign-in is gone: sign in again from your MCP client")
            fresh = grant.expires_at - REFRESH_MARGIN > time.time()
            if fresh and not (force and grant.access_token == stale):
                self._grant = grant
                return grant.access_token
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
                renewed = HaloGrant(renewed.access_token, grant.refresh_token, renewed.expires_at, renewed.scope)
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
            found = HaloClient(self.tenants[tenant], scope=tenant_client.tokens.scope, policy=tenant_client.policy)
            found.tokens = PersonTokens(self.provider, self.signin(tenant), subject, found.tokens.scope)  # type: ignore[assignment]
            found.limiter = tenant_client.limiter  # one budget per tenant, whoever asks
            self.clients[subject] = found
        return found

    async def aclose(self) -> None:
        for client in self.clients.values():
            await client.aclose()
        self.clients = {}

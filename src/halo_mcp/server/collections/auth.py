"""Who is calling a collection. Every way in is a verifier with the SDK's `TokenVerifier` shape that yields an
`AccessToken`; one backend (`CollectionAuth`) reads them and decides.

Policy, after Host/Origin have passed:
- `auth = []` (loopback only, enforced at validation): no credential, an anonymous principal;
- `bearer`: `Authorization: Bearer <ApiToken of this collection>`;
- `url_token`: the collection is reached only at `/mcp/t/<token>`; with `bearer` too, both must be valid and
  different tokens (a leaked URL alone is not enough);
- `oauth`: `Authorization: Bearer <JWT>` issued by our sign-in for exactly this collection's URL; without one the
  401 names the collection's protected resource metadata (server/auth/resource.py); the principal carries the
  signed-in person's own Halo client;
- a token of another collection, or an unknown, revoked or expired one, is 401 `invalid_token` at once.
Tokens are looked up by SHA-256 digest (the secret is never stored or compared in clear); the admin token's digest
is compared with `hmac.compare_digest`.
"""

from __future__ import annotations

import hmac
import time
from typing import TYPE_CHECKING

from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from starlette.requests import Request
from starlette.responses import Response

from halo_mcp.server.collections.spec import CollectionSpec
from halo_mcp.server.http import digest, unauthorized
from halo_mcp.state.base import TokenStore

if TYPE_CHECKING:
    from halo_mcp.halo.client import HaloClient
    from halo_mcp.server.auth.people import People
    from halo_mcp.server.auth.resource import ResourceServer

ANONYMOUS = AccessToken(token="", client_id="anonymous", scopes=[], subject="anonymous")
# A token's last use is recorded at most this often: a write per request would cost more than the check itself.
LAST_USED_RESOLUTION = 60.0


class ApiTokenVerifier:
    """ApiTokens from the state store. `AccessToken.token` holds the token's id, never its secret;
    `resource` is the collection the token was issued for."""

    def __init__(self, tokens: TokenStore) -> None:
        self.tokens = tokens
        self._touched: dict[str, float] = {}

    async def verify_token(self, token: str) -> AccessToken | None:
        now = time.time()
        found = await self.tokens.find(digest(token), now)
        if found is None:
            return None
        if now - self._touched.get(found.id, 0.0) > LAST_USED_RESOLUTION:
            self._touched[found.id] = now
            await self.tokens.touch(found.id, now)
        return AccessToken(
            token=found.id,
            client_id=found.id,
            scopes=[],
            expires_at=int(found.expires) if found.expires else None,
            resource=found.collection,
            subject=found.label,
        )


class StaticTokenVerifier:
    """One fixed secret known by its digest (the admin token)."""

    def __init__(self, secret: str, client_id: str) -> None:
        self._digest = digest(secret)
        self.client_id = client_id

    async def verify_token(self, token: str) -> AccessToken | None:
        if not hmac.compare_digest(digest(token), self._digest):
            return None
        return AccessToken(token=self.client_id, client_id=self.client_id, scopes=["admin"], subject=self.client_id)


def bearer(request: Request) -> str | None:
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    presented = presented.strip()
    return presented if scheme.lower() == "bearer" and presented else None


class SignedInUser(AuthenticatedUser):
    """A person signed in with OAuth: the surface makes their Halo requests with `halo`, their own client."""

    def __init__(self, auth_info: AccessToken, halo: HaloClient) -> None:
        super().__init__(auth_info)
        self.halo = halo


class CollectionAuth:
    """The one authentication backend for collection endpoints."""

    def __init__(self, verifier: ApiTokenVerifier) -> None:
        self.verifier = verifier
        self.oauth: ResourceServer | None = None
        self.people: People | None = None

    async def authenticate(
        self, request: Request, spec: CollectionSpec, url_token: AccessToken | None
    ) -> AuthenticatedUser | Response:
        modes = spec.config.auth
        if not modes:
            return AuthenticatedUser(ANONYMOUS)
        principal: AccessToken | None = None
        if "oauth" in modes:
            if self.oauth is None or self.people is None:
                return unauthorized("sign-in is not configured on this server (HALO_MCP_SIGNIN_KEYS)")
            presented = bearer(request)
            signed = await self.oauth.verifier(spec).verify_token(presented) if presented else None
            if signed is None:
                why = "the token is unknown, expired, revoked or for another collection" if presented else ""
                return self.oauth.challenge(spec, why)
            assert signed.subject is not None
            return SignedInUser(signed, self.people.client(signed.subject))
        if "url_token" in modes:
            if url_token is None:
                return unauthorized(f"collection {spec.name!r} is reached at its token URL, /mcp/t/<token>")
            principal = url_token
        if "bearer" in modes:
            presented = bearer(request)
            if presented is None:
                return unauthorized("")
            checked = await self.verifier.verify_token(presented)
            if checked is None or checked.resource != spec.name:
                return unauthorized("the bearer token is unknown, revoked, expired or for another collection")
            if url_token is not None and checked.client_id == url_token.client_id:
                return unauthorized("the bearer token must be another token than the one in the URL")
            principal = checked
        assert principal is not None
        return AuthenticatedUser(principal)

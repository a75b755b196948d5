"""Sign-in assembled for one collections server: the provider, its routes, the resource server and the people."""

from __future__ import annotations

import logging
from collections.abc import Callable

import httpx2

from halo_mcp.config import ConfigError, HaloSettings, ServerSettings
from halo_mcp.halo.client import HaloClient
from halo_mcp.halo.oauth import HaloSignIn
from halo_mcp.server.auth.cimd import MetadataDocuments
from halo_mcp.server.auth.keys import KeyRing
from halo_mcp.server.auth.people import People
from halo_mcp.server.auth.provider import CALLBACK_PATH, CONSENT_PATH, HaloAuthProvider
from halo_mcp.server.auth.resource import METADATA_PREFIX, ResourceServer
from halo_mcp.server.auth.routes import signin_app
from halo_mcp.server.collections.spec import CollectionSpec
from halo_mcp.state.base import SignInStore
from halo_mcp.state.keyring import open_rings

log = logging.getLogger("halo_mcp.signin")

PATHS = frozenset({"/authorize", "/token", "/register", "/revoke", CALLBACK_PATH, CONSENT_PATH})
AS_METADATA = "/.well-known/oauth-authorization-server"


class SignIn:
    def __init__(
        self,
        store: SignInStore,
        settings: ServerSettings,
        public_url: str,
        tenants: dict[str, HaloSettings],
        collections: Callable[[], dict[str, CollectionSpec]],
        shared: Callable[[str], HaloClient],
    ) -> None:
        if settings.signin_keys is None:
            raise ConfigError(
                'HALO_MCP_SIGNIN_KEYS: required for collections with auth = ["oauth"] (it seals Halo tokens and '
                "signs access tokens); see the README's per-user sign-in section"
            )
        keys = KeyRing.of(open_rings(settings))  # shared when PostgreSQL or Redis is (state/keyring.py)
        self.http = httpx2.AsyncClient(timeout=15.0)
        self._halo: dict[str, HaloSignIn] = {}
        self.tenants = tenants
        documents = MetadataDocuments(ServerSettings.split(settings.cimd_hosts), ca_file=settings.cimd_ca_file)
        self.provider = HaloAuthProvider(
            store,
            keys,
            issuer=public_url.rstrip("/"),
            base_url=public_url,
            collections=collections,
            halo=self.halo,
            documents=documents,
            token_lifetime=settings.signin_token_lifetime,
            refresh_lifetime=settings.signin_refresh_lifetime,
        )
        token = settings.registration_token.get_secret_value() if settings.registration_token else None
        self.app = signin_app(self.provider, registration_token=token)
        self.resource = ResourceServer(self.provider)
        self.people = People(self.provider, tenants, shared, self.halo)

    def halo(self, tenant: str) -> HaloSignIn:
        found = self._halo.get(tenant)
        if found is None:
            found = self._halo[tenant] = HaloSignIn(self.tenants[tenant], self.http)
        return found

    @staticmethod
    def serves(path: str) -> bool:
        return path in PATHS or path == AS_METADATA

    async def aclose(self) -> None:
        await self.people.aclose()
        await self.http.aclose()


__all__ = ["METADATA_PREFIX", "SignIn"]

"""The resource server side of sign-in, per collection: RFC 9728 metadata at
`/.well-known/oauth-protected-resource/mcp/<name>`, the 401 challenge that points at it (with `scope=`), tokens
accepted only for this collection's URL (a token for `/mcp/a` is refused at `/mcp/b`), and the 403
`insufficient_scope` challenge for a write tool called without `halo:write`."""

from __future__ import annotations

import json

from mcp.server.auth.provider import AccessToken
from mcp.shared.auth import ProtectedResourceMetadata
from starlette.responses import Response

from halo_mcp.server.auth.provider import HaloAuthProvider
from halo_mcp.server.auth.scopes import WRITE, collection_scopes
from halo_mcp.server.collections.spec import CollectionSpec

METADATA_PREFIX = "/.well-known/oauth-protected-resource/mcp/"


class CollectionTokenVerifier:
    """The SDK's `TokenVerifier` for one collection: our JWTs whose audience is exactly its URL."""

    def __init__(self, server: ResourceServer, spec: CollectionSpec) -> None:
        self.server = server
        self.spec = spec

    async def verify_token(self, token: str) -> AccessToken | None:
        return await self.server.verify(token, self.spec)


class ResourceServer:
    def __init__(self, provider: HaloAuthProvider) -> None:
        self.provider = provider

    def verifier(self, spec: CollectionSpec) -> CollectionTokenVerifier:
        return CollectionTokenVerifier(self, spec)

    def metadata_url(self, spec: CollectionSpec) -> str:
        return f"{self.provider.base_url}{METADATA_PREFIX}{spec.name}"

    def metadata(self, spec: CollectionSpec) -> Response:
        document = ProtectedResourceMetadata.model_validate(
            {
                "resource": self.provider.resource_url(spec.name),
                "authorization_servers": [self.provider.issuer],
                "scopes_supported": collection_scopes(spec),
                "resource_name": spec.config.description or f"Halo: {spec.name}",
            }
        )
        return Response(
            document.model_dump_json(exclude_none=True),
            media_type="application/json",
            headers={"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"},
        )

    async def verify(self, token: str, spec: CollectionSpec) -> AccessToken | None:
        """A token of ours, unrevoked, unexpired, issued for exactly this collection, whose person is still signed
        in to Halo (when Halo ends that, the 401 makes the client sign in again)."""
        found = await self.provider.load_access_token(token)
        if found is None or found.resource != self.provider.resource_url(spec.name):
            return None
        if found.subject is None or not await self.provider.has_halo_grant(found.subject):
            return None
        return found

    def challenge(self, spec: CollectionSpec, description: str = "") -> Response:
        return self._refusal(spec, 401, "invalid_token" if description else "", description, collection_scopes(spec))

    def insufficient(self, spec: CollectionSpec, tool: str, granted: list[str]) -> Response:
        scopes = sorted({*granted, WRITE})
        return self._refusal(spec, 403, "insufficient_scope", f"{tool} changes Halo: it needs {WRITE}", scopes)

    def _refusal(self, spec: CollectionSpec, status: int, error: str, description: str, scopes: list[str]) -> Response:
        parts = [f'resource_metadata="{self.metadata_url(spec)}"', f'scope="{" ".join(scopes)}"']
        if error:
            parts.insert(0, f'error="{error}", error_description="{description}"')
        body = {"error": error or "unauthorized", "error_description": description or "sign in to use this collection"}
        return Response(
            json.dumps(body),
            status_code=status,
            media_type="application/json",
            headers={"WWW-Authenticate": "Bearer " + ", ".join(parts)},
        )

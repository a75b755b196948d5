"""The authorization server facade: the SDK's `OAuthAuthorizationServerProvider` over the state store.

Policy:
- `/authorize` needs PKCE S256 (the SDK's handler refuses anything else), a registered redirect URI, and a
  `resource` naming a served collection with `auth = ["oauth"]` (`invalid_target` otherwise); the person then
  signs in to Halo (our own PKCE), is identified there, must be of the collection's audience (an agent for an
  agent collection, an end user for a user one), and consents once per client, collection and scopes;
- codes are single-use and live 5 minutes; access tokens are JWTs (HS256, key ring) with `aud` = the collection
  URL, `sub` = tenant/kind/id and a grant id; refresh tokens rotate on every use, and a spent one presented
  again revokes its whole grant (OAuth 2.1 reuse detection);
- revoking any token of a grant revokes the grant: every check reads the revocation, so it applies at once, on
  every replica;
- secrets are stored by SHA-256 digest; the Halo grant is sealed with the key ring under the person's record.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt
from mcp.server.auth.provider import (
    AccessToken,
    AuthorizationCode,
    AuthorizationParams,
    AuthorizeError,
    RefreshToken,
    RegistrationError,
    TokenError,
    construct_redirect_uri,
)
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken

from halo_mcp.halo.auth import HaloToken
from halo_mcp.halo.login import pkce_pair
from halo_mcp.halo.oauth import HaloSignIn, Person
from halo_mcp.server.auth.cimd import MetadataDocuments
from halo_mcp.server.auth.keys import KeyRing
from halo_mcp.server.auth.scopes import collection_scopes, halo_scope
from halo_mcp.server.collections.spec import CollectionSpec
from halo_mcp.state.base import SignInStore

CODE_LIFETIME = 300.0
PENDING_LIFETIME = 600.0  # the person's time to sign in to Halo and consent
CALLBACK_PATH = "/oauth/callback"
CONSENT_PATH = "/oauth/consent"
ALGORITHM = "HS256"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class GrantRefreshToken(RefreshToken):
    grant: str


@dataclass(frozen=True)
class Consent:
    """A sign-in waiting for the person's yes: shown on the consent page, then turned into a code."""

    id: str
    client_name: str
    collection: str
    scopes: list[str]
    person: str


class HaloAuthProvider:
    """Clients, codes, tokens and revocation for every OAuth collection of this server (one issuer)."""

    def __init__(
        self,
        store: SignInStore,
        keys: KeyRing,
        *,
        issuer: str,
        base_url: str,
        collections: Callable[[], dict[str, CollectionSpec]],
        halo: Callable[[str], HaloSignIn],
        documents: MetadataDocuments,
        token_lifetime: int = 600,
        refresh_lifetime: int = 30 * 86400,
    ) -> None:
        self.store = store
        self.keys = keys
        self.issuer = issuer
        self.base_url = base_url.rstrip("/")
        self.collections = collections
        self.halo = halo
        self.documents = documents
        self.token_lifetime = token_lifetime
        self.refresh_lifetime = refresh_lifetime

    # -- clients -------------------------------------------------------------------------------------------

    async def get_client(self, client_id: str) -> OAuthClientInformationFull | None:
        if client_id.startswith("https://"):
            return await self.documents.client(client_id)
        raw = await self.store.get("client", client_id, time.time())
        return OAuthClientInformationFull.model_validate_json(raw) if raw else None

    async def register_client(self, client_info: OAuthClientInformationFull) -> None:
        if not client_info.redirect_uris:
            raise RegistrationError("invalid_redirect_uri", "register at least one redirect URI")
        await self.store.put("client", client_info.client_id, client_info.model_dump_json().encode(), None)

    # -- authorize: to Halo and back -----------------------------------------------------------------------

    def resource_url(self, name: str) -> str:
        return f"{self.base_url}/mcp/{name}"

    def collection_for(self, resource: str | None) -> CollectionSpec:
        prefix = f"{self.base_url}/mcp/"
        name = (resource or "").rstrip("/").removeprefix(prefix) if (resource or "").startswith(prefix) else ""
        spec = self.collections().get(name)
        if spec is None or "oauth" not in spec.config.auth:
            raise AuthorizeError(
                "invalid_target", f"resource {resource!r} is not a collection of this server that signs users in"
            )
        return spec

    async def authorize(self, client: OAuthClientInformationFull, params: AuthorizationParams) -> str:
        spec = self.collection_for(params.resource)
        offered = collection_scopes(spec)
        scopes = params.scopes or offered
        unknown = [s for s in scopes if s not in offered]
        if unknown:
            raise AuthorizeError("invalid_scope", f"collection {spec.name!r} offers {' '.join(offered)}, not {unknown}")
        verifier, challenge = pkce_pair()
        state = secrets.token_urlsafe(32)
        pending = {
            "client_id": client.client_id,
            "params": params.model_dump(mode="json"),
            "scopes": scopes,
            "verifier": verifier,
            "collection": spec.name,
        }
        await self.store.put("pending", state, json.dumps(pending).encode(), time.time() + PENDING_LIFETIME)
        return self.halo(spec.tenant).authorize_url(
            redirect_uri=self.base_url + CALLBACK_PATH, state=state, challenge=challenge, scope=halo_scope(spec, scopes)
        )

    async def pending(self, state: str) -> tuple[OAuthClientInformationFull, AuthorizationParams, dict[str, Any]]:
        """The authorization a Halo callback answers (once); AuthorizeError when unknown or expired."""
        data = await self._take_request(
            "pending", state, "this sign-in is unknown or expired; start again from the client"
        )
        client = await self._registered(data["client_id"])
        return client, AuthorizationParams.model_validate(data["params"]), data

    async def signed_in(self, pending: dict[str, Any], code: str) -> tuple[Person, str]:
        """Exchange Halo's code, find out who signed in, check the audience, keep the Halo grant (sealed)."""
        spec = self.collection_for(self.resource_url(pending["collection"]))
        halo = self.halo(spec.tenant)
        grant = await halo.exchange(code, redirect_uri=self.base_url + CALLBACK_PATH, verifier=pending["verifier"])
        person = await halo.who(grant.access_token)
        if person.kind != spec.config.audience:
            wanted = "agents" if spec.config.audience == "agent" else "end users"
            raise AuthorizeError(
                "access_denied",
                f"collection {spec.name!r} is for {wanted}; {person.name or person.id} signed in as {person.kind}",
            )
        subject = f"{spec.tenant}/{person.kind}/{person.id}"
        await self.save_halo_grant(subject, grant)
        return person, subject

    async def consented(self, subject: str, client_id: str, resource: str, scopes: list[str]) -> bool:
        raw = await self.store.get("consent", _consent_key(subject, client_id, resource), time.time())
        return raw is not None and set(scopes) <= set(json.loads(raw))

    async def ask_consent(
        self,
        client: OAuthClientInformationFull,
        params: AuthorizationParams,
        pending: dict[str, Any],
        subject: str,
        person: Person,
    ) -> Consent:
        consent_id = secrets.token_urlsafe(32)
        record = {"client_id": client.client_id, "params": params.model_dump(mode="json"), "subject": subject}
        record["scopes"] = pending["scopes"]
        await self.store.put("asking", consent_id, json.dumps(record).encode(), time.time() + PENDING_LIFETIME)
        name = client.client_name or client.client_id
        shown = f"{person.name} ({person.kind} {person.id})" if person.name else f"{person.kind} {person.id}"
        return Consent(consent_id, name, pending["collection"], pending["scopes"], shown)

    async def answer_consent(
        self, consent_id: str
    ) -> tuple[OAuthClientInformationFull, AuthorizationParams, str, list[str]]:
        data = await self._take_request("asking", consent_id, "this consent request is unknown or expired; start again")
        client = await self._registered(data["client_id"])
        return client, AuthorizationParams.model_validate(data["params"]), data["subject"], data["scopes"]

    async def _take_request(self, kind: str, key: str, gone: str) -> dict[str, Any]:
        """A stored step of a sign-in, taken once; AuthorizeError naming what to do when unknown or expired."""
        raw = await self.store.take(kind, key, time.time())
        if raw is None:
            raise AuthorizeError("invalid_request", gone)
        data: dict[str, Any] = json.loads(raw)
        return data

    async def _registered(self, client_id: str) -> OAuthClientInformationFull:
        client = await self.get_client(client_id)
        if client is None:
            raise AuthorizeError("unauthorized_client", "the client is no longer registered")
        return client

    async def remember_consent(self, subject: str, client_id: str, resource: str, scopes: list[str]) -> None:
        key = _consent_key(subject, client_id, resource)
        await self.store.put("consent", key, json.dumps(sorted(scopes)).encode(), None)

    async def issue_code(
        self, client: OAuthClientInformationFull, params: AuthorizationParams, subject: str, scopes: list[str]
    ) -> str:
        """The redirect back to the client: a fresh code, its state and our issuer (RFC 9207)."""
        code = secrets.token_urlsafe(32)
        record = AuthorizationCode(
            code=code,
            scopes=scopes,
            expires_at=time.time() + CODE_LIFETIME,
            client_id=client.client_id,
            code_challenge=params.code_challenge,
            redirect_uri=params.redirect_uri,
            redirect_uri_provided_explicitly=params.redirect_uri_provided_explicitly,
            resource=params.resource,
            subject=subject,
        )
        await self.store.put("code", digest(code), record.model_dump_json().encode(), record.expires_at)
        return construct_redirect_uri(str(params.redirect_uri), code=code, state=params.state, iss=self.issuer)

    def error_redirect(self, params: AuthorizationParams, error: AuthorizeError) -> str:
        return construct_redirect_uri(
            str(params.redirect_uri),
            error=error.error,
            error_description=error.error_description,
            state=params.state,
            iss=self.issuer,
        )

    # -- tokens --------------------------------------------------------------------------------------------

    async def load_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: str
    ) -> AuthorizationCode | None:
        raw = await self.store.take("code", digest(authorization_code), time.time())  # used once, even if refused
        return AuthorizationCode.model_validate_json(raw) if raw else None

    async def exchange_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: AuthorizationCode
    ) -> OAuthToken:
        if authorization_code.subject is None or authorization_code.resource is None:
            raise TokenError("invalid_grant", "the code carries no sign-in")
        return await self._tokens(
            client.client_id, authorization_code.scopes, authorization_code.resource, authorization_code.subject
        )

    async def load_refresh_token(self, client: OAuthClientInformationFull, refresh_token: str) -> RefreshToken | None:
        key = digest(refresh_token)
        now = time.time()
        raw = await self.store.get("refresh", key, now)
        if raw is None:
            spent = await self.store.get("spent", key, now)
            if spent is not None:  # a rotated token used again: someone holds a copy, end the grant
                await self._revoke_grant(spent.decode())
            return None
        token = GrantRefreshToken.model_validate_json(raw)
        if await self.store.get("revoked", token.grant, now) is not None:
            return None
        return token

    async def exchange_refresh_token(
        self, client: OAuthClientInformationFull, refresh_token: RefreshToken, scopes: list[str]
    ) -> OAuthToken:
        assert isinstance(refresh_token, GrantRefreshToken)
        now = time.time()
        if await self.store.take("refresh", digest(refresh_token.token), now) is None:
            raise TokenError("invalid_grant", "refresh token already used")
        await self.store.put(
            "spent", digest(refresh_token.token), refresh_token.grant.encode(), refresh_token.expires_at
        )
        assert refresh_token.resource and refresh_token.subject
        return await self._tokens(
            client.client_id, scopes, refresh_token.resource, refresh_token.subject, refresh_token.grant
        )

    async def _tokens(
        self, client_id: str, scopes: list[str], resource: str, subject: str, grant: str | None = None
    ) -> OAuthToken:
        now = int(time.time())
        grant = grant or uuid.uuid4().hex
        kid, key = self.keys.signing
        claims = {
            "iss": self.issuer,
            "aud": resource,
            "sub": subject,
            "client_id": client_id,
            "scope": " ".join(scopes),
            "iat": now,
            "exp": now + self.token_lifetime,
            "jti": uuid.uuid4().hex,
            "gid": grant,
        }
        access = jwt.encode(claims, key, algorithm=ALGORITHM, headers={"kid": kid})
        refresh = secrets.token_urlsafe(32)
        record = GrantRefreshToken(
            token=refresh,
            client_id=client_id,
            scopes=scopes,
            expires_at=now + self.refresh_lifetime,
            resource=resource,
            subject=subject,
            grant=grant,
        )
        await self.store.put("refresh", digest(refresh), record.model_dump_json().encode(), record.expires_at)
        return OAuthToken(
            access_token=access,
            token_type="Bearer",
            expires_in=self.token_lifetime,
            scope=" ".join(scopes),
            refresh_token=refresh,
        )

    async def load_access_token(self, token: str) -> AccessToken | None:
        """A valid, unrevoked JWT of ours, whatever its audience (the resource server checks that)."""
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key = self.keys.verifying(str(kid)) if kid else None
            if key is None:
                return None
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                issuer=self.issuer,
                options={"verify_aud": False, "require": ["exp", "aud", "sub", "gid"]},
            )
        except jwt.PyJWTError:
            return None
        if await self.store.get("revoked", str(claims["gid"]), time.time()) is not None:
            return None
        return AccessToken(
            token=str(claims["jti"]),  # an id, never the token itself (it reaches logs and the audit)
            client_id=str(claims["client_id"]),
            scopes=str(claims.get("scope", "")).split(),
            expires_at=int(claims["exp"]),
            resource=str(claims["aud"]),
            subject=str(claims["sub"]),
            claims={"iss": claims["iss"], "gid": claims["gid"]},
        )

    async def revoke_token(self, token: AccessToken | RefreshToken) -> None:
        if isinstance(token, GrantRefreshToken):
            grant: Any = token.grant
        else:
            grant = (token.claims or {}).get("gid") if isinstance(token, AccessToken) else None
        if grant:
            await self._revoke_grant(str(grant))

    async def _revoke_grant(self, grant: str) -> None:
        await self.store.put("revoked", grant, b"1", time.time() + self.refresh_lifetime)

    # -- the Halo grant, sealed ----------------------------------------------------------------------------

    async def save_halo_grant(self, subject: str, grant: HaloToken) -> None:
        plain = json.dumps(
            {
                "access_token": grant.access_token,
                "refresh_token": grant.refresh_token,
                "expires_at": grant.expires_at,
                "scope": grant.scope,
            }
        ).encode()
        await self.store.put("halo", subject, self.keys.seal(plain, f"halo:{subject}"), None)

    async def lease_refresh(self, subject: str, seconds: float) -> bool:
        """The right to refresh this person's Halo token, for `seconds`, on every replica."""
        now = time.time()
        return await self.store.claim("halo-refresh", subject, b"1", now + seconds, now)

    async def release_refresh(self, subject: str) -> None:
        await self.store.delete("halo-refresh", subject)

    async def forget_halo_grant(self, subject: str) -> None:
        """Halo ended the person's sign-in: their MCP tokens stop working, so their client signs in again."""
        await self.store.delete("halo", subject)

    async def has_halo_grant(self, subject: str) -> bool:
        return await self.store.get("halo", subject, time.time()) is not None

    async def load_halo_grant(self, subject: str) -> HaloToken | None:
        blob = await self.store.get("halo", subject, time.time())
        plain = self.keys.open(blob, f"halo:{subject}") if blob else None
        return HaloToken(**json.loads(plain)) if plain else None


def _consent_key(subject: str, client_id: str, resource: str) -> str:
    return f"{subject}|{client_id}|{resource}"

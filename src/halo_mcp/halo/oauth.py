"""The Halo half of per-user sign-in: send the person to Halo, exchange Halo's code, refresh, and ask who it is.

Halo speaks the authorisation code grant with PKCE and rotating refresh tokens at `<auth>/authorize` and
`<auth>/token` (halo-api-facts.md section 2); the person is `GET /Agent/me` for an agent and `GET /Users/me` for
an end user (section 3). halo-mcp runs its own PKCE towards Halo (the MCP client's verifier never leaves the
client), asks for the least Halo scopes the collection needs plus `offline_access`, and never sends Halo anything
the MCP client gave it. Failures are the SDK's `AuthorizeError` / `TokenError`: they end a sign-in, not a tool call.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlencode

import httpx2
from mcp.server.auth.provider import AuthorizeError, TokenError

from halo_mcp.config import HaloSettings
from halo_mcp.halo.auth import HaloToken
from halo_mcp.halo.errors import error_text

PersonKind = Literal["agent", "user"]


@dataclass(frozen=True)
class Person:
    """Who signed in, as Halo says: an agent or an end user, by id."""

    kind: PersonKind
    id: int
    name: str


class HaloSignIn:
    """One tenant's API application (authorisation code grant) seen from the sign-in facade."""

    def __init__(self, settings: HaloSettings, http: httpx2.AsyncClient) -> None:
        self.settings = settings
        self.http = http
        self.api_url, self.auth_url = settings.endpoints()

    def authorize_url(self, *, redirect_uri: str, state: str, challenge: str, scope: str) -> str:
        query = {
            "response_type": "code",
            "client_id": self.settings.client_id or "",
            "redirect_uri": redirect_uri,
            "scope": f"{scope} offline_access",
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        if self.settings.tenant:
            query["tenant"] = self.settings.tenant
        return f"{self.auth_url}/authorize?{urlencode(query)}"

    async def exchange(self, code: str, *, redirect_uri: str, verifier: str) -> HaloToken:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        }
        data = await self._token(form)
        if not data.get("refresh_token"):
            raise AuthorizeError(
                "server_error", "Halo issued no refresh token: allow offline_access for the API application"
            )
        return _grant(data)

    async def refresh(self, refresh_token: str) -> HaloToken:
        """A new Halo token; Halo rotates the refresh token, so the caller must store the new one."""
        return _grant(await self._token({"grant_type": "refresh_token", "refresh_token": refresh_token}))

    async def who(self, access_token: str) -> Person:
        """The signed-in person: an agent if `/Agent/me` answers, else the end user of `/Users/me`."""
        for kind, path in (("agent", "Agent/me"), ("user", "Users/me")):
            try:
                response = await self.http.get(
                    f"{self.api_url}/{path}", headers={"Authorization": f"Bearer {access_token}"}
                )
            except httpx2.TransportError:
                raise AuthorizeError("temporarily_unavailable", f"cannot reach Halo at {self.api_url}") from None
            if response.status_code == 200:
                data = response.json()
                if isinstance(data, dict) and isinstance(data.get("id"), int) and data["id"] > 0:
                    return Person(kind, data["id"], str(data.get("name") or ""))  # type: ignore[arg-type]
        raise AuthorizeError("access_denied", "Halo did not say who signed in (neither /Agent/me nor /Users/me)")

    async def is_admin(self, access_token: str) -> bool:
        """Whether the signed-in agent is a Halo administrator: `is_admin` of `GET /Agent/me` (spec schema Uname)."""
        try:
            response = await self.http.get(
                f"{self.api_url}/Agent/me", headers={"Authorization": f"Bearer {access_token}"}
            )
        except httpx2.TransportError:
            raise AuthorizeError("temporarily_unavailable", f"cannot reach Halo at {self.api_url}") from None
        data = response.json() if response.status_code == 200 else None
        return isinstance(data, dict) and data.get("is_admin") is True

    async def _token(self, form: dict[str, str]) -> dict[str, Any]:
        s = self.settings
        form = {**form, "client_id": s.client_id or ""}
        if s.client_secret:
            form["client_secret"] = s.client_secret.get_secret_value()
        params = {"tenant": s.tenant} if s.tenant else None
        try:
            response = await self.http.post(f"{self.auth_url}/token", data=form, params=params)
        except httpx2.TransportError:
            raise TokenError("invalid_grant", f"cannot reach Halo's token endpoint at {self.auth_url}") from None
        try:
            data = response.json()
        except ValueError:
            data = {}
        if response.status_code != 200 or not isinstance(data, dict) or "access_token" not in data:
            reason = error_text(response.content) or f"HTTP {response.status_code}"
            raise TokenError("invalid_grant", f"Halo refused the sign-in ({reason}); sign in again")
        return data


def _grant(data: dict[str, Any]) -> HaloToken:
    return HaloToken(
        access_token=str(data["access_token"]),
        refresh_token=str(data["refresh_token"]) if data.get("refresh_token") else None,
        expires_at=time.time() + float(data.get("expires_in") or 3600),
        scope=str(data.get("scope") or ""),
    )

"""Halo OAuth tokens: obtained with the configured grant, cached, refreshed before expiry, one refresh at a time."""

from __future__ import annotations

import asyncio
import json
import random
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from halo_mcp.config import HaloSettings
from halo_mcp.halo.errors import HaloAuthError, HaloRateLimited, HaloUnavailable, error_text
from halo_mcp.halo.login import load_refresh_token, save_refresh_token
from halo_mcp.halo.ratelimit import retry_after

if TYPE_CHECKING:
    from aiohttp import ClientSession


class HasHttp(Protocol):
    """The HaloClient, whose HTTP client is created lazily and shared with token requests."""

    @property
    def http(self) -> ClientSession: ...


@dataclass(frozen=True)
class HaloToken:
    """What Halo's token endpoint answered, for the server's own identity and for a signed-in person alike.
    `expires_at` is epoch seconds: a person's token is stored and read by other replicas."""

    access_token: str
    refresh_token: str | None
    expires_at: float
    scope: str

    def __repr__(self) -> str:  # never print the secrets
        return f"HaloToken(scope={self.scope!r}, expires_at={self.expires_at:.0f})"


class HaloTokenManager:
    """Owns the access token. `current()` is cheap; concurrent callers share one in-flight refresh."""

    def __init__(self, settings: HaloSettings, owner: HasHttp, scope: str) -> None:
        self.settings = settings
        self.owner = owner
        self.scope = scope
        self._token: HaloToken | None = None
        self._lock = asyncio.Lock()
        _, auth_base = settings.endpoints()
        self.token_url = f"{auth_base}/token"
        self.grant = settings.grant()

    @property
    def granted_scope(self) -> str | None:
        return self._token.scope if self._token else None

    async def current(self) -> str:
        token = self._token
        if token and token.expires_at - self.settings.token_refresh_margin > time.time():
            return token.access_token
        return await self._renew(stale=token)

    async def invalidate(self, stale: str) -> str:
        """Halo answered 401 with `stale`: get a new token unless another caller already did."""
        token = self._token
        return await self._renew(stale=token if token and token.access_token == stale else None, force=True)

    async def _renew(self, stale: HaloToken | None, force: bool = False) -> str:
        async with self._lock:
            token = self._token
            fresh = token is not None and token is not stale
            if fresh and token and (not force or token.expires_at - self.settings.token_refresh_margin > time.time()):
                return token.access_token
            if stale and stale.refresh_token:
                try:
                    self._token = await self._request(
                        {"grant_type": "refresh_token", "refresh_token": stale.refresh_token}
                    )
                    return self._token.access_token
                except HaloAuthError:
                    if self.grant == "authorization_code" and stale.refresh_token == load_refresh_token(self.settings):
                        raise HaloAuthError(f"the stored Halo sign-in has expired: {self._sign_in_hint()}") from None
                    # otherwise the refresh token expired or was revoked; fall back to the configured grant
            self._token = await self._request(self._grant_form())
            return self._token.access_token

    def _sign_in_hint(self) -> str:
        """What a stdio user does next: the command, and the Halo page it opens (so they know where they sign in)."""
        return (
            f"run `halo-mcp login` in a terminal; it opens Halo's sign-in page ({self.token_url[: -len('/token')]}"
            "/authorize) and keeps the sign-in for this server; then call the tool again"
        )

    def _grant_form(self) -> dict[str, str]:
        s = self.settings
        if self.grant == "authorization_code":
            from halo_mcp.halo.login import load_refresh_token

            stored = load_refresh_token(s)
            if not stored:
                raise HaloAuthError(
                    f"no Halo sign-in is stored for HALO_AUTH_FLOW=authorization_code: {self._sign_in_hint()}"
                )
            return {"grant_type": "refresh_token", "refresh_token": stored}
        if self.grant == "password":
            assert s.username and s.password
            return {"grant_type": "password", "username": s.username, "password": s.password.get_secret_value()}
        return {"grant_type": "client_credentials"}

    async def _request(self, form: dict[str, str]) -> HaloToken:
        import aiohttp  # loaded with the owner's session (kept out of cold start)

        s = self.settings
        form = {**form, "client_id": s.client_id or "", "scope": self.scope}
        if s.client_secret:
            form["client_secret"] = s.client_secret.get_secret_value()
        params = {"tenant": s.tenant} if s.tenant else None
        deadline = time.monotonic() + s.max_retry_wait
        attempt = 0
        while True:
            http = self.owner.http
            try:
                async with http.post(self.token_url, data=form, params=params) as response:
                    status, headers, body = response.status, response.headers, await response.read()
            except (aiohttp.ClientError, TimeoutError) as exc:
                raise HaloUnavailable(
                    f"cannot reach Halo's token endpoint {self.token_url} ({type(exc).__name__}); "
                    "check HALO_URL and the network"
                ) from None
            if status != 429:
                break
            # Halo refused before issuing anything: wait as told, within the same budget as API requests.
            wait = retry_after(headers)
            delay = wait if wait is not None else min(8.0, 0.25 * 2**attempt) * random.uniform(0.5, 1.0)
            if attempt >= s.max_retries or delay > deadline - time.monotonic():
                retry_in = f"{wait:.0f} s" if wait is not None else "a minute"
                raise HaloRateLimited(
                    f"Halo's token endpoint is rate limiting us (HTTP 429 after {attempt + 1} attempts); "
                    f"retry in {retry_in}",
                    status=429,
                    retry_after=wait,
                )
            await asyncio.sleep(delay)
            attempt += 1
        if status >= 500:
            raise HaloUnavailable(f"Halo's token endpoint failed with HTTP {status}; retry shortly")
        try:
            data: Any = json.loads(body)
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        if status != 200 or "access_token" not in data:
            reason = error_text(body) or f"HTTP {status}"
            hint = {
                "invalid_client": "check HALO_CLIENT_ID and HALO_CLIENT_SECRET",
                "invalid_grant": "check HALO_USERNAME / HALO_PASSWORD, or the refresh token has expired",
                "invalid_scope": "check HALO_SCOPE against the scopes the API application allows",
            }.get(str(data.get("error", "")), "check the API application's settings in Halo")
            raise HaloAuthError(f"Halo refused to issue a token ({reason}); {hint}", status=status)
        if self.grant == "authorization_code" and data.get("refresh_token"):
            save_refresh_token(self.settings, str(data["refresh_token"]))  # Halo may rotate it: keep the newest
        return HaloToken(
            access_token=str(data["access_token"]),
            refresh_token=data.get("refresh_token"),
            expires_at=time.time() + float(data.get("expires_in") or 3600),
            scope=str(data.get("scope") or self.scope),
        )

"""Halo OAuth tokens: obtained with the configured grant, cached, refreshed before expiry, one refresh at a time.

Replicas sharing a Redis (the tenant window's `cache`) share the server's token too: it is kept there sealed
(AES-GCM under a key derived from the client secret or password, which Redis never sees), and whoever finds it stale
takes a lease for this identity; the others wait for the token it writes back. So N replicas make one token request,
not N. A stdio user's sign-in (authorization_code without a client secret) stays in this process.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import time
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Protocol

from halo_mcp.config import HaloSettings
from halo_mcp.halo.errors import HaloAuthError, HaloRateLimited, HaloUnavailable, error_text
from halo_mcp.halo.login import load_refresh_token, save_refresh_token
from halo_mcp.halo.ratelimit import retry_after

if TYPE_CHECKING:
    from aiohttp import ClientSession

    from halo_mcp.sealing import Sealer
    from halo_mcp.state.base import SharedCache

REFRESH_LEASE_SECONDS = 30.0  # how long one replica may hold the right to renew a shared token
LEASE_POLL_SECONDS = 0.05


class HasHttp(Protocol):
    """The HaloClient, whose HTTP client is created lazily and shared with token requests."""

    @property
    def http(self) -> ClientSession: ...

    @property
    def cache(self) -> SharedCache | None: ...


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
        secret = settings.client_secret or settings.password
        identity = [self.token_url, settings.tenant or "", settings.client_id or "", settings.username or "", scope]
        # Shared only with a secret to seal it under (see the module docstring).
        self._shared_key = f"token:{hashlib.sha256(chr(10).join(identity).encode()).hexdigest()[:32]}"
        self._seal_secret = secret.get_secret_value().encode() if secret else None
        self._sealed_with: Sealer | None = None

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
            cache = self.owner.cache if self._seal_secret else None
            if cache is None:
                self._token = await self._obtain(stale)
                return self._token.access_token
            return await self._renew_shared(cache, stale, force)

    async def _renew_shared(self, cache: SharedCache, stale: HaloToken | None, force: bool) -> str:
        """One renewal for every replica: use a good shared token, else take the lease and renew, else wait."""
        refused = stale.access_token if force and stale else None
        deadline = time.monotonic() + REFRESH_LEASE_SECONDS
        lease = f"{self._shared_key}:lease"
        while True:
            shared = await self._shared(cache, refused)
            if shared is not None:
                return shared
            if await cache.lease(lease, REFRESH_LEASE_SECONDS) or time.monotonic() > deadline:
                break  # ours to renew (or the holder vanished: renew anyway)
            await asyncio.sleep(LEASE_POLL_SECONDS)
        try:
            shared = await self._shared(cache, refused)  # the previous holder may have just written one
            if shared is not None:
                return shared
            current = self._token if self._token is not None and self._token.access_token != refused else stale
            token = self._token = await self._obtain(current)
            await cache.put(self._shared_key, self._seal(token), token.expires_at - time.time())
            return token.access_token
        finally:
            await cache.release(lease)

    async def _shared(self, cache: SharedCache, refused: str | None) -> str | None:
        blob = await cache.get(self._shared_key)
        token = self._open(blob) if blob else None
        if token is None or token.access_token == refused:
            return None
        if token.expires_at - self.settings.token_refresh_margin <= time.time():
            self._token = token  # stale, but its refresh token is the newest one
            return None
        self._token = token
        return token.access_token

    def _sealer(self) -> Sealer:
        if self._sealed_with is None:
            from halo_mcp.sealing import Sealer  # cryptography: kept out of a stdio start-up

            assert self._seal_secret is not None
            self._sealed_with = Sealer([self._seal_secret], b"shared halo token " + self.token_url.encode())
        return self._sealed_with

    def _seal(self, token: HaloToken) -> bytes:
        return self._sealer().seal(json.dumps(asdict(token)).encode(), self._shared_key.encode())

    def _open(self, blob: bytes) -> HaloToken | None:
        plain = self._sealer().open(blob, self._shared_key.encode())
        try:
            return HaloToken(**json.loads(plain)) if plain is not None else None
        except (ValueError, TypeError):
            return None

    async def _obtain(self, stale: HaloToken | None) -> HaloToken:
        """A new token from Halo: by `stale`'s refresh token when it has one, else by the configured grant."""
        if stale and stale.refresh_token:
            try:
                return await self._request({"grant_type": "refresh_token", "refresh_token": stale.refresh_token})
            except HaloAuthError:
                if self.grant == "authorization_code" and stale.refresh_token == load_refresh_token(self.settings):
                    raise HaloAuthError(f"the stored Halo sign-in has expired: {self._sign_in_hint()}") from None
                # otherwise the refresh token expired or was revoked; fall back to the configured grant
        return await self._request(self._grant_form())

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

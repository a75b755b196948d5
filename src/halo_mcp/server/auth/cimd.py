"""Client ID metadata documents: a client whose `client_id` is an https URL is described by the JSON there.

Fetching a URL a stranger names is a server-side request forgery risk, so only hosts on the allowlist
(`HALO_MCP_CIMD_HOSTS`, host or host:port) are fetched, over https, without following redirects, within 5 s and
64 KiB; the document must name itself as `client_id` and list its redirect URIs. Documents are cached 5 minutes.
"""

from __future__ import annotations

import json
import ssl
import time
from urllib.parse import urlsplit

import httpx2
from mcp.shared.auth import OAuthClientInformationFull
from pydantic import ValidationError

from halo_mcp.server.auth.scopes import READ, WRITE

DOCUMENT_MAX_BYTES = 64 * 1024
DOCUMENT_TTL = 300.0
FETCH_TIMEOUT = 5.0


class MetadataDocuments:
    def __init__(self, hosts: list[str], *, ca_file: str = "") -> None:
        self.hosts = {h.strip().lower() for h in hosts if h.strip()}
        self.verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=ca_file) if ca_file else True
        self._cache: dict[str, tuple[float, OAuthClientInformationFull | None]] = {}

    @property
    def enabled(self) -> bool:
        return bool(self.hosts)

    def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        return (
            parts.scheme == "https"
            and parts.path not in ("", "/")
            and (host in self.hosts or parts.netloc.lower() in self.hosts)
        )

    async def client(self, url: str) -> OAuthClientInformationFull | None:
        """The client the document at `url` describes, or None (not allowed, unreachable or invalid)."""
        if not self.allowed(url):
            return None
        cached = self._cache.get(url)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        found = await self._fetch(url)
        self._cache[url] = (time.monotonic() + DOCUMENT_TTL, found)
        return found

    async def _fetch(self, url: str) -> OAuthClientInformationFull | None:
        try:
            async with (
                httpx2.AsyncClient(timeout=FETCH_TIMEOUT, verify=self.verify, follow_redirects=False) as http,
                http.stream("GET", url, headers={"Accept": "application/json"}) as response,
            ):
                if response.status_code != 200:
                    return None
                body = b""
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > DOCUMENT_MAX_BYTES:
                        return None
        except httpx2.HTTPError:
            return None
        try:
            data = json.loads(body)
            if not isinstance(data, dict) or data.get("client_id") != url or not data.get("redirect_uris"):
                return None
            return OAuthClientInformationFull.model_validate(
                {
                    "client_id": url,
                    "client_name": data.get("client_name"),
                    "redirect_uris": data["redirect_uris"],
                    "token_endpoint_auth_method": "none",
                    "grant_types": ["authorization_code", "refresh_token"],
                    "response_types": ["code"],
                    "scope": f"{READ} {WRITE}",
                }
            )
        except (ValueError, ValidationError):
            return None

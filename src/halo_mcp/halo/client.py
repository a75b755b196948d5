"""The one way halo-mcp talks to Halo: auth, client-side rate limiting, bounded retries that never repeat a write.

Retry policy, by what provably happened upstream:
- connection refused / connect timeout: nothing was sent, so any method is retried;
- 401: the token was rejected before processing; refresh once and retry any method;
- 429: Halo refused to process; honour Retry-After (or back off) within the wait budget, any method;
- 5xx, read timeout, dropped connection: GET is retried; a write is NOT (Halo may have applied it), and the
  error says so.
One client serves every collection on a Halo tenant (one rate budget), so what differs per collection is set per
call (`CALL_OPTIONS`): its request policy (deny rules), and `passthrough` rate-limit mode, which neither waits for
the client-side limiter nor retries a 429: the caller gets the 429 at once with its retry-after (Truto's policy).
"""

from __future__ import annotations

import asyncio
import contextvars
import json as jsonlib
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

import orjson

from halo_mcp import __version__
from halo_mcp.config import HaloSettings
from halo_mcp.halo.auth import HaloTokenManager
from halo_mcp.halo.errors import (
    HaloAuthError,
    HaloError,
    HaloNotFound,
    HaloPermissionError,
    HaloRateLimited,
    HaloTooLarge,
    HaloUnavailable,
    HaloValidationError,
    HaloWriteUncertain,
    error_text,
)
from halo_mcp.halo.latency import Latency
from halo_mcp.halo.ratelimit import RateLimitState, RateLimitWait, RollingWindowLimiter
from halo_mcp.halo.ratelimit import retry_after as retry_after_seconds
from halo_mcp.state.base import SharedCache, Slot, Window

if TYPE_CHECKING:
    import aiohttp
    from yarl import URL

log = logging.getLogger("halo_mcp.halo")

PAGE_CAP = 100  # Halo caps list pages at 100 rows whatever page_size asks for
Params = Mapping[str, Any]
# Web servers cap URLs at a few KB: a longer query string is refused with a message naming the fix (tool arguments
# are bounded already; call_operation's are free-form).
MAX_QUERY_CHARS = 8_000
# Called with (method, path) before a request is sent; raises to refuse it (the surface's deny rules).
RequestPolicy = Callable[[str, str], None]
JSON_BODY = {"Content-Type": "application/json"}
Errors = tuple[type[BaseException], ...]


@dataclass(frozen=True)
class CallOptions:
    """What the collection making the current call wants of a shared client."""

    policy: RequestPolicy | None = None  # checked in addition to the client's own
    passthrough_429: bool = False


PLAIN_CALL = CallOptions()
CALL_OPTIONS: contextvars.ContextVar[CallOptions] = contextvars.ContextVar("halo_mcp_call", default=PLAIN_CALL)


def env_proxy(url: str) -> str | None:
    """The proxy the environment names for `url` (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY), unless NO_PROXY covers it."""
    from urllib.request import getproxies, proxy_bypass  # ~10 ms of imports, paid with the first request

    parts = urlsplit(url)
    proxies = getproxies()
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if proxy and not proxy_bypass(parts.hostname or ""):
        return proxy
    return None


def decode_json(body: bytes) -> Any:
    """orjson first (a third of the stdlib's cost on a ticket); the stdlib for what orjson refuses (ints over 64
    bits), so nothing Halo sends decodes differently."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return jsonlib.loads(body)


@dataclass
class Binary:
    content: bytes
    filename: str | None
    content_type: str


@dataclass
class Page:
    rows: list[dict[str, Any]]
    total: int | None


def rows_of(data: Any, key: str | None = None) -> list[dict[str, Any]]:
    """Rows from any of Halo's list shapes: a plain array, or an envelope keyed by `key` (or its only list)."""
    if isinstance(data, list):
        return [row for row in data if isinstance(row, dict)]
    if isinstance(data, dict):
        if key and isinstance(data.get(key), list):
            return list(data[key])
        lists = [v for k, v in data.items() if isinstance(v, list) and not k.startswith("column")]
        if len(lists) == 1:
            return list(lists[0])
    return []


def encode_params(params: Params | None) -> list[tuple[str, str]]:
    """Halo wants booleans as true/false and repeats keys for multi-value filters."""
    out: list[tuple[str, str]] = []
    for key, value in (params or {}).items():
        if value is None:
            continue
        values = value if isinstance(value, list | tuple) else [value]
        for item in values:
            out.append((key, ("true" if item else "false") if isinstance(item, bool) else str(item)))
    return out


class HaloClient:
    """Async Halo REST client. One per Halo instance; safe for concurrent use."""

    def __init__(
        self,
        settings: HaloSettings,
        *,
        scope: str = "all",
        policy: RequestPolicy | None = None,
        window: Window | None = None,
        cache: SharedCache | None = None,
    ) -> None:
        settings.validate_all()
        self.settings = settings
        self.policy = policy
        self.api_url, self.auth_url = settings.endpoints()
        self._http: aiohttp.ClientSession | None = None
        self.tokens = HaloTokenManager(settings, self, settings.scope or scope)
        limit = settings.rate_limit_window()
        # `window`: the tenant's shared window (halo/ratelimit.py window_for); by default one in this process.
        self.limiter: Window | None = window or (RollingWindowLimiter(*limit) if limit else None)
        # The tenant's caches where replicas share them (the server's token, lookup tables): the window's store,
        # or `cache` (halo/ratelimit.py cache_for), which this client then closes.
        self.cache: SharedCache | None = cache or (self.limiter.cache if self.limiter is not None else None)
        self._owned_cache = cache
        self.request_count = 0
        self.rate_limited_count = 0  # 429s from Halo (/metrics)
        self.latency = Latency()  # round trips, for the console's Health page
        self._urls: dict[str, URL] = {}  # path -> parsed URL: tools ask for the same few paths again and again
        self._auth: tuple[str, dict[str, str]] = ("", {})  # the Authorization header, rebuilt when the token changes
        # Set with the session (aiohttp is imported then): nothing sent, and maybe sent (see the retry policy).
        self._not_sent: Errors = ()
        self._maybe_sent: Errors = ()

    @property
    def http(self) -> aiohttp.ClientSession:
        """Created on first use, inside the event loop (aiohttp binds a session to it): importing aiohttp (~90 ms)
        and building the session stay out of cold start. aiohttp measured 0.45 ms less CPU per Halo GET than httpx2."""
        if self._http is None:
            import aiohttp

            # Nothing was sent: no connection (refused, DNS, TLS) or none within the connect timeout (pool wait
            # included). Anything else on the wire may have reached Halo: a dropped connection, a read timeout, a
            # truncated body.
            self._not_sent = (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError)
            self._maybe_sent = (aiohttp.ClientError, TimeoutError)
            self._http = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(
                    total=None, connect=self.settings.connect_timeout, sock_read=self.settings.read_timeout
                ),
                headers={"User-Agent": f"halo-mcp/{__version__}", "Accept": "application/json"},
                connector=aiohttp.TCPConnector(limit=64),
                # A corporate network's HTTP(S)_PROXY and NO_PROXY, read once: aiohttp's trust_env would re-read
                # them (and ~/.netrc) in a worker thread on every request, measured at 0.3 ms of CPU per request.
                proxy=env_proxy(self.api_url),
                raise_for_status=False,
            )
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None
        if self.limiter is not None:
            await self.limiter.aclose()
        if self._owned_cache is not None:
            await self._owned_cache.aclose()

    async def __aenter__(self) -> HaloClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def rate_limit_state(self) -> RateLimitState | None:
        return self.limiter.state() if self.limiter else None

    # -- verbs ---------------------------------------------------------------------------------------------

    async def get(self, path: str, params: Params | None = None) -> Any:
        return await self.request("GET", path, params=params)

    async def post(self, path: str, body: Any, params: Params | None = None) -> Any:
        """POST is Halo's upsert: a body with `id` updates, without `id` creates. Always send a list."""
        return await self.request("POST", path, params=params, json=body if isinstance(body, list) else [body])

    async def delete(self, path: str, params: Params | None = None) -> Any:
        return await self.request("DELETE", path, params=params)

    async def get_binary(self, path: str, params: Params | None = None, *, max_bytes: int | None = None) -> Binary:
        """A file, streamed: refused on its Content-Length, or cut off at `max_bytes` read, never held whole first."""
        response, _ = await self._send("GET", path, params=params, json=None, stream=True)
        try:
            declared = response.headers.get("content-length", "")
            if max_bytes is not None and declared.isdigit() and int(declared) > max_bytes:
                raise HaloTooLarge(int(declared), max_bytes, method="GET", path=path)
            chunks: list[bytes] = []
            size = 0
            try:
                async for chunk in response.content.iter_chunked(65_536):
                    size += len(chunk)
                    if max_bytes is not None and size > max_bytes:
                        raise HaloTooLarge(None, max_bytes, method="GET", path=path)
                    chunks.append(chunk)
            except self._maybe_sent as exc:
                raise HaloUnavailable(
                    f"the connection to Halo dropped while downloading GET {path} ({type(exc).__name__}); try again",
                    method="GET",
                    path=path,
                ) from None
        finally:
            response.close()
        disposition = response.headers.get("content-disposition", "")
        filename = None
        if "filename=" in disposition:
            filename = disposition.split("filename=", 1)[1].split(";")[0].strip().strip('"') or None
        content_type = response.headers.get("content-type", "application/octet-stream")
        return Binary(b"".join(chunks), filename, content_type)

    async def list_page(
        self, path: str, key: str | None, params: Params | None = None, *, page_no: int = 1, page_size: int = 50
    ) -> Page:
        """One page of a paginated list; `total` is Halo's record_count (None for plain-array lookups)."""
        query = {**(params or {}), "pageinate": True, "page_size": min(page_size, PAGE_CAP), "page_no": page_no}
        data = await self.get(path, query)
        total = data.get("record_count") if isinstance(data, dict) else None
        return Page(rows_of(data, key), int(total) if isinstance(total, int | float) else None)

    async def request(self, method: str, path: str, *, params: Params | None = None, json: Any = None) -> Any:
        _, body = await self._send(method, path, params=params, json=json)
        if not body:
            return None
        try:
            return decode_json(body)
        except ValueError:
            return body.decode("utf-8", "replace")

    # -- the retry loop ------------------------------------------------------------------------------------

    def _url(self, method: str, path: str, params: Params | None) -> URL:
        """The request URL, parsed once per path (yarl quotes the path as needed); the query is encoded here."""
        base = self._urls.get(path)
        if base is None:
            from yarl import URL

            if len(self._urls) > 512:  # call_operation can name any path: keep the cache bounded
                self._urls.clear()
            base = self._urls[path] = URL(f"{self.api_url}/{path.lstrip('/')}")
        if not params:
            return base
        query = urlencode(encode_params(params))
        if len(query) > MAX_QUERY_CHARS:
            raise HaloError(
                f"the query string of {method} {path} would be {len(query):,} characters, over the "
                f"{MAX_QUERY_CHARS:,} a URL to Halo may carry; shorten the search text or filter values",
                method=method,
                path=path,
            )
        return type(base)(f"{base}?{query}", encoded=True) if query else base

    def _headers(self, token: str) -> dict[str, str]:
        if self._auth[0] != token:
            self._auth = (token, {"Authorization": f"Bearer {token}"})
        return self._auth[1]

    async def _send(
        self, method: str, path: str, *, params: Params | None, json: Any, stream: bool = False
    ) -> tuple[aiohttp.ClientResponse, bytes]:
        """The retry loop: the response and its body. With `stream`, a successful response comes back unread (the
        caller closes it) and the body is empty."""
        if self.policy is not None:
            self.policy(method, path)
        options = CALL_OPTIONS.get()
        if options.policy is not None and options.policy is not self.policy:
            options.policy(method, path)
        http = self.http
        url = self._url(method, path, params)
        data = None if json is None else jsonlib.dumps(json).encode()
        deadline = time.monotonic() + self.settings.max_retry_wait
        attempt = 0
        refreshed = False
        is_read = method == "GET"
        while True:
            slot = await self._slot(deadline, method, path)
            token = await self.tokens.current()
            headers = self._headers(token) if data is None else {**self._headers(token), **JSON_BODY}
            started = time.monotonic()
            self.request_count += 1
            try:
                response = await http.request(method, url, data=data, headers=headers)
                # The body is read inside the try: a connection dropped mid-body is as uncertain as one before it.
                body = b"" if stream and response.status < 400 else await response.read()
            except self._not_sent as exc:
                if slot:
                    slot.done()
                reason = f"cannot connect to Halo at {self.api_url} ({type(exc).__name__})"
                attempt = await self._backoff(attempt, deadline, reason, method, path)
                continue
            except self._maybe_sent as exc:
                if slot:
                    slot.done()
                if not is_read:
                    raise HaloWriteUncertain(
                        f"the connection to Halo failed after the {method} {path} was sent ({type(exc).__name__}); "
                        "it may or may not have been applied, so it was not retried. Check the record in Halo "
                        "before trying again.",
                        method=method,
                        path=path,
                    ) from None
                reason = f"Halo did not answer {method} {path} ({type(exc).__name__})"
                attempt = await self._backoff(attempt, deadline, reason, method, path)
                continue
            if slot:
                slot.done()
            status = response.status
            elapsed = time.monotonic() - started
            self.latency.observe(elapsed)
            if log.isEnabledFor(logging.DEBUG):
                log.debug("%s %s -> %s in %.0f ms", method, path, status, elapsed * 1000)
            if status < 400:
                return response, body
            if status == 401 and not refreshed:
                refreshed = True
                await self.tokens.invalidate(token)
                continue
            if status == 429:
                self.rate_limited_count += 1
                retry_after = retry_after_seconds(response.headers)
                if self.limiter:
                    self.limiter.exhaust(retry_after)
                if options.passthrough_429:
                    retry_in = retry_after if retry_after is not None else (self.limiter.window if self.limiter else 60)
                    raise HaloRateLimited(
                        f"Halo rate limit reached (HTTP 429) on {method} {path}; retry in {retry_in:.0f} s "
                        "(not retried: this collection passes rate limits through)",
                        retry_after=retry_in,
                        method=method,
                        path=path,
                    )
                attempt = await self._backoff(
                    attempt,
                    deadline,
                    "Halo rate limit reached (HTTP 429)",
                    method,
                    path,
                    retry_after,
                    rate_limited=True,
                )
                continue
            if status >= 500 and is_read:
                attempt = await self._backoff(attempt, deadline, f"Halo failed with HTTP {status}", method, path)
                continue
            raise self._error(status, response.reason, body, method, path)

    async def _slot(self, deadline: float, method: str, path: str) -> Slot | None:
        if not self.limiter:
            return None
        max_wait = 0.0 if CALL_OPTIONS.get().passthrough_429 else max(0.0, deadline - time.monotonic())
        try:
            return await self.limiter.acquire(max_wait=max_wait)
        except RateLimitWait as wait:
            raise HaloRateLimited(
                f"client-side rate limit reached; retry in {wait.seconds:.0f} s. {self.limiter.state().describe()}",
                retry_after=wait.seconds,
                method=method,
                path=path,
            ) from None

    async def _backoff(
        self,
        attempt: int,
        deadline: float,
        reason: str,
        method: str,
        path: str,
        retry_after: float | None = None,
        rate_limited: bool = False,
    ) -> int:
        """Sleep before the next attempt, or raise when the attempts or the wait budget are spent."""
        delay = retry_after if retry_after is not None else min(8.0, 0.25 * 2**attempt) * random.uniform(0.5, 1.0)
        remaining = deadline - time.monotonic()
        if attempt >= self.settings.max_retries or delay > remaining:
            if rate_limited:
                retry_in = retry_after if retry_after is not None else (self.limiter.window if self.limiter else 60)
                state = self.rate_limit_state()
                detail = f" {state.describe()}." if state else ""
                raise HaloRateLimited(
                    f"{reason}; gave up after {attempt + 1} attempts. Retry in about {retry_in:.0f} s.{detail}",
                    retry_after=retry_in,
                    method=method,
                    path=path,
                )
            raise HaloUnavailable(
                f"{reason}; gave up after {attempt + 1} attempts. Halo may be down or overloaded: retry in a minute.",
                method=method,
                path=path,
            )
        await asyncio.sleep(delay)
        return attempt + 1

    def _error(self, status: int, reason: str | None, body: bytes, method: str, path: str) -> HaloError:
        text = error_text(body) or reason or ""
        where = f"{method} {path}"
        if status == 400:
            return HaloValidationError(f"Halo rejected {where}: {text}", method=method, path=path)
        if status == 401:
            return HaloAuthError(
                f"Halo rejected our token for {where} even after a refresh; check the API application", method=method
            )
        if status == 403:
            granted = self.tokens.granted_scope or "unknown"
            return HaloPermissionError(
                f"Halo denied {where} (HTTP 403): the API application or its agent lacks permission "
                f"(granted scopes: {granted}). {text}".strip(),
                method=method,
                path=path,
            )
        if status == 404:
            return HaloNotFound(f"not found in Halo: {where}", method=method, path=path)
        if status >= 500:
            return HaloUnavailable(
                f"Halo failed with HTTP {status} on {where}; the write may not have been applied. "
                "Check the record before retrying.",
                status=status,
                method=method,
                path=path,
            )
        return HaloError(f"Halo answered HTTP {status} to {where}: {text}", status=status, method=method, path=path)

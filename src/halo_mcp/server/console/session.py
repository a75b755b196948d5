"""Admin sessions and the console's request checks.

- A session is a random id in an HttpOnly, SameSite=Strict cookie (Secure over https) for CONSOLE_SESSION_SECONDS;
  the store keeps only its SHA-256 digest (the sign-in store, so every replica knows it), compared in constant time.
- Every POST must come from the console's own origin (Origin, else Referer) and carry the session's CSRF token
  (a synchronizer token, compared in constant time). The sign-in form, before any session, uses a double-submit
  cookie instead.
- Every response carries a CSP without inline script, X-Frame-Options DENY and no-store caching.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from halo_mcp.state.base import SignInStore

CONSOLE_SESSION_SECONDS = 8 * 3600
PENDING_SECONDS = 600  # a sign-in with Halo: the person's time to sign in there
SESSION_COOKIE = "halo_mcp_admin"
SIGNIN_COOKIE = "halo_mcp_admin_signin"  # the sign-in form's double-submit token
SESSION_KIND = "console"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
}


@dataclass(frozen=True)
class AdminSession:
    key: str  # the digest the store knows it by
    csrf: str
    principal: str


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class Sessions:
    def __init__(self, store: SignInStore) -> None:
        self.store = store

    async def start(self, principal: str) -> str:
        """A new session; returns the id for the cookie (the store keeps its digest)."""
        session_id = secrets.token_urlsafe(32)
        key = _digest(session_id)
        record = {"digest": key, "csrf": secrets.token_urlsafe(32), "principal": principal}
        await self.store.put(SESSION_KIND, key, json.dumps(record).encode(), time.time() + CONSOLE_SESSION_SECONDS)
        return session_id

    async def find(self, request: Request) -> AdminSession | None:
        session_id = request.cookies.get(SESSION_COOKIE)
        if not session_id:
            return None
        key = _digest(session_id)
        raw = await self.store.get(SESSION_KIND, key, time.time())
        if raw is None:
            return None
        record = json.loads(raw)
        if not hmac.compare_digest(record["digest"], key):
            return None
        return AdminSession(key, record["csrf"], record["principal"])

    async def end(self, session: AdminSession) -> None:
        await self.store.delete(SESSION_KIND, session.key)


def same_token(expected: str, presented: object) -> bool:
    return isinstance(presented, str) and hmac.compare_digest(expected.encode(), presented.encode())


def same_origin(request: Request) -> bool:
    """A POST's Origin (or, where a browser sends none, its Referer) is this console's own."""
    own = f"{request.url.scheme}://{request.headers.get('host', '')}"
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        referer = request.headers.get("referer")
        if not referer:
            return False
        parts = urlsplit(referer)
        origin = f"{parts.scheme}://{parts.netloc}"
    return hmac.compare_digest(origin.encode(), own.encode())


def set_cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/admin",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def secured(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    return response

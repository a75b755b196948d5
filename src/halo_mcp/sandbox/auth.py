"""Halo-style OAuth: `/auth/token` grants, `/auth/authorize` with PKCE, bearer checks and scopes.

Tokens live in memory (a restart logs everyone out, like a real token cache flush); API applications
are stored in SQLite so their credentials survive restarts of a file-backed sandbox.
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from halo_mcp.sandbox.resources import KNOWN_SCOPES
from halo_mcp.sandbox.store import Store

FULL_SCOPES = frozenset({"all", "all:standard", "admin"})
GRANTS = "client_credentials password authorization_code refresh_token"
REFRESH_LIFETIME = 30 * 24 * 3600
CODE_LIFETIME = 300


@dataclass
class IssuedToken:
    client_id: str
    agent_id: int | None
    scopes: frozenset[str]
    expires: float
    grant: str
    user_id: int | None = None  # an end user's portal login (then agent_id is None)


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    challenge: str
    method: str
    agent_id: int | None
    scopes: frozenset[str]
    expires: float
    user_id: int | None = None


@dataclass
class OAuthErrorResponse(Exception):
    error: str
    description: str
    status: int = 400

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


@dataclass
class Auth:
    store: Store
    token_lifetime: int = 3600
    tokens: dict[str, IssuedToken] = field(default_factory=dict)
    refresh: dict[str, tuple[IssuedToken, float]] = field(default_factory=dict)
    codes: dict[str, _Code] = field(default_factory=dict)

    # -- applications -----------------------------------------------------------------------------------
    def create_app(
        self,
        scopes: str = "all",
        agent_id: int | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
    ) -> tuple[str, str]:
        bad = [s for s in scopes.split() if s not in KNOWN_SCOPES]
        if bad:
            raise ValueError(f"unknown scope(s): {' '.join(bad)}")
        cid = client_id or f"sandbox-{secrets.token_hex(6)}"
        secret = client_secret or secrets.token_urlsafe(24)
        self.store.add_app(cid, secret, scopes, agent_id if agent_id is not None else 1, GRANTS)
        return cid, secret

    # -- token endpoint ---------------------------------------------------------------------------------
    def token(self, form: dict[str, str], basic: tuple[str, str] | None) -> dict[str, Any]:
        grant = form.get("grant_type", "")
        client_id = form.get("client_id") or (basic[0] if basic else "")
        client_secret = form.get("client_secret") or (basic[1] if basic else "")
        if not grant:
            raise OAuthErrorResponse("invalid_request", "grant_type is required")
        if grant not in GRANTS.split():
            raise OAuthErrorResponse("unsupported_grant_type", f"grant_type '{grant}' is not supported")
        if not client_id:
            raise OAuthErrorResponse("invalid_client", "client_id is required")
        app = self.store.get_app(client_id)
        if app is None:
            raise OAuthErrorResponse("invalid_client", "Unknown client")
        secret, app_scopes, app_agent, _grants = app
        if grant == "client_credentials":
            if not client_secret or not secrets.compare_digest(client_secret, secret):
                raise OAuthErrorResponse("invalid_client", "Invalid client secret")
            scopes = self._grant_scopes(form.get("scope", ""), app_scopes)
            return self._issue(client_id, app_agent, scopes, grant, with_refresh="offline_access" in scopes)
        if client_secret and not secrets.compare_digest(client_secret, secret):
            raise OAuthErrorResponse("invalid_client", "Invalid client secret")
        if grant == "password":
            agent_id = self.check_password(form.get("username", ""), form.get("password", ""))
            user_id = None if agent_id else self.check_user_password(form.get("username", ""), form.get("password", ""))
            if agent_id is None and user_id is None:
                raise OAuthErrorResponse("invalid_grant", "Invalid username or password")
            scopes = self._grant_scopes(form.get("scope", ""), app_scopes)
            return self._issue(client_id, agent_id, scopes, grant, with_refresh=True, user_id=user_id)
        if grant == "refresh_token":
            rt = form.get("refresh_token", "")
            entry = self.refresh.pop(rt, None)
            if entry is None or entry[1] < time.time() or entry[0].client_id != client_id:
                raise OAuthErrorResponse("invalid_grant", "Invalid or expired refresh token")
            old = entry[0]
            scopes = old.scopes
            if form.get("scope"):
                asked = self._parse_scopes(form["scope"])
                if not asked <= old.scopes and not (old.scopes & FULL_SCOPES):
                    raise OAuthErrorResponse("invalid_scope", "Requested scope exceeds the original grant")
                scopes = asked
            return self._issue(client_id, old.agent_id, scopes, grant, with_refresh=True, user_id=old.user_id)
        # authorization_code
        code = self.codes.pop(form.get("code", ""), None)
        if code is None or code.expires < time.time() or code.client_id != client_id:
            raise OAuthErrorResponse("invalid_grant", "Invalid or expired authorization code")
        if form.get("redirect_uri", code.redirect_uri) != code.redirect_uri:
            raise OAuthErrorResponse("invalid_grant", "redirect_uri does not match the authorization request")
        if code.challenge:
            verifier = form.get("code_verifier", "")
            if not verifier or not _pkce_ok(verifier, code.challenge, code.method):
                raise OAuthErrorResponse("invalid_grant", "PKCE verification failed")
        return self._issue(client_id, code.agent_id, code.scopes, grant, with_refresh=True, user_id=code.user_id)

    def _parse_scopes(self, raw: str) -> frozenset[str]:
        asked = frozenset(raw.replace(",", " ").split())
        bad = sorted(asked - KNOWN_SCOPES)
        if bad:
            raise OAuthErrorResponse("invalid_scope", f"Unknown scope: {' '.join(bad)}")
        return asked

    def _grant_scopes(self, raw: str, app_scopes: str) -> frozenset[str]:
        """Effective scopes = requested ∩ the application's permissions (Halo's rule)."""
        asked = self._parse_scopes(raw) if raw.strip() else frozenset({"all"})
        allowed = frozenset(app_scopes.split())
        if allowed & FULL_SCOPES:
            return asked
        granted: set[str] = set()
        for s in asked:
            if s in FULL_SCOPES:
                granted |= allowed
            elif s.startswith("read:"):
                area = s[5:]
                if s in allowed or f"edit:{area}" in allowed:
                    granted.add(s)
            elif s.startswith("edit:"):
                if s in allowed:
                    granted.add(s)
                elif f"read:{s[5:]}" in allowed:
                    granted.add(f"read:{s[5:]}")
            elif s in allowed or s in {"offline_access", "openid"}:
                granted.add(s)
        if not granted - {"offline_access", "openid"}:
            raise OAuthErrorResponse("invalid_scope", "The application is not permitted the requested scope")
        return frozenset(granted)

    def _issue(
        self,
        client_id: str,
        agent_id: int | None,
        scopes: frozenset[str],
        grant: str,
        with_refresh: bool,
        user_id: int | None = None,
    ) -> dict[str, Any]:
        tok = IssuedToken(client_id, agent_id, scopes, time.time() + self.token_lifetime, grant, user_id)
        access = secrets.token_urlsafe(32)
        self.tokens[access] = tok
        body: dict[str, Any] = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": self.token_lifetime,
            "scope": " ".join(sorted(scopes)),
        }
        if with_refresh:
            rt = secrets.token_urlsafe(32)
            self.refresh[rt] = (tok, time.time() + REFRESH_LIFETIME)
            body["refresh_token"] = rt
        if len(self.tokens) > 50_000:
            now = time.time()
            self.tokens = {k: v for k, v in self.tokens.items() if v.expires > now}
        return body

    def check_password(self, username: str, password: str) -> int | None:
        if not username or not password:
            return None
        u = username.strip().lower()
        for agent in self.store.all("Agent"):
            pw = agent.get("_password")
            if not pw or agent.get("isdisabled"):
                continue
            names = {str(agent.get(k, "")).lower() for k in ("email", "name", "login", "_username") if agent.get(k)}
            if u in names and secrets.compare_digest(str(pw), password):
                return int(agent["id"])
        return None

    def check_user_password(self, username: str, password: str) -> int | None:
        """An end user's portal login (by login or email address). Seeded users have no password of their own, so
        they sign in with the sandbox's shared one, like the seeded agents [sandbox convention]."""
        if not username or not password:
            return None
        u = username.strip().lower()
        for user in self.store.all("Users"):
            if user.get("inactive"):
                continue
            names = {str(user.get(k, "")).lower() for k in ("login", "emailaddress") if user.get(k)}
            if u in names and secrets.compare_digest(str(user.get("_password") or "sandbox"), password):
                return int(user["id"])
        return None

    # -- authorize (authorization code + PKCE) ----------------------------------------------------------
    def authorize(self, params: dict[str, str]) -> tuple[int, dict[str, str], str]:
        """GET/POST /auth/authorize: a login page, or a redirect once username/password are supplied.

        Passing `username` and `password` as query parameters is the non-interactive path used by tests.
        """
        client_id = params.get("client_id", "")
        redirect_uri = params.get("redirect_uri", "")
        if params.get("response_type", "code") != "code":
            return 400, {}, "unsupported_response_type"
        if not client_id or self.store.get_app(client_id) is None:
            return 400, {}, "invalid_client"
        if not redirect_uri:
            return 400, {}, "redirect_uri is required"
        method = params.get("code_challenge_method", "plain" if params.get("code_challenge") else "")
        if method and method not in ("S256", "plain"):
            return 400, {}, "invalid code_challenge_method"
        try:
            scopes = self._grant_scopes(params.get("scope", ""), self.store.get_app(client_id)[1])  # type: ignore[index]
        except OAuthErrorResponse as e:
            return _redirect(redirect_uri, {"error": e.error, "state": params.get("state", "")})
        if "username" not in params:
            return 200, {"content-type": "text/html; charset=utf-8"}, _login_page(params)
        agent_id = self.check_password(params.get("username", ""), params.get("password", ""))
        user_id = None if agent_id else self.check_user_password(params.get("username", ""), params.get("password", ""))
        if agent_id is None and user_id is None:
            return (
                200,
                {"content-type": "text/html; charset=utf-8"},
                _login_page(params, "Invalid username or password"),
            )
        code = secrets.token_urlsafe(24)
        self.codes[code] = _Code(
            client_id,
            redirect_uri,
            params.get("code_challenge", ""),
            method or "plain",
            agent_id,
            scopes,
            time.time() + CODE_LIFETIME,
            user_id,
        )
        out = {"code": code}
        if params.get("state"):
            out["state"] = params["state"]
        return _redirect(redirect_uri, out)

    # -- bearer checks ----------------------------------------------------------------------------------
    def bearer(self, header: str | None) -> IssuedToken | None:
        if not header or header[:7].lower() != "bearer ":
            return None
        tok = self.tokens.get(header[7:].strip())
        if tok is None:
            return None
        if tok.expires < time.time():
            return None
        return tok

    def revoke(self, token: str) -> None:
        self.tokens.pop(token, None)
        self.refresh.pop(token, None)

    def expire_all(self) -> int:
        """Force every access token to expire (refresh tokens stay valid, as after a real timeout)."""
        n = len(self.tokens)
        for tok in self.tokens.values():
            tok.expires = 0
        return n


def allowed(tok: IssuedToken, area: str | None, write: bool) -> bool:
    """Whether a token's scopes allow reading (`read:X` or `edit:X`) or writing (`edit:X`) an area."""
    if area is None or tok.scopes & FULL_SCOPES:
        return True
    if f"edit:{area}" in tok.scopes:
        return True
    return not write and f"read:{area}" in tok.scopes


def _pkce_ok(verifier: str, challenge: str, method: str) -> bool:
    if method == "S256":
        digest = hashlib.sha256(verifier.encode()).digest()
        expect = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        return secrets.compare_digest(expect, challenge)
    return secrets.compare_digest(verifier, challenge)


def _redirect(uri: str, params: dict[str, str]) -> tuple[int, dict[str, str], str]:
    sep = "&" if "?" in uri else "?"
    return 302, {"location": uri + sep + urlencode(params)}, ""


def _login_page(params: dict[str, str], error: str = "") -> str:
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in params.items()
        if k not in ("username", "password")
    )
    err = f'<p class="error">{html.escape(error)}</p>' if error else ""
    return (
        "<!doctype html><html><head><title>Halo sandbox sign in</title></head><body>"
        f"<h1>Sign in to the Halo sandbox</h1>{err}"
        f'<form method="post" action="/auth/authorize">{hidden}'
        '<label>Username <input name="username" autocomplete="username"></label> '
        '<label>Password <input name="password" type="password"></label> '
        '<button type="submit">Sign in</button></form></body></html>'
    )

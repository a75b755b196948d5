"""The authorization server's HTTP face: the SDK's routes (`/authorize`, `/token`, `/register`, `/revoke`) plus
what they lack: RFC 8414 metadata that also advertises client ID metadata documents and RFC 9207 `iss`, a
registration gate (an initial access token for peers beyond loopback), the Halo callback and the consent page."""

from __future__ import annotations

import hmac
import html
from typing import Any

from mcp.server.auth.handlers.metadata import MetadataHandler
from mcp.server.auth.provider import AuthorizeError, TokenError
from mcp.server.auth.routes import build_metadata, cors_middleware, create_auth_routes
from mcp.server.auth.settings import ClientRegistrationOptions, RevocationOptions
from mcp.shared.auth import OAuthMetadata
from pydantic import AnyHttpUrl
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from halo_mcp.server.asgi import read_body, replaying
from halo_mcp.server.auth.provider import CALLBACK_PATH, CONSENT_PATH, Consent, HaloAuthProvider
from halo_mcp.server.auth.scopes import READ, WRITE
from halo_mcp.server.http import digest, is_loopback, store_unavailable
from halo_mcp.state.base import StateUnavailable

NO_STORE = {"Cache-Control": "no-store"}
REVOCATION_MAX_BYTES = 16 * 1024  # a token and a client id


class RegistrationGate:
    """Dynamic client registration is open to loopback peers; others present the initial access token."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self._digest = digest(token) if token else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope)
        peer = request.client.host if request.client else ""
        if scope.get("method") != "OPTIONS" and not is_loopback(peer):
            presented = request.headers.get("authorization", "")
            given = presented[7:].strip() if presented[:7].lower() == "bearer " else ""
            if self._digest is None or not given or not hmac.compare_digest(digest(given), self._digest):
                body = {"error": "invalid_token", "error_description": "registration needs the initial access token"}
                await JSONResponse(body, 401, {"WWW-Authenticate": 'Bearer error="invalid_token"'})(
                    scope, receive, send
                )
                return
        await self.app(scope, receive, send)


class RevocationForm:
    """RFC 7009 clients send `token` and `client_id` only (the secret, if any, in Basic auth); the SDK's revocation
    form model requires a `client_secret` field, so an absent one is added empty (client authentication is
    unchanged: a public client has no secret, a Basic one is read from the header)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        body, _ = await read_body(receive, REVOCATION_MAX_BYTES)
        if len(body) > REVOCATION_MAX_BYTES:
            await JSONResponse({"error": "invalid_request", "error_description": "body too large"}, 413)(
                scope, receive, send
            )
            return
        if b"client_secret=" not in body:
            body += b"&client_secret=" if body else b"client_secret="
        replay = replaying({"type": "http.request", "body": body, "more_body": False}, receive)
        await self.app(scope, replay, send)


def signin_app(provider: HaloAuthProvider, *, registration_token: str | None) -> Starlette:
    issuer = AnyHttpUrl(provider.issuer)
    registration = ClientRegistrationOptions(enabled=True, valid_scopes=[READ, WRITE], default_scopes=[READ, WRITE])
    revocation = RevocationOptions(enabled=True)
    # The issuer exactly as configured (no trailing slash added): clients compare it as a string (RFC 8414, 9207).
    metadata = OAuthMetadata.model_validate(
        {
            **build_metadata(issuer, None, registration, revocation).model_dump(mode="json", exclude_none=True),
            "issuer": provider.issuer,
            "client_id_metadata_document_supported": provider.documents.enabled or None,
            "authorization_response_iss_parameter_supported": True,
        }
    )
    routes: list[Any] = []
    for route in create_auth_routes(provider, issuer, None, registration, revocation):  # type: ignore[arg-type]
        if route.path == "/.well-known/oauth-authorization-server":
            route = Route(route.path, cors_middleware(MetadataHandler(metadata).handle, ["GET", "OPTIONS"]))
        elif route.path == "/register":
            route = Route(route.path, RegistrationGate(route.app, registration_token), methods=["POST", "OPTIONS"])
        elif route.path == "/revoke":
            route = Route(route.path, RevocationForm(route.app), methods=["POST", "OPTIONS"])
        routes.append(route)

    async def callback(request: Request) -> Response:
        """Halo sends the person back here: finish their sign-in, then consent, then back to the client."""
        q = request.query_params
        try:
            client, params, pending = await provider.pending(q.get("state", ""))
        except AuthorizeError as exc:
            return _page("Sign-in failed", exc.error_description or exc.error, 400)
        try:
            if "code" not in q:
                raise AuthorizeError("access_denied", f"Halo did not sign you in ({q.get('error', 'no code')})")
            person, subject = await provider.signed_in(pending, q["code"])
        except (AuthorizeError, TokenError) as exc:
            error = exc if isinstance(exc, AuthorizeError) else AuthorizeError("access_denied", exc.error_description)
            return RedirectResponse(provider.error_redirect(params, error), 302, NO_STORE)
        scopes = pending["scopes"]
        if await provider.consented(subject, client.client_id, params.resource or "", scopes):
            return RedirectResponse(await provider.issue_code(client, params, subject, scopes), 302, NO_STORE)
        return _consent_page(await provider.ask_consent(client, params, pending, subject, person))

    async def consent(request: Request) -> Response:
        form = await request.form()
        try:
            client, params, subject, scopes = await provider.answer_consent(str(form.get("consent", "")))
        except AuthorizeError as exc:
            return _page("Consent failed", exc.error_description or exc.error, 400)
        if form.get("decision") != "allow":
            denied = AuthorizeError("access_denied", "you declined the sign-in")
            return RedirectResponse(provider.error_redirect(params, denied), 302, NO_STORE)
        await provider.remember_consent(subject, client.client_id, params.resource or "", scopes)
        return RedirectResponse(await provider.issue_code(client, params, subject, scopes), 302, NO_STORE)

    routes += [Route(CALLBACK_PATH, callback, methods=["GET"]), Route(CONSENT_PATH, consent, methods=["POST"])]

    async def store_away(request: Request, exc: Exception) -> Response:
        return store_unavailable()  # PostgreSQL away: retry shortly, nothing was issued

    return Starlette(routes=routes, exception_handlers={StateUnavailable: store_away})


def _page(title: str, text: str, status: int = 200) -> HTMLResponse:
    body = f"<!doctype html><title>{html.escape(title)}</title><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>"
    return HTMLResponse(body, status, NO_STORE)


def _consent_page(c: Consent) -> HTMLResponse:
    can = {READ: "read what you can read in Halo", WRITE: "change tickets and records in Halo as you"}
    items = "".join(f"<li>{html.escape(can.get(s, s))}</li>" for s in c.scopes)
    body = (
        "<!doctype html><title>Allow access to Halo</title>"
        f"<h1>Allow {html.escape(c.client_name)} to use Halo as you?</h1>"
        f"<p>Collection <b>{html.escape(c.collection)}</b>, signed in as {html.escape(c.person)}. It will:</p>"
        f"<ul>{items}</ul>"
        f'<form method="post" action="{CONSENT_PATH}">'
        f'<input type="hidden" name="consent" value="{html.escape(c.id)}">'
        '<button name="decision" value="allow">Allow</button> <button name="decision" value="deny">Deny</button>'
        "</form>"
    )
    return HTMLResponse(
        body, 200, {**NO_STORE, "X-Frame-Options": "DENY", "Content-Security-Policy": "frame-ancestors 'none'"}
    )

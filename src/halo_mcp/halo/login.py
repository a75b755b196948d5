"""Per-user Halo identity: the authorisation code flow with PKCE, run once from a terminal (`halo-mcp login`).

The person signs in to Halo in a browser; Halo redirects to a one-shot listener on 127.0.0.1; the code is exchanged
with the PKCE verifier. The refresh token is kept in the user's state directory (mode 0600; it must stay usable, so
it cannot be hashed) and the Halo client uses it when `HALO_AUTH_FLOW=authorization_code`, so the server acts as
that person, with their permissions. Rotated refresh tokens are written back on every renewal.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

from halo_mcp.config import HaloSettings, state_dir
from halo_mcp.halo.errors import HaloAuthError, error_text

CALLBACK_PATH = "/callback"


def pkce_pair() -> tuple[str, str]:
    """(verifier, S256 challenge) as RFC 7636 describes them."""
    verifier = secrets.token_urlsafe(64)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def token_file(settings: HaloSettings) -> Path:
    """One file per Halo instance and API application."""
    api, _ = settings.endpoints()
    key = hashlib.sha256(f"{api}|{settings.client_id}".encode()).hexdigest()[:16]
    return state_dir() / "logins" / f"{key}.json"


def load_refresh_token(settings: HaloSettings) -> str | None:
    try:
        data = json.loads(token_file(settings).read_text())
    except (OSError, ValueError):
        return None
    token = data.get("refresh_token") if isinstance(data, dict) else None
    return str(token) if token else None


def save_refresh_token(settings: HaloSettings, refresh_token: str) -> None:
    path = token_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump({"refresh_token": refresh_token}, f)
    os.chmod(path, 0o600)  # also when the file existed with wider permissions


async def login(
    settings: HaloSettings,
    open_url: Callable[[str], Awaitable[None]],
    *,
    scope: str = "all",
    timeout: float = 300.0,
) -> str:
    """Run the flow; `open_url` shows the authorise URL to the person (or drives it, in tests).

    Returns the granted scope. Raises HaloAuthError with what went wrong.
    """
    _, auth_base = settings.endpoints()
    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(16)
    answer: asyncio.Future[dict[str, str]] = asyncio.get_running_loop().create_future()

    async def callback(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request_line = (await asyncio.wait_for(reader.readline(), 10)).decode("latin-1")
            target = request_line.split(" ")[1] if request_line.count(" ") >= 2 else ""
            parts = urlsplit(target)
            if parts.path == CALLBACK_PATH and not answer.done():
                answer.set_result({k: v[0] for k, v in parse_qs(parts.query).items()})
                body = b"halo-mcp: signed in to Halo. You can close this window."
                status = b"200 OK"
            else:
                body, status = b"not found", b"404 Not Found"
            writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Type: text/plain\r\nConnection: close\r\n")
            writer.write(b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
            await writer.drain()
        finally:
            writer.close()

    server = await asyncio.start_server(callback, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    redirect_uri = f"http://127.0.0.1:{port}{CALLBACK_PATH}"
    query = {
        "response_type": "code",
        "client_id": settings.client_id or "",
        "redirect_uri": redirect_uri,
        "scope": f"{scope} offline_access",
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    if settings.tenant:
        query["tenant"] = settings.tenant
    try:
        opener = asyncio.ensure_future(open_url(f"{auth_base}/authorize?{urlencode(query)}"))
        try:
            params = await asyncio.wait_for(asyncio.shield(answer), timeout)
        except TimeoutError:
            raise HaloAuthError(f"no answer from Halo's sign-in page within {timeout:.0f} s; run login again") from None
        await opener
    finally:
        server.close()
        await server.wait_closed()
    if params.get("state") != state:
        raise HaloAuthError("the sign-in answer did not match this login (state mismatch); run login again")
    if "code" not in params:
        raise HaloAuthError(f"Halo did not sign you in: {params.get('error_description') or params.get('error')}")
    return await _exchange(settings, params["code"], redirect_uri, verifier, query["scope"])


async def _exchange(settings: HaloSettings, code: str, redirect_uri: str, verifier: str, scope: str) -> str:
    import httpx2  # here: every server start loads this module (the stored sign-in), only a login exchanges

    _, auth_base = settings.endpoints()
    form = {
        "grant_type": "authorization_code",
        "client_id": settings.client_id or "",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
        "scope": scope,
    }
    if settings.client_secret:
        form["client_secret"] = settings.client_secret.get_secret_value()
    params = {"tenant": settings.tenant} if settings.tenant else None
    async with httpx2.AsyncClient(timeout=settings.read_timeout) as http:
        response = await http.post(f"{auth_base}/token", data=form, params=params)
    try:
        data = response.json()
    except ValueError:
        data = {}
    if response.status_code != 200 or not isinstance(data, dict) or "access_token" not in data:
        raise HaloAuthError(f"Halo refused the sign-in code ({error_text(response.content) or response.status_code})")
    if not data.get("refresh_token"):
        raise HaloAuthError("Halo issued no refresh token: allow offline_access for this API application")
    save_refresh_token(settings, str(data["refresh_token"]))
    return str(data.get("scope") or scope)

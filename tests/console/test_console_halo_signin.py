"""Signing in to the console as a Halo administrator, where per-user sign-in is configured: Halo says who signed
in and whether they are an admin (`is_admin` of /Agent/me); anyone else is refused, and both are audited."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import httpx2
import pytest

from halo_mcp.sandbox import Sandbox
from tests.helpers import CollectionsServer

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(90)]


def people(sandbox: Sandbox) -> list[dict[str, Any]]:
    assert sandbox.app is not None
    agents = sandbox.app.store.all("Agent")
    found = [a for a in agents if a.get("_password") and a.get("email") and not a.get("isdisabled")
             and not a.get("isapiagent")]  # fmt: skip
    assert len(found) >= 2
    return found


async def sign_in_with_halo(server: CollectionsServer, email: str, http: httpx2.AsyncClient) -> httpx2.Response:
    """Follow the console's Halo sign-in as a browser does, signing in to the sandbox as `email`."""
    to_halo = await http.get("/admin/signin/halo", params={"tenant": "acme", "next": "/admin/audit"})
    assert to_halo.status_code == 303, to_halo.text
    login = {"username": email, "password": "sandbox"}
    back = await http.get(f"{to_halo.headers['location']}&{urlencode(login)}")
    assert back.status_code == 302, back.text
    assert back.headers["location"].startswith(f"{server.url}/admin/signin/halo/callback?")
    return await http.get(back.headers["location"])


async def test_a_halo_administrator_signs_in_with_halo_and_an_agent_who_is_not_is_refused(
    halo_signin_console: CollectionsServer, module_sandbox: Sandbox
) -> None:
    server = halo_signin_console
    chief, other = people(module_sandbox)[:2]
    assert module_sandbox.app is not None
    module_sandbox.app.store.update("Agent", {**chief, "is_admin": True})
    module_sandbox.app.store.update("Agent", {**other, "is_admin": False})
    async with httpx2.AsyncClient(base_url=server.url, timeout=10) as http:
        assert "Sign in with Halo (acme)" in (await http.get("/admin/signin")).text
        welcomed = await sign_in_with_halo(server, chief["email"], http)
        assert welcomed.status_code == 200
        assert '<meta http-equiv="refresh" content="0;url=/admin/audit">' in welcomed.text
        assert "halo_mcp_admin=" in welcomed.headers["set-cookie"]
        assert (await http.get("/admin/audit")).status_code == 200
    async with httpx2.AsyncClient(base_url=server.url, timeout=10) as http:
        refused = await sign_in_with_halo(server, other["email"], http)
        assert refused.status_code == 403 and "is not an administrator in Halo" in refused.text
        assert "set-cookie" not in refused.headers
        assert (await http.get("/admin/audit")).status_code == 303
        replayed = await http.get("/admin/signin/halo/callback", params={"state": "made-up", "code": "x"})
        assert replayed.status_code == 400 and "unknown or expired" in replayed.text
    entries = {e.message: e.principal for e in server.audit.entries(tool="admin.sign_in")}
    assert entries["signed in with Halo"] == f"{chief['name']} (Halo agent acme/{chief['id']})"
    assert entries["refused: not a Halo admin"] == f"{other['name']} (Halo agent acme/{other['id']})"


async def test_without_per_user_sign_in_the_console_offers_only_the_admin_token(
    halo_signin_console: CollectionsServer,
) -> None:
    async with httpx2.AsyncClient(base_url=halo_signin_console.url, timeout=10) as http:
        other = await http.get("/admin/signin/halo", params={"tenant": "elsewhere"})
    assert other.status_code == 404 and "not set up for tenant" in other.text

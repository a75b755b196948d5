"""Per-user identity: `halo-mcp login` (authorisation code + PKCE) against the sandbox, then the client acts as
that person, keeps working across token expiry (rotated refresh tokens are stored), and fails clearly without it."""

from __future__ import annotations

import stat
from pathlib import Path
from urllib.parse import urlencode

import httpx2
import pytest

from halo_mcp.config import HaloSettings, ServerSettings
from halo_mcp.halo.client import HaloClient
from halo_mcp.halo.errors import HaloAuthError
from halo_mcp.halo.login import load_refresh_token, login, token_file
from halo_mcp.sandbox import Sandbox
from halo_mcp.server.surface import Surface
from tests.helpers import halo_settings_for

pytestmark = pytest.mark.anyio


@pytest.fixture
def settings(fresh_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> HaloSettings:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    return halo_settings_for(fresh_sandbox, auth_flow="authorization_code")


def signs_in_as(username: str, password: str) -> object:
    """The person's browser: open the sign-in URL with credentials (the sandbox's non-interactive path)."""

    async def browser(url: str) -> None:
        async with httpx2.AsyncClient(follow_redirects=True, timeout=10) as http:
            await http.get(f"{url}&{urlencode({'username': username, 'password': password})}")

    return browser


async def test_login_then_the_client_acts_as_that_person(settings: HaloSettings, fresh_sandbox: Sandbox) -> None:
    scope = await login(settings, signs_in_as(fresh_sandbox.agent_username, fresh_sandbox.agent_password))  # type: ignore[arg-type]
    assert "all" in scope
    path = token_file(settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first = load_refresh_token(settings)

    async with HaloClient(settings) as halo:
        me = await halo.get("Agent/me")
        assert me["email"].lower() == fresh_sandbox.agent_username.lower()
        fresh_sandbox.expire_tokens()
        assert (await halo.get("Agent/me"))["id"] == me["id"]  # renewed with the stored refresh token
    assert load_refresh_token(settings) not in (None, first)  # the rotated token was written back


async def test_wrong_password_is_a_clear_error(settings: HaloSettings) -> None:
    async def browser(url: str) -> None:  # the page re-renders with an error and never redirects
        async with httpx2.AsyncClient(timeout=10) as http:
            page = await http.get(f"{url}&{urlencode({'username': 'nobody@example.com', 'password': 'wrong'})}")
            assert page.status_code == 200 and "Invalid username or password" in page.text

    with pytest.raises(HaloAuthError, match="within 1 s"):
        await login(settings, browser, timeout=1.0)
    assert load_refresh_token(settings) is None


async def test_without_a_stored_sign_in_the_client_says_to_log_in(settings: HaloSettings) -> None:
    async with HaloClient(settings) as halo:
        with pytest.raises(HaloAuthError, match="halo-mcp login"):
            await halo.get("Agent/me")


async def test_without_a_sign_in_a_tool_answers_with_the_login_command_and_the_sign_in_url(
    settings: HaloSettings,
) -> None:
    surface = Surface(settings, ServerSettings(toolsets="directory"))
    try:
        lookup = next(t for t in surface.tools if t.name == "lookup")
        result = await surface.call(lookup, {"kind": "team"})
    finally:
        await surface.aclose()
    message = result.content[0].text  # type: ignore[union-attr]
    assert result.is_error
    assert "halo-mcp login" in message and f"{settings.url}/auth/authorize" in message

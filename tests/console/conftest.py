"""Fixtures for the admin console: one collections server per module over the module's own sandbox, with an admin
token, a client-side rate budget (so Health has a chart) and an in-memory state store and audit."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pydantic import SecretStr

from halo_mcp.config import ServerSettings, parse_file, tenant_halo_settings
from halo_mcp.sandbox import Sandbox
from halo_mcp.server.auth.keys import KeyRing
from tests.helpers import ADMIN_TOKEN, CHROMIUM, CHROMIUM_ARGS, CollectionsServer, halo_settings_for

if TYPE_CHECKING:
    from playwright.async_api import Page


@pytest.fixture(scope="module")
def console(module_sandbox: Sandbox) -> Iterator[CollectionsServer]:
    sandbox = module_sandbox  # its own: the tickets these tests create must not show up in other modules' tests
    with pytest.MonkeyPatch.context() as env:
        env.setenv("T_ACME_ID", sandbox.client_id)
        env.setenv("T_ACME_SECRET", sandbox.client_secret)
        tenant = {"url": sandbox.url, "client_id_env": "T_ACME_ID", "client_secret_env": "T_ACME_SECRET",
                  "rate_limit": "700/60"}  # fmt: skip
        file = parse_file({
            "tenants": {"acme": tenant},
            "collections": [{"name": "desk", "tenant": "acme", "auth": ["bearer"]}],
        })  # fmt: skip
        halo = {n: tenant_halo_settings(n, t, base=halo_settings_for(sandbox)) for n, t in file.tenants.items()}
        settings = ServerSettings(transport="http", admin_token=ADMIN_TOKEN)
        server = CollectionsServer(file, halo, settings).start()
    yield server
    server.stop()


@pytest.fixture
async def page(tmp_path: Path) -> AsyncIterator[Page]:
    """A page in Debian's headless Chromium (installed by `make install`), with a fresh profile."""
    from playwright.async_api import async_playwright

    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: `make install` installs Debian's chromium")
    async with async_playwright() as pw:
        context = await pw.chromium.launch_persistent_context(
            tmp_path / "profile",
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 800},
            permissions=["clipboard-read", "clipboard-write"],
        )
        context.set_default_timeout(15_000)
        try:
            yield await context.new_page()
        finally:
            await context.close()


@pytest.fixture(scope="module")
def halo_signin_console(module_sandbox: Sandbox) -> Iterator[CollectionsServer]:
    """The console where per-user sign-in is configured (a collection with auth = ["oauth"]): a Halo admin may sign
    in with Halo. Only a client id, like Halo's native-application API apps."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("T_ACME_ID", module_sandbox.client_id)
        tenant = {"url": module_sandbox.url, "client_id_env": "T_ACME_ID", "rate_limit": "off"}
        desk = {"name": "desk", "tenant": "acme", "auth": ["oauth"]}
        file = parse_file({"tenants": {"acme": tenant}, "collections": [desk]})
        base = halo_settings_for(module_sandbox)
        halo = {n: tenant_halo_settings(n, t, base=base) for n, t in file.tenants.items()}
        keys = SecretStr(KeyRing.new_secret())
        server = CollectionsServer(
            file, halo, ServerSettings(transport="http", admin_token=ADMIN_TOKEN, signin_keys=keys)
        )
        server.service.file = file.model_copy(
            update={"server": file.server.model_copy(update={"public_url": server.url})}
        )
        server.start()
    yield server
    server.stop()

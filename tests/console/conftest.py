"""Fixtures for the admin console: one collections server per module over the session sandbox, with an admin
token, a client-side rate budget (so Health has a chart) and an in-memory state store and audit."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from halo_mcp.config import ServerSettings, parse_file, tenant_halo_settings
from halo_mcp.sandbox import Sandbox
from tests.helpers import ADMIN_TOKEN, CollectionsServer, halo_settings_for


@pytest.fixture(scope="module")
def console(sandbox: Sandbox) -> Iterator[CollectionsServer]:
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

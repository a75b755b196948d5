"""Fixtures for transport tests: the real HTTP app on a loopback port (uvicorn in a thread, or the real CLI in a
subprocess), environments for subprocesses, and SDK clients over each transport."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from halo_mcp.config import ServerSettings, parse_file, tenant_halo_settings
from halo_mcp.sandbox import Sandbox
from tests.helpers import CollectionsServer, ThreadServer, halo_settings_for


@pytest.fixture
def serve_http(sandbox: Sandbox) -> Iterator[Callable[..., ThreadServer]]:
    """Start the HTTP app with the given `ServerSettings` fields; stopped at teardown."""
    started: list[ThreadServer] = []

    def start(**settings: Any) -> ThreadServer:
        server = ThreadServer(sandbox, ServerSettings(**{"transport": "http", **settings})).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def http_server(sandbox: Sandbox) -> Iterator[ThreadServer]:
    """One shared server with default settings (loopback, no token)."""
    server = ThreadServer(sandbox, ServerSettings(transport="http")).start()
    yield server
    server.stop()


@pytest.fixture
def serve_collections(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., CollectionsServer]]:
    """Serve `collections` over the given tenants (name -> sandbox), secrets passed by environment variable as
    halo-mcp.toml requires. `rate_limits` sets a tenant's client-side budget (default off)."""
    started: list[CollectionsServer] = []

    def start(
        collections: list[dict[str, Any]],
        tenants: dict[str, Sandbox],
        *,
        rate_limits: dict[str, str] | None = None,
        **settings: Any,
    ) -> CollectionsServer:
        table: dict[str, Any] = {}
        for name, sb in tenants.items():
            monkeypatch.setenv(f"T_{name.upper()}_ID", sb.client_id)
            monkeypatch.setenv(f"T_{name.upper()}_SECRET", sb.client_secret)
            table[name] = {
                "url": sb.url,
                "client_id_env": f"T_{name.upper()}_ID",
                "client_secret_env": f"T_{name.upper()}_SECRET",
                "rate_limit": (rate_limits or {}).get(name, "off"),
            }
        file = parse_file({"tenants": table, "collections": collections})
        halo = {n: tenant_halo_settings(n, t, base=halo_settings_for(tenants[n])) for n, t in file.tenants.items()}
        server = CollectionsServer(file, halo, ServerSettings(transport="http", **settings)).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()

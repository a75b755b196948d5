"""Fixtures for transport tests: the real HTTP app on a loopback port (uvicorn in a thread, or the real CLI in a
subprocess), environments for subprocesses, and SDK clients over each transport."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx2
import pytest
import uvicorn
from mcp import Client
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client

from halo_mcp.config import ServerSettings
from halo_mcp.sandbox import Sandbox
from halo_mcp.server.http import build_app
from halo_mcp.server.run import bind
from halo_mcp.server.surface import Surface
from tests.conftest import halo_settings_for

STARTUP_TIMEOUT = 20.0


class ThreadServer:
    """The production ASGI app served by uvicorn on its own event loop in a background thread."""

    def __init__(self, sandbox: Sandbox, settings: ServerSettings) -> None:
        self.sandbox = sandbox
        self.settings = settings
        self.sock = bind("127.0.0.1", 0)
        self.port: int = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def start(self) -> ThreadServer:
        ready = threading.Event()

        async def main() -> None:
            surface = Surface(halo_settings_for(self.sandbox), self.settings)
            config = uvicorn.Config(build_app(surface, self.settings), log_config=None, lifespan="on")
            self._server = uvicorn.Server(config)
            ready.set()
            try:
                await self._server.serve(sockets=[self.sock])
            finally:
                await surface.aclose()

        def run() -> None:
            try:
                asyncio.run(main())
            except BaseException as exc:  # surfaced by start()/stop()
                self._error = exc
                ready.set()

        self._thread = threading.Thread(target=run, name=f"halo-mcp-http-{self.port}", daemon=True)
        self._thread.start()
        ready.wait(STARTUP_TIMEOUT)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not (self._server and self._server.started):
            if self._error or time.monotonic() > deadline:
                raise RuntimeError(f"test server did not start: {self._error!r}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.sock.close()


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


def subprocess_env(sandbox: Sandbox | None = None, **extra: str) -> dict[str, str]:
    """The current environment minus any HALO_* setting, plus the sandbox's credentials."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HALO_")}
    env["HALO_MCP_AUDIT_DB"] = ":memory:"  # never the developer's real audit file
    if sandbox is not None:
        env.update(
            HALO_URL=sandbox.url,
            HALO_CLIENT_ID=sandbox.client_id,
            HALO_CLIENT_SECRET=sandbox.client_secret,
            HALO_RATE_LIMIT="off",
        )
    env.update(extra)
    return env


class CliServer:
    """`python -m halo_mcp serve --transport http --port 0` as a real process; its stderr is kept for asserts."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "halo_mcp", "serve", "--transport", "http", "--port", "0", *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.stderr_lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.url = self._wait_for_url()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr_lines.append(line)

    def _wait_for_url(self) -> str:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            for line in list(self.stderr_lines):
                found = re.search(r"serving on (http://\S+)/mcp", line)
                if found:
                    url = found.group(1)
                    self._wait_healthy(url, deadline)
                    return url
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("halo-mcp serve did not start:\n" + "".join(self.stderr_lines))

    @staticmethod
    def _wait_healthy(url: str, deadline: float) -> None:
        while time.monotonic() < deadline:
            try:
                if httpx2.get(f"{url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx2.TransportError:
                pass
            time.sleep(0.05)

    def stop(self) -> str:
        """Terminate and return everything the process wrote (stdout and stderr)."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self._reader.join(timeout=5)
        out = self.proc.stdout.read() if self.proc.stdout else ""
        return out + "".join(self.stderr_lines)


@asynccontextmanager
async def http_client(url: str, *, mode: str = "auto", token: str | None = None) -> AsyncIterator[Client]:
    """The SDK client over streamable HTTP, optionally with a bearer token."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(10, read=30)) as http,
        Client(streamable_http_client(f"{url}/mcp", http_client=http), mode=mode) as client,
    ):
        yield client


@asynccontextmanager
async def sse_mcp_client(url: str, *, mode: str = "auto", token: str | None = None) -> AsyncIterator[Client]:
    """The SDK client over the deprecated HTTP+SSE transport."""
    headers = {"Authorization": f"Bearer {token}"} if token else None
    async with Client(sse_client(f"{url}/sse", headers=headers, timeout=10, sse_read_timeout=30), mode=mode) as c:
        yield c

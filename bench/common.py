"""Shared benchmark plumbing: child processes (sandbox, HTTP server, stdio server), lean MCP clients, statistics.

The load generator speaks raw JSON-RPC rather than going through the SDK `Client`: on 2 cores the client's own
validation would otherwise be a large share of every figure, and we want the server's cost, not the client's.
Every process started here is stopped in a `finally` (or by its context manager); every loop has a count and a
time cap.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PY = sys.executable
HALO_MCP = str(Path(PY).with_name("halo-mcp"))
MODERN = "2026-07-28"
LEGACY = "2025-11-25"
CLIENT_INFO = {"name": "halo-mcp-bench", "version": "1"}
# A scratch directory as the children's cwd: a developer's `.env` must not change what is measured.
WORKDIR = Path(tempfile.mkdtemp(prefix="halo-bench-"))
PYCACHE = Path(tempfile.gettempdir()) / "halo-bench-pycache"


# -- statistics ------------------------------------------------------------------------------------------------


def pct(values: Sequence[float], q: float) -> float:
    """Percentile with linear interpolation (q in 0..100)."""
    if not values:
        return float("nan")
    s = sorted(values)
    k = (len(s) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def summary_ms(seconds: Sequence[float]) -> dict[str, float]:
    """n, mean, p50, p95, p99 and max, in milliseconds, rounded for the report."""
    ms = [s * 1000 for s in seconds]
    if not ms:
        return {"n": 0}
    return {
        "n": len(ms),
        "mean": round(sum(ms) / len(ms), 3),
        "p50": round(pct(ms, 50), 3),
        "p95": round(pct(ms, 95), 3),
        "p99": round(pct(ms, 99), 3),
        "max": round(max(ms), 3),
    }


def median(values: Sequence[float]) -> float:
    return pct(values, 50)


# -- machine ---------------------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    """What the figures were measured on: compare runs on one machine, not machines."""
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kib = 0
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    commit = ""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=5
        ).stdout.strip()
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cpu": cpu,
        "cores": affinity,
        "ram_gib": round(mem_kib / 1024 / 1024, 1),
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "libc": " ".join(platform.libc_ver()),
        "commit": commit,
    }


# -- processes -------------------------------------------------------------------------------------------------


def rss_kib(pid: int) -> int:
    """VmRSS of a process, KiB (0 if it is gone)."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its live children (the HTTP workers) so far (0 if it is gone)."""
    total = 0.0
    with contextlib.suppress(OSError, ValueError, IndexError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    with contextlib.suppress(OSError, ValueError):
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        total += sum(cpu_seconds(int(child)) for child in children)
    return total


def child_env() -> dict[str, str]:
    """The environment of every child: no stray HALO_* values, and byte-code caching on, into a scratch prefix, so
    start-up is measured as an installed package runs (compiled once), never recompiling sources on every start
    (PYTHONDONTWRITEBYTECODE may be set in development shells) nor writing into the repository."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HALO_") and k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    env["HALO_MCP_AUDIT_DB"] = ":memory:"  # benchmark writes are not worth keeping
    return env


def load_average() -> list[float]:
    """1, 5 and 15 minute load averages: other work on the machine skews every timing, so each run records it."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def cpu_pressure() -> float | None:
    """Share of the last 60 s in which some runnable task waited for a CPU (Linux PSI), percent."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        line = Path("/proc/pressure/cpu").read_text().splitlines()[0]
        return float(dict(kv.split("=") for kv in line.split()[1:])["avg60"])
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop_process(proc: subprocess.Popen[Any], timeout: float = 5.0) -> None:
    """SIGTERM, then SIGKILL after `timeout`: only the process we started, by its pid."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        proc.wait(timeout)


@dataclass
class SandboxProc:
    """A seeded sandbox in its own process; the sandbox's admin API (counters) is reached over HTTP."""

    seed: int = 1
    scale: str = "small"
    shape_defaults: bool = True
    url: str = ""
    client_id: str = ""
    client_secret: str = ""
    pid: int = 0
    proc: subprocess.Popen[str] | None = None

    def start(self, timeout: float = 60.0) -> SandboxProc:
        self.proc = subprocess.Popen(
            [PY, str(BENCH / "sandbox_proc.py"), "--seed", str(self.seed), "--scale", self.scale]
            + ([] if self.shape_defaults else ["--no-shape-defaults"]),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=open(WORKDIR / "sandbox.log", "a"),  # noqa: SIM115 - owned by the child
            text=True,
            cwd=WORKDIR,
            env=child_env(),
        )
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        line = ""
        while not line and time.monotonic() < deadline and self.proc.poll() is None:
            line = self.proc.stdout.readline()
        if not line:
            self.stop()
            raise RuntimeError(f"the sandbox did not start; see {WORKDIR / 'sandbox.log'}")
        info = json.loads(line)
        self.url, self.client_id, self.client_secret, self.pid = (
            info["url"],
            info["client_id"],
            info["client_secret"],
            info["pid"],
        )
        return self

    def stop(self) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(OSError):
            if self.proc.stdin:
                self.proc.stdin.close()  # the child's cue to stop
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            stop_process(self.proc)
        self.proc = None

    def __enter__(self) -> SandboxProc:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def counters(self) -> dict[str, Any]:
        r = httpx2.get(self.url + "/_sandbox/counters", timeout=10)
        r.raise_for_status()
        data: dict[str, Any] = r.json()
        return data

    def reset_counters(self) -> None:
        httpx2.post(self.url + "/_sandbox/counters/reset", timeout=10).raise_for_status()

    def reset(self) -> None:
        """Back to the seeded data (workflows write)."""
        httpx2.post(self.url + "/_sandbox/reset", timeout=60).raise_for_status()

    def env(self, **extra: str) -> dict[str, str]:
        """The server's environment: HALO_* pointing here, everything else inherited minus stray HALO_* values."""
        env = child_env()
        env.update(
            HALO_URL=self.url,
            HALO_CLIENT_ID=self.client_id,
            HALO_CLIENT_SECRET=self.client_secret,
            HALO_RATE_LIMIT="off",
            HALO_MCP_AUDIT_DB="",
        )
        env.update(extra)
        return env


@contextlib.contextmanager
def http_server(
    sb: SandboxProc, *, log_name: str = "server-http.log", command: Sequence[str] | None = None, **env: str
) -> Iterator[HttpServer]:
    """`halo-mcp serve --transport http` in its own process, pointed at `sb`; stopped on exit. `command` replaces
    `halo-mcp` (e.g. a wrapper that profiles or patches the server, for investigations)."""
    port = free_port()
    proc = subprocess.Popen(
        [*(command or [HALO_MCP]), "serve", "--transport", "http", "--host", "127.0.0.1", "--port", str(port)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=open(WORKDIR / log_name, "a"),  # noqa: SIM115 - owned by the child
        env=sb.env(**env),
        cwd=WORKDIR,
    )
    try:
        server = HttpServer(f"http://127.0.0.1:{port}", proc)
        server.wait_ready()
        yield server
    finally:
        stop_process(proc)


@dataclass
class HttpServer:
    base: str
    proc: subprocess.Popen[Any]

    @property
    def url(self) -> str:
        return self.base + "/mcp"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the HTTP server exited ({self.proc.returncode}); see {WORKDIR}")
            with contextlib.suppress(httpx2.HTTPError):
                if httpx2.get(self.base + "/healthz", timeout=1).status_code == 200:
                    return
            time.sleep(0.05)
        raise RuntimeError("the HTTP server did not become ready")


# -- lean MCP clients ------------------------------------------------------------------------------------------


class McpError(Exception):
    """A JSON-RPC error, or a tool result with isError (counted as an error by the load generator)."""


def _meta(era: str) -> dict[str, Any]:
    if era != MODERN:
        return {}
    return {
        "_meta": {
            "io.modelcontextprotocol/protocolVersion": MODERN,
            "io.modelcontextprotocol/clientCapabilities": {},
            "io.modelcontextprotocol/clientInfo": CLIENT_INFO,
        }
    }


def check_tool_result(message: dict[str, Any]) -> dict[str, Any]:
    if "error" in message:
        raise McpError(str(message["error"]))
    result: dict[str, Any] = message.get("result") or {}
    if result.get("isError"):
        text = " ".join(b.get("text", "") for b in result.get("content", []))
        raise McpError(text[:300])
    return result


def parse_http_body(content_type: str, body: bytes, want_id: int) -> dict[str, Any]:
    """A JSON-RPC response from either a JSON body or an SSE stream scoped to the request."""
    if content_type.startswith("application/json"):
        data: dict[str, Any] = json.loads(body)
        return data
    for line in body.decode().splitlines():
        if line.startswith("data:"):
            payload = line[5:].strip()
            if not payload:
                continue
            message = json.loads(payload)
            if message.get("id") == want_id:
                result: dict[str, Any] = message
                return result
    raise McpError(f"no response for request {want_id} in the SSE stream")


@dataclass
class RawHttpClient:
    """JSON-RPC over streamable HTTP. Modern era: stateless requests with `_meta` and routing headers. Legacy era:
    an initialize handshake and an `Mcp-Session-Id` (one session per client object)."""

    url: str
    http: httpx2.AsyncClient
    era: str = MODERN
    session_id: str | None = None
    _next: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    capabilities: dict[str, Any] = field(default_factory=dict)  # declared at a legacy initialize

    async def request(self, method: str, params: dict[str, Any] | None = None, name: str | None = None) -> Any:
        self._next += 1
        rid = self._next
        headers = {
            "Accept": "application/json, text/event-stream",
            "Content-Type": "application/json",
            "MCP-Protocol-Version": self.era,
            **self.headers,
        }
        if self.era == MODERN:
            headers["Mcp-Method"] = method
            if name is not None:
                headers["Mcp-Name"] = name
        if self.session_id:
            headers["Mcp-Session-Id"] = self.session_id
        body = {"jsonrpc": "2.0", "id": rid, "method": method, "params": {**(params or {}), **_meta(self.era)}}
        r = await self.http.post(self.url, content=json.dumps(body), headers=headers)
        if r.status_code >= 400:
            raise McpError(f"HTTP {r.status_code}: {r.text[:300]}")
        if method == "initialize":
            self.session_id = r.headers.get("mcp-session-id")
        return parse_http_body(r.headers.get("content-type", ""), r.content, rid)

    async def notify(self, method: str) -> None:
        headers = {
            "Accept": "application/json, text/event-stream",
            "Content-Type": "application/json",
            "MCP-Protocol-Version": self.era,
        }
        if self.session_id:
            headers["Mcp-Session-Id"] = self.session_id
        r = await self.http.post(self.url, content=json.dumps({"jsonrpc": "2.0", "method": method}), headers=headers)
        if r.status_code >= 400:
            raise McpError(f"HTTP {r.status_code}: {r.text[:300]}")

    async def initialize(self) -> None:
        """Legacy handshake (no-op in the modern era, which has none)."""
        if self.era == MODERN:
            return
        params = {"protocolVersion": self.era, "capabilities": self.capabilities, "clientInfo": CLIENT_INFO}
        check_tool_result(await self.request("initialize", params))
        await self.notify("notifications/initialized")

    async def close(self) -> None:
        if self.session_id:
            with contextlib.suppress(httpx2.HTTPError):
                await self.http.delete(
                    self.url, headers={"Mcp-Session-Id": self.session_id, "MCP-Protocol-Version": self.era}
                )
            self.session_id = None

    async def list_tools(self) -> dict[str, Any]:
        return check_tool_result(await self.request("tools/list", {}))

    async def call_tool(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        return check_tool_result(await self.request("tools/call", {"name": name, "arguments": arguments}, name=name))


class RawStdioClient:
    """JSON-RPC over a spawned `halo-mcp serve` (stdio), legacy handshake as desktop clients do today."""

    def __init__(self, env: dict[str, str], argv: Sequence[str] | None = None) -> None:
        self.env = env
        self.argv = list(argv or [HALO_MCP, "serve"])
        self.proc: asyncio.subprocess.Process | None = None
        self._next = 0

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            *self.argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=open(WORKDIR / "server-stdio.log", "a"),  # noqa: SIM115 - owned by the child
            env=self.env,
            cwd=WORKDIR,
            limit=64 * 1024 * 1024,
        )

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def _send(self, message: dict[str, Any]) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(message).encode() + b"\n")
        await self.proc.stdin.drain()

    async def request(self, method: str, params: dict[str, Any] | None = None, timeout: float = 30.0) -> Any:
        assert self.proc is not None and self.proc.stdout is not None
        self._next += 1
        rid = self._next
        await self._send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params or {}})
        async with asyncio.timeout(timeout):
            while True:
                line = await self.proc.stdout.readline()
                if not line:
                    raise McpError("the stdio server closed its output")
                message = json.loads(line)
                if message.get("id") == rid and ("result" in message or "error" in message):
                    return message

    async def initialize(self) -> None:
        params = {"protocolVersion": LEGACY, "capabilities": {}, "clientInfo": CLIENT_INFO}
        check_tool_result(await self.request("initialize", params))
        await self._send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    async def list_tools(self) -> dict[str, Any]:
        return check_tool_result(await self.request("tools/list", {}))

    async def call_tool(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        return check_tool_result(await self.request("tools/call", {"name": name, "arguments": arguments}))

    async def close(self) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(OSError, RuntimeError):
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        try:
            await asyncio.wait_for(self.proc.wait(), 5)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 5)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    self.proc.kill()
                await self.proc.wait()
        self.proc = None


@contextlib.asynccontextmanager
async def stdio_client(env: dict[str, str]) -> AsyncIterator[RawStdioClient]:
    client = RawStdioClient(env)
    try:
        await client.start()
        await client.initialize()
        yield client
    finally:
        await client.close()


class DirectHalo:
    """Plain Halo REST requests from the bench process: the baseline a tool call is compared with."""

    def __init__(self, sb: SandboxProc, http: httpx2.AsyncClient) -> None:
        self.sb = sb
        self.http = http
        self.token = ""

    async def auth(self) -> None:
        r = await self.http.post(
            self.sb.url + "/auth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": self.sb.client_id,
                "client_secret": self.sb.client_secret,
                "scope": "all",
            },
        )
        r.raise_for_status()
        self.token = r.json()["access_token"]

    async def url(self, url: str) -> httpx2.Response:
        """A GET of a full URL (one the server itself requested), with this process's own token."""
        if not self.token:
            await self.auth()
        r = await self.http.get(url, headers={"Authorization": f"Bearer {self.token}"})
        r.raise_for_status()
        return r

    async def get(self, path: str, params: dict[str, Any] | None = None) -> httpx2.Response:
        if not self.token:
            await self.auth()
        r = await self.http.get(
            f"{self.sb.url}/api/{path}", params=params, headers={"Authorization": f"Bearer {self.token}"}
        )
        r.raise_for_status()
        return r


def halo_calls(counters: dict[str, Any]) -> dict[str, int]:
    """Halo API requests and token requests in a sandbox counter snapshot."""
    routes: dict[str, int] = counters.get("routes") or {}
    auth = sum(n for route, n in routes.items() if "/auth" in route.lower() or "token" in route.lower())
    api = sum(n for route, n in routes.items() if route.split(" ", 1)[-1].startswith("/api"))
    return {"api": api, "auth": auth}


def new_http(connections: int = 100) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(
        timeout=httpx2.Timeout(60.0, connect=10.0),
        limits=httpx2.Limits(max_connections=connections, max_keepalive_connections=connections),
    )

"""`Sandbox`: run the sandbox with uvicorn in a background thread (own event loop) on a loopback port.

Works as a context manager from sync and async tests alike; admin helpers talk to the admin endpoint
over HTTP so they behave the same whether the sandbox is in-process or not.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from types import TracebackType
from typing import Any

import httpx2
import uvicorn

from halo_mcp.sandbox.app import SandboxApp, SandboxConfig, install_log_filter


class Sandbox:
    def __init__(
        self,
        seed: int = 1,
        scale: int | str = "small",
        db: str = ":memory:",
        faults: dict[str, Any] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        token_lifetime: int = 3600,
        runbook_seconds: float | None = None,
        shape_defaults: bool = True,
    ) -> None:
        self.config = SandboxConfig(
            seed=seed,
            scale=scale,
            db=db,
            faults=faults,
            token_lifetime=token_lifetime,
            runbook_seconds=runbook_seconds,
            shape_defaults=shape_defaults,
        )
        self.host = host
        self.port = port
        self.app: SandboxApp | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None
        self._http: httpx2.Client | None = None

    # -- lifecycle --------------------------------------------------------------------------------------
    def start(self) -> Sandbox:
        if self._thread is not None:
            return self
        install_log_filter()
        self.app = SandboxApp(self.config)
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted sockets only when the listener says TCP;
        # without it a head+body response waits on delayed ACKs (~40 ms).
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        sock.listen(1024)
        sock.setblocking(False)
        self._sock = sock
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=2,
            timeout_keep_alive=30,
        )
        self._server = uvicorn.Server(config)
        server = self._server

        def run() -> None:
            asyncio.run(server.serve(sockets=[sock]))

        self._thread = threading.Thread(target=run, name=f"halo-sandbox-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the Halo sandbox failed to start")
            time.sleep(0.005)
        self._http = httpx2.Client(base_url=self.url, timeout=30)
        return self

    def stop(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)
            if self._thread.is_alive() and self._server is not None:
                self._server.force_exit = True
                self._thread.join(timeout=5)
            self._thread = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if self.app is not None:
            self.app.store.close()
            self.app = None
        self._server = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Sandbox:
        import anyio.to_thread

        return await anyio.to_thread.run_sync(self.start)

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        import anyio.to_thread

        await anyio.to_thread.run_sync(self.stop)

    # -- addresses and credentials ----------------------------------------------------------------------
    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def api_url(self) -> str:
        return self.url + "/api"

    @property
    def token_url(self) -> str:
        return self.url + "/auth/token"

    @property
    def client_id(self) -> str:
        return self.config.client_id

    @property
    def client_secret(self) -> str:
        return self.config.client_secret

    @property
    def agent_username(self) -> str:
        return self._app().agent_credentials()[0]

    @property
    def agent_password(self) -> str:
        return self._app().agent_credentials()[1]

    def _app(self) -> SandboxApp:
        if self.app is None:
            raise RuntimeError("the sandbox is not running")
        return self.app

    # -- admin helpers (over HTTP) ----------------------------------------------------------------------
    def _admin(self, method: str, path: str, json: Any = None) -> Any:
        if self._http is None:
            raise RuntimeError("the sandbox is not running")
        r = self._http.request(method, "/_sandbox" + path, json=json)
        if r.status_code >= 400:
            raise ValueError(f"sandbox admin {method} {path}: {r.status_code} {r.text}")
        return r.json()

    def counters(self) -> dict[str, Any]:
        result: dict[str, Any] = self._admin("GET", "/counters")
        return result

    def reset_counters(self) -> None:
        self._admin("POST", "/counters/reset")

    def set_faults(self, **spec: Any) -> dict[str, Any]:
        result: dict[str, Any] = self._admin("PUT", "/faults", json=spec)
        return result

    def faults(self) -> dict[str, Any]:
        result: dict[str, Any] = self._admin("GET", "/faults")
        return result

    def clear_faults(self) -> None:
        self._admin("DELETE", "/faults")

    def expire_tokens(self) -> int:
        return int(self._admin("POST", "/tokens/expire")["expired"])

    def create_app(self, scopes: str = "read:tickets", agent_id: int | None = None) -> tuple[str, str]:
        body = self._admin("POST", "/apps", json={"scopes": scopes, "agent_id": agent_id})
        return body["client_id"], body["client_secret"]

    def reset(self) -> None:
        self._admin("POST", "/reset")

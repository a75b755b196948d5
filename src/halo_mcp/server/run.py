"""Process-level plumbing shared by the CLI's serving commands: logging to stderr with secrets masked, a bound
listening socket (so the port is known before serving, even for port 0) and the uvicorn loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import signal
import socket
import sys
from collections.abc import Callable, Coroutine, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import uvicorn
    from starlette.types import ASGIApp

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
HANDLER_NAME = "halo-mcp"


# A collection's URL token is part of the request path (`/mcp/t/<token>`), so access logs would print it.
URL_TOKEN = re.compile(r"(/mcp/t/)[^/\s\"?]+")


class SecretMask(logging.Filter):
    """Replace known secret values and URL tokens in every record: defence in depth, since no code path should
    log them."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = URL_TOKEN.sub(r"\1***", message)
        for secret in self.secrets:
            masked = masked.replace(secret, "***")
        if masked != message:
            record.msg, record.args = masked, None
        return True


def configure_logging(level: str = "INFO", secrets: Iterable[str] = ()) -> None:
    """Everything to stderr (stdout is the stdio transport's wire). Chatty HTTP client logs only at DEBUG."""
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        numeric = logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.addFilter(SecretMask(secrets))
    handler.set_name(HANDLER_NAME)
    root = logging.getLogger()
    for old in list(root.handlers):
        # Replace our own handler (and Python's last-resort style defaults); keep foreign ones such as pytest's.
        if old.get_name() == HANDLER_NAME or type(old) is logging.StreamHandler:
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(numeric)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        # An in-process sandbox may have run uvicorn's own dictConfig (access log on stdout, no masking): undo it.
        logger = logging.getLogger(name)
        for old in list(logger.handlers):
            logger.removeHandler(old)
        logger.propagate = True
    quiet = logging.DEBUG if numeric <= logging.DEBUG else logging.WARNING
    for name in ("aiohttp", "httpx2", "httpcore2", "httpx", "httpcore", "sse_starlette", "mcp.server.lowlevel.server"):
        logging.getLogger(name).setLevel(max(quiet, numeric))


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket; port 0 picks a free one (read it back from `getsockname()`)."""
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose proto says TCP, and
    # without it every keep-alive response stalls ~40 ms (Nagle against the peer's delayed ACK).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError:
        sock.close()
        raise
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def uvicorn_config(
    app: ASGIApp, *, log_level: str = "info", header_timeout: float = 10.0, **extra: Any
) -> uvicorn.Config:
    """How every HTTP server of ours runs under uvicorn (the CLI's and the tests' alike); `extra` adds options such
    as TLS files."""
    import uvicorn  # only the HTTP transports pay for it

    from halo_mcp.server.protocol import with_header_timeout

    return uvicorn.Config(
        app,
        log_config=None,
        log_level=log_level.lower(),
        # One INFO line per request ("POST /mcp 200") says nothing a client cannot, at ~3% of a call's CPU: kept
        # for DEBUG.
        access_log=log_level.lower() == "debug",
        # X-Forwarded-* from a loopback proxy would only relabel the client address, which nothing here reads; the
        # middleware would still inspect every request's headers.
        proxy_headers=False,
        server_header=False,  # no "server: uvicorn" on every response: nothing to advertise
        lifespan="on",
        timeout_graceful_shutdown=5,
        # httptools, with header values stripped as RFC 9110 requires and the request-head deadline uvicorn lacks.
        http=with_header_timeout(header_timeout),
        **extra,
    )


async def serve_asgi(app: ASGIApp, sock: socket.socket, log_level: str = "info", header_timeout: float = 10.0) -> None:
    """Serve `app` on an already bound socket until SIGINT/SIGTERM."""
    import uvicorn

    server = uvicorn.Server(uvicorn_config(app, log_level=log_level, header_timeout=header_timeout))
    await server.serve(sockets=[sock])


def run_loop(main: Coroutine[Any, Any, None]) -> None:
    """Run `main` on uvloop where it is installed: measured at 0.3-0.5 ms less server CPU per tool call than
    asyncio's own loop (sockets, timers and callbacks in C), over HTTP and stdio alike."""
    try:
        import uvloop
    except ImportError:  # Windows: asyncio's loop
        asyncio.run(main)
        return
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main)


def prefork(workers: int, serve: Callable[[], int]) -> int:
    """Run `serve` in `workers` processes sharing the already bound socket; the parent is worker 0.

    Forked before any event loop or thread exists. When the parent's `serve` returns (SIGINT/SIGTERM), the
    children are stopped and reaped, so no worker outlives the command.
    """
    # uvicorn re-raises SIGTERM once it has shut down; as KeyboardInterrupt it unwinds to the cleanup below
    # instead of killing the parent on the spot and orphaning the workers.
    signal.signal(signal.SIGTERM, _interrupt)
    children: list[int] = []
    for _ in range(workers - 1):
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                code = serve()
            finally:
                os._exit(code)
        children.append(pid)
    try:
        return serve()
    finally:
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        for pid in children:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt

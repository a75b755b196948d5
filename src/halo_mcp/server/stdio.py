"""Serve one surface over stdio: the transport desktop clients spawn. stdout carries only JSON-RPC; logs go to
stderr, and while serving fd 0 reads the null device and fd 1 points at stderr, so a stray print or a child process
cannot corrupt the wire.

The SDK's `stdio_server` frames, validates and serialises the messages. By default it reads and writes the standard
streams through a worker thread, two thread hand-offs per call; when they are pipes (as a client that spawns the
server makes them) we give it streams read and written by the event loop itself instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import stat
import sys
from collections.abc import AsyncIterator
from typing import Any, cast

from mcp.server.stdio import stdio_server

from halo_mcp.server.surface import Surface

LINE_LIMIT = 1 << 30  # one JSON-RPC message per line; the HTTP body limit does not apply to a local client


async def serve_stdio(surface: Surface) -> None:
    """Run until the client closes stdin."""
    server = surface.server
    async with wire() as streams, stdio_server(*streams) as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


class LineReader:
    """Lines of the wire's stdin, decoded as the SDK's own reader does (UTF-8, bad bytes replaced)."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self.reader = reader

    def __aiter__(self) -> LineReader:
        return self

    async def __anext__(self) -> str:
        line = await self.reader.readline()
        if not line:
            raise StopAsyncIteration
        return line.decode("utf-8", "replace")


class LineWriter:
    """The wire's stdout; `flush` waits while the pipe is full."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer

    async def write(self, text: str) -> None:
        self.writer.write(text.encode())

    async def flush(self) -> None:
        await self.writer.drain()


@contextlib.asynccontextmanager
async def wire() -> AsyncIterator[tuple[Any, Any]]:
    """(stdin, stdout) for `stdio_server`: event-loop pipes on private copies of fds 0 and 1, with the standard
    descriptors diverted while serving and restored after; (None, None), the SDK's threaded default, when the
    standard streams are not pipes or sockets (a file, a terminal) or on Windows."""
    if sys.platform == "win32" or not all(_is_pipe(fd) for fd in (0, 1)):
        yield None, None
        return
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=LINE_LIMIT)
    read_transport, _ = await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(os.dup(0), "rb", buffering=0)
    )
    write_transport, protocol = await loop.connect_write_pipe(
        asyncio.streams.FlowControlMixin, os.fdopen(os.dup(1), "wb", buffering=0)
    )
    saved = os.dup(0), os.dup(1)
    writer = asyncio.StreamWriter(write_transport, cast(Any, protocol), None, loop)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    try:
        yield LineReader(reader), LineWriter(writer)
    finally:
        os.dup2(saved[0], 0)
        os.dup2(saved[1], 1)
        for fd in saved:
            os.close(fd)
        read_transport.close()
        write_transport.close()


def _is_pipe(fd: int) -> bool:
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)

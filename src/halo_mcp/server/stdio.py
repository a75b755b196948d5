"""Serve one surface over stdio: the transport desktop clients spawn. stdout carries only JSON-RPC; logs go to
stderr (the SDK also points fd 1 at stderr while serving, so stray prints cannot corrupt the wire)."""

from __future__ import annotations

from mcp.server.stdio import stdio_server

from halo_mcp.server.surface import Surface


async def serve_stdio(surface: Surface) -> None:
    """Run until the client closes stdin."""
    server = surface.server
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())

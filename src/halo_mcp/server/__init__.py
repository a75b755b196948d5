"""Serving the surface: stdio, streamable HTTP and legacy SSE, collections and sign-in.

Imported before any of its modules, so the SDK's package initialisers are deferred (server/sdk.py) before the first
`mcp.*` import of a server."""

from halo_mcp.server.sdk import defer_package_imports

defer_package_imports()

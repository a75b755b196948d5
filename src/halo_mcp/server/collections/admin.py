"""The admin HTTP API under `/admin/api`, like Truto's provisioning API: collections and their tokens.

Served only when `HALO_MCP_ADMIN_TOKEN` is set (kept as its digest), only to loopback peers, and only with that
bearer token. It calls the same `CollectionService` as the CLI, so validation and errors are the same; each change
is applied to the running server at once.

    GET    /admin/api/collections                 list
    POST   /admin/api/collections                 create (JSON: the halo-mcp.toml keys of one collection)
    GET    /admin/api/collections/{name}          show
    PATCH  /admin/api/collections/{name}          update
    DELETE /admin/api/collections/{name}          delete (revokes its tokens)
    GET    /admin/api/collections/{name}/tokens   list tokens
    POST   /admin/api/collections/{name}/tokens   issue one ({"label", "expires"}); its secret is in this answer only
    DELETE /admin/api/tokens/{id}                 revoke
    POST   /admin/api/reload                      re-read halo-mcp.toml and the store
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from halo_mcp.config import ConfigError
from halo_mcp.server.collections.auth import StaticTokenVerifier, bearer
from halo_mcp.server.collections.service import CollectionService, NotFound, token_json
from halo_mcp.server.http import is_loopback, store_unavailable, unauthorized
from halo_mcp.state.base import StateUnavailable

Refresh = Callable[[], Awaitable[None]]


def admin_app(
    service: CollectionService, verifier: StaticTokenVerifier, refresh: Refresh, reload: Refresh
) -> Starlette:
    """The admin routes; `refresh` applies store changes, `reload` re-reads the file too."""

    def endpoint(fn: Callable[[Request], Awaitable[Any]]) -> Callable[[Request], Awaitable[Response]]:
        async def handle(request: Request) -> Response:
            peer = request.client.host if request.client else ""
            if not is_loopback(peer):
                return JSONResponse({"error": "forbidden", "error_description": "the admin API is loopback only"}, 403)
            presented = bearer(request)
            if presented is None or await verifier.verify_token(presented) is None:
                return unauthorized("the admin token is missing or wrong" if presented else "")
            try:
                result = await fn(request)
            except NotFound as exc:
                return JSONResponse({"error": "not_found", "error_description": str(exc)}, 404)
            except ConfigError as exc:
                return JSONResponse({"error": "invalid", "error_description": str(exc)}, 400)
            except StateUnavailable:
                return store_unavailable()
            if isinstance(result, Response):
                return result
            return JSONResponse(result)

        return handle

    async def body(request: Request) -> dict[str, Any]:
        try:
            data = json.loads(await request.body() or b"{}")
        except ValueError:
            raise ConfigError("the request body is not JSON") from None
        if not isinstance(data, dict):
            raise ConfigError("the request body must be a JSON object")
        return data

    async def list_collections(request: Request) -> Any:
        return [service.describe(s) for s in await service.specs()]

    async def create(request: Request) -> Any:
        spec = await service.create(await body(request))
        await refresh()
        return JSONResponse(service.describe(spec), 201)

    async def show(request: Request) -> Any:
        return service.describe(await service.get(request.path_params["name"]))

    async def update(request: Request) -> Any:
        spec = await service.update(request.path_params["name"], await body(request))
        await refresh()
        return service.describe(spec)

    async def delete(request: Request) -> Any:
        revoked = await service.delete(request.path_params["name"])
        await refresh()
        return {"deleted": request.path_params["name"], "tokens_revoked": revoked}

    async def tokens(request: Request) -> Any:
        return [token_json(t) for t in await service.tokens(request.path_params["name"])]

    async def issue(request: Request) -> Any:
        data = await body(request)
        name = request.path_params["name"]
        secret, token = await service.issue_token(name, label=str(data.get("label", "")), expires=data.get("expires"))
        url = service.url(await service.get(name), secret)
        return JSONResponse({**token_json(token), "token": secret, **({"url": url} if url else {})}, 201)

    async def revoke(request: Request) -> Any:
        return {"revoked": token_json(await service.revoke(request.path_params["token_id"]))}

    async def do_reload(request: Request) -> Any:
        await reload()
        return {"collections": [s.name for s in await service.specs()]}

    routes = [
        Route("/admin/api/collections", endpoint(list_collections), methods=["GET"]),
        Route("/admin/api/collections", endpoint(create), methods=["POST"]),
        Route("/admin/api/collections/{name}", endpoint(show), methods=["GET"]),
        Route("/admin/api/collections/{name}", endpoint(update), methods=["PATCH"]),
        Route("/admin/api/collections/{name}", endpoint(delete), methods=["DELETE"]),
        Route("/admin/api/collections/{name}/tokens", endpoint(tokens), methods=["GET"]),
        Route("/admin/api/collections/{name}/tokens", endpoint(issue), methods=["POST"]),
        Route("/admin/api/tokens/{token_id}", endpoint(revoke), methods=["DELETE"]),
        Route("/admin/api/reload", endpoint(do_reload), methods=["POST"]),
    ]
    return Starlette(routes=routes)

"""The sandbox ASGI application: routing, auth checks, counters, fault injection and the admin endpoint.

Raw ASGI (no framework) keeps single-ticket GETs cheap and lets a "dropped connection" fault send a
response start with a Content-Length and then abort, which an HTTP client sees as a broken connection.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from halo_mcp.sandbox import reports, routes
from halo_mcp.sandbox.api import Api, Ctx, Reply, coerce
from halo_mcp.sandbox.auth import Auth, IssuedToken, OAuthErrorResponse
from halo_mcp.sandbox.errors import ErrorResponse
from halo_mcp.sandbox.faults import RATE_LIMIT_MESSAGE, Counters, FaultEngine, FaultSpec, FaultSpecError
from halo_mcp.sandbox.generic import GenericApi
from halo_mcp.sandbox.resources import BY_LOWER, KNOWN_SCOPES
from halo_mcp.sandbox.routes import Route
from halo_mcp.sandbox.store import Record, Store
from halo_mcp.sandbox.tickets import team_name

log = logging.getLogger("halo_mcp.sandbox")

Scope = dict[str, Any]
Receive = Any
Send = Any
MAX_BODY = 64 * 1024 * 1024
LOOPBACK = {"127.0.0.1", "::1", "localhost", "testclient"}
# Query parameters Halo is recorded honouring where spec B does not declare them.
UNDECLARED_HONOURED: dict[tuple[str, str], frozenset[str]] = {
    ("DELETE", "/Actions/{id}"): frozenset({"ticket_id"}),  # facts §6, §8: LIB homotechsual Remove-HaloAction
}


@dataclass
class SandboxConfig:
    seed: int = 1
    scale: int | str = "small"
    db: str = ":memory:"
    faults: dict[str, Any] | None = None
    token_lifetime: int = 3600
    runbook_seconds: float | None = None
    client_id: str = "halo-sandbox"
    client_secret: str = "halo-sandbox-secret"
    tenant: str = "sandbox"
    shape_defaults: bool = True  # send Halo's recorded unset markers (shape.py); False: omit them


class DroppedConnection(Exception):
    """Raised after a partial response so the server aborts the connection (an injected fault)."""


class _DropFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, DroppedConnection)


def install_log_filter() -> None:
    for name in ("uvicorn.error", "uvicorn"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _DropFilter) for f in logger.filters):
            logger.addFilter(_DropFilter())


_SEED_CACHE: dict[tuple[int, str], dict[str, list[Record]]] = {}


def seed_data(seed: int, scale: int | str) -> dict[str, list[Record]]:
    """Generated records for (seed, scale), memoised per process: tests start many sandboxes."""
    key = (seed, str(scale))
    cached = _SEED_CACHE.get(key)
    if cached is not None:
        return cached
    from halo_mcp.sandbox.seed import generate

    data = generate(seed=seed, scale=scale)
    teams = {t.get("id"): t.get("name") for t in data.get("Team", [])}
    for t in data.get("Tickets", []):
        if "team_id" in t:  # tickets name their team (Halo's `team`); ids map to names
            t.setdefault("team", teams.get(t.pop("team_id")))
    if len(_SEED_CACHE) >= 4:
        _SEED_CACHE.clear()
    _SEED_CACHE[key] = data
    return data


def load_seed(store: Store, seed: int, scale: int | str) -> None:
    """Fill an empty store with the seed data (records are serialised on load, so the cache stays pristine)."""
    store.load(seed_data(seed, scale))
    store.meta_set("seeded", json.dumps({"seed": seed, "scale": scale}))


class SandboxApp:
    """ASGI callable holding all sandbox state."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        cfg = self.config
        self.store = Store(cfg.db)
        if self.store.is_empty():
            load_seed(self.store, cfg.seed, cfg.scale)
        reports.create_views(self.store)
        self.auth = Auth(self.store, token_lifetime=cfg.token_lifetime)
        if self.store.get_app(cfg.client_id) is None:
            self.auth.create_app("all", self.default_agent_id(), cfg.client_id, cfg.client_secret)
        self.faults = FaultEngine(seed=cfg.seed)
        self.faults.set(FaultSpec.from_dict(cfg.faults))
        self.counters = Counters()
        self.api = Api(self.store, cfg.runbook_seconds, cfg.shape_defaults)
        self.generic = GenericApi(self.store, coerce, cfg.shape_defaults)
        self.ignored: dict[str, set[str]] = {}
        # Every bearer token presented to /api (tests prove no MCP client token is ever passed through to Halo).
        self.received_bearers: set[str] = set()

    # -- helpers ----------------------------------------------------------------------------------------
    def default_agent_id(self) -> int:
        agents = self.store.all("Agent")
        ids = [a["id"] for a in agents if a.get("id") == 1] or [a["id"] for a in agents[:1]]
        return int(ids[0]) if ids else 1

    def agent_credentials(self) -> tuple[str, str]:
        """A seeded, enabled agent usable with the password grant."""
        for a in self.store.all("Agent"):
            if a.get("_password") and not a.get("isdisabled") and not a.get("isapiagent"):
                return str(a.get("email") or a.get("name")), str(a["_password"])
        for a in self.store.all("Agent"):
            if a.get("_password"):
                return str(a.get("email") or a.get("name")), str(a["_password"])
        return "", ""

    def reset(self) -> None:
        self.store.clear()
        load_seed(self.store, self.config.seed, self.config.scale)
        reports.create_views(self.store)
        self.counters.reset()
        self.received_bearers.clear()
        self._forget_ignored()
        self.faults.set(FaultSpec())
        self.api.runs.runs.clear()
        self.api.recorded.replies.clear()

    def _forget_ignored(self) -> None:
        for source in (self.ignored, self.api.ignored, self.generic.ignored):
            source.clear()

    # -- ASGI -------------------------------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                msg = await receive()
                if msg["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif msg["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        method: str = scope["method"]
        body = await _read_body(receive)
        if path.startswith("/_sandbox"):
            await self._admin(scope, method, path, body, send)
            return
        headers = _headers(scope)
        lower = path.lower().rstrip("/")
        counted = lower.startswith("/api") or lower.startswith("/auth")
        key, target = self._route(method, lower, path)
        if counted:
            self.counters.hit(key)
        token = self.auth.bearer(headers.get("authorization")) if lower.startswith("/api") else None
        presented = headers.get("authorization", "")
        if lower.startswith("/api") and presented[:7].lower() == "bearer " and len(self.received_bearers) < 100_000:
            self.received_bearers.add(presented[7:].strip())
        decision = None
        if counted and self.faults.active():
            client = token.client_id if token else self._anon_client(scope, lower, body)
            decision = self.faults.decide(method, path, client)
            if decision.rate_limited:
                self.counters.rate_limited += 1
                extra = {"retry-after": str(decision.retry_after)} if decision.retry_after else {}
                await _send(send, 429, json.dumps(RATE_LIMIT_MESSAGE).encode(), "application/json", extra)
                return
            if decision.delay:
                await asyncio.sleep(decision.delay)
            if decision.drop == "before":
                await _drop(send)
            if decision.error:
                msg = {"ClassName": "System.Web.HttpException", "Message": "The service is temporarily unavailable"}
                await _send(send, decision.error, json.dumps(msg).encode(), "application/json", {})
                return
        status, payload, ctype, extra = self._dispatch(method, lower, path, target, scope, headers, body, token)
        if decision is not None:
            if decision.drop == "after":
                await _drop(send)
            if decision.slow:
                await asyncio.sleep(decision.slow)
        await _send(send, status, payload, ctype, extra)

    def _anon_client(self, scope: Scope, lower: str, body: bytes) -> str:
        if lower.startswith("/auth/token"):
            cid = _form(body).get("client_id")
            if cid:
                return cid
        client = scope.get("client") or ("anon", 0)
        return f"anon:{client[0]}"

    def _route(self, method: str, lower: str, path: str) -> tuple[str, tuple[Any, ...] | None]:
        """Counter key (spec spelling) and parsed target for /api paths (see `routes` for the matching rule)."""
        if lower.startswith("/auth"):
            return f"{method} {lower}", None
        parts = lower.split("/")
        if len(parts) < 3 or parts[1] != "api":
            return f"{method} {path}", None
        name = parts[2]
        if name == "authinfo" and len(parts) == 3:
            return f"{method} /api/AuthInfo", ("authinfo",)
        if name == "instanceinfo" and len(parts) == 3:
            return f"{method} /api/InstanceInfo", ("instanceinfo",)
        rel = path.rstrip("/")[len("/api") :]
        found = routes.match(method, rel)
        if found is None:
            if routes.path_methods(rel):
                return f"{method} {path}", ("405",)
            return f"{method} {path}", None
        route, args = found
        key = f"{method} /api{route.path}"
        res = BY_LOWER.get(name)
        if res is not None and route.kind in ("list", "item"):
            return key, (res, args[0] if args else None, None, route)
        if res is not None and route.kind == "fixed" and len(parts) == 4 and parts[3] == "me":
            return key, (res, None, "me", route)
        return key, ("generic", route, args)

    def _dispatch(
        self,
        method: str,
        lower: str,
        path: str,
        target: tuple[Any, ...] | None,
        scope: Scope,
        headers: dict[str, str],
        body: bytes,
        token: IssuedToken | None,
    ) -> tuple[int, bytes, str, dict[str, str]]:
        try:
            if lower.startswith("/auth"):
                return self._auth_route(method, lower, scope, headers, body)
            if target is None:
                return _json(404, "The requested resource was not found")
            if method not in ("GET", "POST", "DELETE"):
                return _json(405, f"The requested resource does not support http method '{method}'.")
            if target[0] == "authinfo":
                return _json(200, self._authinfo(headers))
            if token is None:
                return 401, b"", "", {"www-authenticate": 'Bearer error="invalid_token"'}
            if target[0] == "instanceinfo":
                return _json(200, self._instanceinfo(headers))
            if target[0] == "405":
                return _json(405, f"The requested resource does not support http method '{method}'.")
            query = {k.lower(): v for k, v in parse_qs(scope.get("query_string", b"").decode("latin-1")).items()}
            route: Route = target[-1] if target[0] != "generic" else target[1]
            query = self._declared(method, route, query)
            if target[0] == "generic":
                answer = self.generic.handle(route, target[2], query, body, token)
                if answer is None and method == "DELETE":
                    return 200, b"", "", {}
                return _json(201 if method == "POST" and route.kind == "list" else 200, answer)
            res, item_id, sub, _ = target
            reply = self.api.handle(Ctx(method, res, item_id, sub, query, body, token))
            return _reply(reply)
        except ErrorResponse as e:
            return _json(e.status, e.body, e.headers)
        except Exception:  # a bug: report it as Halo would, and log it loudly
            log.exception("unhandled error for %s %s", method, path)
            if self.store.db.in_transaction:
                self.store.db.execute("ROLLBACK")
            return _json(500, {"ClassName": "System.Exception", "Message": "An error has occurred."})

    def _declared(self, method: str, route: Route, query: dict[str, list[str]]) -> dict[str, list[str]]:
        """The query parameters the spec declares for the route; the rest is ignored (and noted), as on Halo."""
        allow = route.params | UNDECLARED_HONOURED.get((method, route.path), frozenset())
        dropped = [k for k in query if k not in allow]
        if dropped:
            routes.note_ignored(self.ignored, f"{method} {route.path}", dropped)
        return {k: v for k, v in query.items() if k in allow}

    def ignored_inputs(self) -> dict[str, list[str]]:
        """Undeclared query parameters and body fields seen since the last reset, by spec route."""
        merged: dict[str, set[str]] = {}
        for source in (self.ignored, self.api.ignored, self.generic.ignored):
            for k, v in source.items():
                merged.setdefault(k, set()).update(v)
        return {k: sorted(v) for k, v in sorted(merged.items())}

    def _base(self, headers: dict[str, str]) -> str:
        return f"http://{headers.get('host', '127.0.0.1')}"

    def _authinfo(self, headers: dict[str, str]) -> Record:
        base = self._base(headers)
        return {"auth_url": f"{base}/auth", "tenant_id": self.config.tenant, "resource_url": f"{base}/api"}

    def _instanceinfo(self, headers: dict[str, str]) -> Record:
        base = self._base(headers)
        agents = [a for a in self.store.all("Agent") if not a.get("isapiagent")]
        return {
            "dbid": f"sandbox-{self.config.seed}",
            "app_version": "2.190.1 (sandbox)",
            "database_version": "2.190.1",
            "agent_count": len(agents),
            "licensed_agent_count": len(agents),
            "online_agent_count": 0,
            "last_login": None,
            "app_name": "Halo Sandbox",
            "agent_url": base,
            "portal_url": f"{base}/portal",
            "auth_url": f"{base}/auth",
            "mobileapp_enabled": False,
        }

    def _auth_route(
        self, method: str, lower: str, scope: Scope, headers: dict[str, str], body: bytes
    ) -> tuple[int, bytes, str, dict[str, str]]:
        route = lower.split("?")[0]
        if route == "/auth/token":
            if method != "POST":
                return _json(405, "The requested resource does not support http method " + repr(method))
            ctype = headers.get("content-type", "")
            if "json" in ctype:
                err = OAuthErrorResponse(
                    "invalid_request", "The token request must be application/x-www-form-urlencoded"
                )
                return _json(400, err.body())
            try:
                return _json(200, self.auth.token(_form(body), _basic(headers)), {"cache-control": "no-store"})
            except OAuthErrorResponse as e:
                return _json(e.status, e.body())
        if route == "/auth/authorize":
            params = {k: v[0] for k, v in parse_qs(scope.get("query_string", b"").decode("latin-1")).items()}
            if method == "POST":
                params.update(_form(body))
            elif method != "GET":
                return _json(405, "Method not allowed")
            status, extra, text = self.auth.authorize(params)
            return status, text.encode(), extra.pop("content-type", "text/plain; charset=utf-8"), extra
        if route == "/auth/revoke" and method == "POST":
            form = _form(body)
            self.auth.revoke(form.get("token", ""))
            return 200, b"", "", {}
        return _json(404, "Not found")

    # -- admin ------------------------------------------------------------------------------------------
    async def _admin(self, scope: Scope, method: str, path: str, body: bytes, send: Send) -> None:
        client = (scope.get("client") or ("127.0.0.1", 0))[0]
        if client not in LOOPBACK:
            await _send(send, *_json(403, {"error": "the sandbox admin endpoint is loopback-only"}))
            return
        status, payload = self._admin_route(method, path.rstrip("/"), body)
        await _send(send, *_json(status, payload))

    def _admin_route(self, method: str, path: str, body: bytes) -> tuple[int, Any]:
        route = (method, path[len("/_sandbox") :])
        try:
            data = json.loads(body) if body.strip() else None
        except ValueError:
            return 400, {"error": "malformed JSON"}
        if route == ("GET", "/health"):
            return 200, {"status": "ok", "seed": self.config.seed, "scale": self.config.scale}
        if route == ("GET", "/info"):
            user, pw = self.agent_credentials()
            return 200, {
                "client_id": self.config.client_id,
                "client_secret": self.config.client_secret,
                "agent_username": user,
                "agent_password": pw,
                "tenant": self.config.tenant,
            }
        if route == ("GET", "/counters"):
            return 200, self.counters.to_dict()
        if route == ("POST", "/counters/reset"):
            self.counters.reset()
            self._forget_ignored()
            return 200, self.counters.to_dict()
        if route == ("GET", "/ignored"):
            return 200, self.ignored_inputs()
        if route == ("GET", "/bearers"):  # digests only: what was presented, without handing out live tokens
            return 200, sorted(hashlib.sha256(t.encode()).hexdigest() for t in self.received_bearers)
        if route == ("GET", "/faults"):
            return 200, self.faults.spec.to_dict()
        if route == ("PUT", "/faults"):
            try:
                self.faults.set(FaultSpec.from_dict(data or {}))
            except FaultSpecError as e:
                return 400, {"error": str(e)}
            return 200, self.faults.spec.to_dict()
        if route == ("DELETE", "/faults"):
            self.faults.set(FaultSpec())
            return 200, self.faults.spec.to_dict()
        if route == ("POST", "/tokens/expire"):
            return 200, {"expired": self.auth.expire_all()}
        if route == ("POST", "/apps"):
            data = data or {}
            if not isinstance(data, dict):
                return 400, {"error": "expected a JSON object"}
            scopes = data.get("scopes", "all")
            agent_id = data.get("agent_id")
            if not isinstance(scopes, str) or not all(s in KNOWN_SCOPES for s in scopes.split()):
                return 400, {"error": f"invalid scopes: {scopes!r}"}
            if agent_id is not None and (not isinstance(agent_id, int) or self.store.lookup("Agent", agent_id) is None):
                return 400, {"error": f"unknown agent_id: {agent_id!r}"}
            cid, secret = self.auth.create_app(scopes, agent_id if agent_id is not None else self.default_agent_id())
            return 200, {"client_id": cid, "client_secret": secret}
        if route == ("PUT", "/recorded"):  # recorded Halo replies to replay (shape.Recorded)
            if not isinstance(data, dict):
                return 400, {"error": 'expected {"GET /Resource[/id]": reply, ...}'}
            self.api.recorded.replies = data
            return 200, {"replies": len(data)}
        if route == ("POST", "/reset"):
            self.reset()
            return 200, {"status": "reset"}
        return 404, {"error": f"unknown admin route {method} {path}"}


# -- low-level helpers ---------------------------------------------------------------------------------
async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        msg = await receive()
        if msg["type"] == "http.disconnect":
            break
        chunk = msg.get("body", b"")
        size += len(chunk)
        if size <= MAX_BODY:
            chunks.append(chunk)
        if not msg.get("more_body"):
            break
    return b"".join(chunks)


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


def _form(body: bytes) -> dict[str, str]:
    try:
        return {k: v[0] for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}
    except UnicodeDecodeError:
        return {}


def _basic(headers: dict[str, str]) -> tuple[str, str] | None:
    auth = headers.get("authorization", "")
    if not auth.lower().startswith("basic "):
        return None
    try:
        user, _, pw = base64.b64decode(auth[6:]).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return user, pw


def _json(status: int, body: Any, extra: dict[str, str] | None = None) -> tuple[int, bytes, str, dict[str, str]]:
    payload = json.dumps(body, separators=(",", ":"), ensure_ascii=False, default=str).encode()
    return status, payload, "application/json; charset=utf-8", extra or {}


def _reply(r: Reply) -> tuple[int, bytes, str, dict[str, str]]:
    if r.raw is not None:
        headers = dict(r.headers)
        ctype = headers.pop("content-type", "application/octet-stream")
        return r.status, r.raw, ctype, headers
    if r.body is None and r.status == 200:
        return 200, b"", "", dict(r.headers)
    return _json(r.status, r.body, r.headers)


async def _send(send: Send, status: int, payload: bytes, ctype: str, extra: dict[str, str]) -> None:
    headers = [(b"content-length", str(len(payload)).encode())]
    if ctype:
        headers.append((b"content-type", ctype.encode()))
    headers.extend((k.encode(), v.encode()) for k, v in extra.items())
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


async def _drop(send: Send) -> None:
    """Start a response that promises more bytes than it sends, then abort the connection."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")],
        }
    )
    await send({"type": "http.response.body", "body": b'{"record_count":', "more_body": True})
    raise DroppedConnection("injected dropped connection")


def create_app(config: SandboxConfig | None = None) -> SandboxApp:
    """Build the sandbox ASGI app for in-process use (e.g. httpx2.ASGITransport)."""
    return SandboxApp(config)


__all__ = ["SandboxApp", "SandboxConfig", "create_app", "install_log_filter", "team_name"]

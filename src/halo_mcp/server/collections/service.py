"""Collections and their API tokens: the one code path behind `halo-mcp collections ...` and `/admin/api`.

Collections declared in halo-mcp.toml are read-only here (the file is the reviewed source of truth); the others
live in the state store. Tokens always live in the store, as SHA-256 digests: the secret is shown once, at issue.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from halo_mcp.config import CollectionConfig, ConfigError, HaloMcpFile
from halo_mcp.server.collections.spec import CollectionSpec, resolve
from halo_mcp.server.http import digest
from halo_mcp.state.base import ApiToken, State

TOKEN_PREFIX = "hmcp_"  # recognisable in a leaked file or log, and refused in halo-mcp.toml
DURATION = re.compile(r"^(\d+)([smhdw])$")
DURATION_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class NotFound(ConfigError):
    """No collection or token by that name (the API answers 404)."""


def parse_expiry(value: str | None, now: float) -> float | None:
    """`30d`, `12h`, `90m`, `2w`, or an ISO 8601 date-time with a zone; None or `never` for no expiry."""
    if value is None or value == "never":
        return None
    found = DURATION.match(value.strip())
    if found:
        return now + int(found.group(1)) * DURATION_SECONDS[found.group(2)]
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"expires: {value!r} is not a duration (30d, 12h) or an ISO date-time") from None
    if when.tzinfo is None:
        raise ConfigError(f"expires: {value!r} needs a time zone, e.g. {value}Z")
    return when.timestamp()


class CollectionService:
    """Validated reads and changes of collections and tokens over one file model and one state store."""

    def __init__(self, file: HaloMcpFile, state: State, *, loopback: bool) -> None:
        self.file = file
        self.state = state
        self.loopback = loopback

    # -- collections ---------------------------------------------------------------------------------------

    async def specs(self) -> list[CollectionSpec]:
        """Every collection, validated: the file's first, then the store's (a stored name the file now also
        declares is shadowed by the file)."""
        out = self._file_specs()
        declared = {s.name for s in out}
        for definition in await self.state.collections.list():
            config = self._config(definition, f"collections[{definition.get('name')!r}]")
            if config.name not in declared:
                out.append(self._resolve(config, f"collections[{config.name!r}]", "store"))
        return out

    def _file_specs(self) -> list[CollectionSpec]:
        seen: set[str] = set()
        out = []
        for i, config in enumerate(self.file.collections):
            if config.name in seen:
                raise ConfigError(f"collections[{i}].name: {config.name!r} is declared twice")
            seen.add(config.name)
            out.append(self._resolve(config, f"collections[{i}]", "file"))
        return out

    def _resolve(self, config: CollectionConfig, where: str, source: str) -> CollectionSpec:
        return resolve(config, where, tenants=self.file.tenants, loopback=self.loopback, source=source)

    @staticmethod
    def _config(definition: dict[str, Any], where: str) -> CollectionConfig:
        try:
            return CollectionConfig.model_validate(definition)
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = ".".join(str(p) for p in first["loc"])
            msg = "unknown key" if first["type"] == "extra_forbidden" else first["msg"].removeprefix("Value error, ")
            raise ConfigError(f"{where}.{loc}: {msg}" if loc else f"{where}: {msg}") from None

    async def get(self, name: str) -> CollectionSpec:
        for spec in await self.specs():
            if spec.name == name:
                return spec
        raise NotFound(f"no collection named {name!r}; see `halo-mcp collections list`")

    def describe(self, spec: CollectionSpec) -> dict[str, Any]:
        c = spec.config
        out = {
            **c.model_dump(mode="json", exclude_none=True),
            "source": spec.source,
            "tools": [t.name for t in spec.selection.tools()],
            "expired": spec.expired(),
        }
        base = self.file.server.public_url
        if base and "url_token" not in c.auth:
            out["url"] = f"{base}/mcp/{c.name}"
        return out

    def url(self, spec: CollectionSpec, secret: str) -> str | None:
        """The address a client is given: the token URL for `url_token` collections (None without public_url)."""
        base = self.file.server.public_url
        if not base:
            return None
        return f"{base}/mcp/t/{secret}" if "url_token" in spec.config.auth else f"{base}/mcp/{spec.name}"

    async def create(self, definition: dict[str, Any]) -> CollectionSpec:
        config = self._config(definition, "collection")
        if any(s.name == config.name for s in await self.specs()):
            raise ConfigError(f"collection.name: {config.name!r} exists; use update, or pick another name")
        spec = self._resolve(config, "collection", "store")
        await self.state.collections.put(config.name, config.model_dump(mode="json", exclude_unset=True))
        return spec

    async def update(self, name: str, changes: dict[str, Any]) -> CollectionSpec:
        current = await self.get(name)
        if current.source == "file":
            raise ConfigError(f"collection {name!r} is declared in halo-mcp.toml; change it there and reload")
        if changes.get("name", name) != name:
            raise ConfigError("collection.name: a collection cannot be renamed; create a new one")
        merged = {**current.config.model_dump(mode="json", exclude_unset=True), **changes}
        spec = self._resolve(self._config(merged, "collection"), "collection", "store")
        await self.state.collections.put(name, spec.config.model_dump(mode="json", exclude_unset=True))
        return spec

    async def delete(self, name: str) -> int:
        """Delete a store-managed collection and revoke its tokens; returns how many tokens were revoked."""
        current = await self.get(name)
        if current.source == "file":
            raise ConfigError(f"collection {name!r} is declared in halo-mcp.toml; remove it there and reload")
        await self.state.collections.delete(name)
        return await self.state.tokens.revoke_collection(name, time.time())

    # -- tokens --------------------------------------------------------------------------------------------

    async def issue_token(self, name: str, *, label: str = "", expires: str | None = None) -> tuple[str, ApiToken]:
        """A new random token for `name`: the secret (returned once, never stored) and its record."""
        spec = await self.get(name)
        now = time.time()
        expiry = parse_expiry(expires, now)
        if spec.config.expires_at is not None:
            limit = spec.config.expires_at.timestamp()
            expiry = limit if expiry is None else min(expiry, limit)
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = ApiToken(
            id="tok_" + secrets.token_hex(6),
            collection=name,
            label=label or f"token for {name}",
            created=now,
            last_used=None,
            expires=expiry,
        )
        await self.state.tokens.add(token, digest(secret))
        return secret, token

    async def tokens(self, name: str) -> list[ApiToken]:
        await self.get(name)
        return await self.state.tokens.list(name)

    async def revoke(self, token_id: str) -> ApiToken:
        token = await self.state.tokens.get(token_id)
        if token is None:
            raise NotFound(f"no token with id {token_id!r}; see `halo-mcp collections tokens NAME`")
        await self.state.tokens.revoke(token_id, time.time())
        return token

    async def prune(self) -> int:
        """Expired and revoked tokens, and expired sign-in records (codes, refresh tokens, revocations)."""
        now = time.time()
        return await self.state.tokens.prune(now) + await self.state.signin.prune(now)


def token_json(token: ApiToken) -> dict[str, Any]:
    out = asdict(token)
    for key in ("created", "last_used", "expires", "revoked"):
        if out[key] is not None:
            out[key] = datetime.fromtimestamp(out[key], UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return out

"""Configuration from environment variables (and a `.env` file) and the optional `halo-mcp.toml`, validated up front.

Two groups: `HALO_*` says how to reach Halo, `HALO_MCP_*` says what the MCP server exposes and how. A missing,
contradictory or impossible setting is a `ConfigError` whose one-line message names the variable (or the flag that
set it) and the value, never a secret's; a value that cannot work is refused here, not at the first request.
`halo-mcp.toml` declares Halo tenants and tool collections; its errors name the TOML key (`collections[2].toolsets:
...`) and its secrets are names of environment variables, read here, the one module that reads the environment.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

_OP_METHOD = re.compile(r"op:[A-Za-z*?]+:?", re.IGNORECASE)  # the method half of `op:GET /Users`
HOSTED_SUFFIXES = (".halopsa.com", ".haloitsm.com", ".haloservicedesk.com", ".halocrm.io", ".halocrm.com")


SettingsT = TypeVar("SettingsT", bound=BaseSettings)


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
ENGINE_URLS = ("redis_url", "database_url")  # may carry a password: never shown in an error


class ConfigError(ValueError):
    """A configuration problem, phrased as one line naming the variable to fix; several are joined by "; " and
    kept apart in `problems` (doctor lists each)."""

    def __init__(self, *problems: str) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


class HaloSettings(BaseSettings):
    """How to reach and authenticate against one Halo instance."""

    model_config = SettingsConfigDict(env_prefix="HALO_", env_file=".env", extra="ignore")

    url: str | None = None
    api_url: str | None = None
    auth_url: str | None = None
    tenant: str | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    username: str | None = None
    password: SecretStr | None = None
    scope: str | None = None
    # "auto": the password grant when HALO_USERNAME is set, else client credentials. "authorization_code": act as
    # the person who ran `halo-mcp login` (their stored refresh token).
    auth_flow: Literal["auto", "client_credentials", "password", "authorization_code"] = "auto"
    # "auto": Halo's hosted limit (300 / 300 s) for hosted instances, off for self-hosted; "off"; or "N/SECONDS".
    rate_limit: str = "auto"
    connect_timeout: float = Field(default=5.0, gt=0)
    read_timeout: float = Field(default=30.0, gt=0)
    max_retries: int = Field(default=3, ge=0)
    # Upper bound on the time spent waiting out 429s and 5xx before a call fails with an actionable error.
    max_retry_wait: float = Field(default=30.0, ge=0)
    token_refresh_margin: float = Field(default=60.0, ge=0)

    @field_validator("url", "api_url", "auth_url")
    @classmethod
    def _strip_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else value

    @field_validator("url", "api_url", "auth_url")
    @classmethod
    def _absolute_http_url(cls, value: str | None) -> str | None:
        """A URL without a scheme would pass every check here and fail at the first request (UnsupportedProtocol)."""
        if not value:
            return value
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            bare = value.split("://", 1)[-1]
            raise ValueError(f"not an http(s) URL: write it with its scheme, e.g. https://{bare}")
        return value

    @field_validator("url")
    @classmethod
    def _base_not_api(cls, value: str | None) -> str | None:
        """Refused rather than trimmed: HALO_URL is the instance's base, and /api and /auth are derived from it."""
        if value and value.lower().endswith(("/api", "/auth")):
            base = value.rsplit("/", 1)[0]
            raise ValueError(
                f"ends in /{value.rsplit('/', 1)[1]}: give the instance's base URL ({base}), /api and "
                "/auth are added; or set HALO_API_URL and HALO_AUTH_URL for a split install"
            )
        return value

    @field_validator("rate_limit")
    @classmethod
    def _known_rate_limit(cls, value: str) -> str:
        parse_rate_limit(value)
        return value

    def endpoints(self) -> tuple[str, str]:
        """(api base, auth base): explicit values win, otherwise derived from `HALO_URL`."""
        if self.api_url and self.auth_url:
            return self.api_url, self.auth_url
        if not self.url:
            missing = (
                "HALO_URL"
                if not (self.api_url or self.auth_url)
                else "HALO_URL (or both HALO_API_URL and HALO_AUTH_URL)"
            )
            raise ConfigError(
                f"{missing} is not set: give the base URL of your Halo instance, e.g. https://acme.halopsa.com"
            )
        return self.api_url or f"{self.url}/api", self.auth_url or f"{self.url}/auth"

    def grant(self) -> Literal["client_credentials", "password", "authorization_code"]:
        if not self.client_id:
            raise ConfigError("HALO_CLIENT_ID is not set: create an API application in Halo and copy its client id")
        if self.auth_flow == "authorization_code":
            return "authorization_code"
        if self.auth_flow == "client_credentials" and not self.client_secret:
            raise ConfigError("HALO_CLIENT_SECRET is not set: client credentials need the application's secret")
        if self.auth_flow == "password" and not (self.username and self.password):
            raise ConfigError("HALO_USERNAME and HALO_PASSWORD must both be set for HALO_AUTH_FLOW=password")
        if (self.username is None) != (self.password is None):
            var = "HALO_PASSWORD" if self.username else "HALO_USERNAME"
            raise ConfigError(f"{var} is not set: the password grant needs both HALO_USERNAME and HALO_PASSWORD")
        if self.username and self.auth_flow != "client_credentials":
            return "password"
        if not self.client_secret:
            raise ConfigError("HALO_CLIENT_SECRET is not set: client credentials need the application's secret")
        return "client_credentials"

    def is_hosted(self) -> bool:
        host = urlsplit(self.endpoints()[0]).hostname or ""
        return host.endswith(HOSTED_SUFFIXES)

    def rate_limit_window(self) -> tuple[int, float] | None:
        """(requests, seconds) for the client-side limiter, or None when it is off."""
        window = parse_rate_limit(self.rate_limit)
        if window == "auto":
            return (300, 300.0) if self.is_hosted() else None
        return window

    def per_worker(self, workers: int) -> HaloSettings:
        """A copy whose client-side limiter allows this worker's equal share of Halo's limit."""
        window = self.rate_limit_window()
        if workers <= 1 or window is None:
            return self
        return self.model_copy(update={"rate_limit": f"{max(1, window[0] // workers)}/{window[1]:g}"})

    def validate_all(self) -> None:
        self.endpoints()
        self.grant()
        self.rate_limit_window()

    def problems(self) -> list[str]:
        """Every missing or contradictory HALO_* setting, one line each (doctor lists them all, not the first)."""
        found: list[str] = []
        # The grant once more with a stand-in client id, so a missing secret is reported next to a missing id.
        for check in (self.endpoints, self.grant, self.model_copy(update={"client_id": "set"}).grant):
            try:
                check()
            except ConfigError as exc:
                if str(exc) not in found:
                    found.append(str(exc))
        return found


def parse_rate_limit(value: str) -> tuple[int, float] | Literal["auto"] | None:
    """HALO_RATE_LIMIT as a window: 'off' is None, 'auto' is decided by hosting, 'N/S' needs N >= 1 and S > 0."""
    text = value.strip().lower()
    if text in ("off", "auto"):
        return None if text == "off" else "auto"
    try:
        count, seconds = text.split("/")
        window = int(count), float(seconds)
    except ValueError:
        window = (0, 0.0)
    if window[0] < 1 or not window[1] > 0:
        raise ValueError("not valid: use 'auto', 'off' or 'REQUESTS/SECONDS' with both above zero, e.g. 300/300")
    return window


class ServerSettings(BaseSettings):
    """What the MCP server exposes and how it listens."""

    model_config = SettingsConfigDict(env_prefix="HALO_MCP_", env_file=".env", extra="ignore")

    toolsets: str = "default"
    tools: str = ""
    exclude_tools: str = ""
    read_only: bool = False
    # Edit scopes read-only mode may request for tools that need one to read (edit:reporting for query_sql).
    read_only_edit_scopes: str = ""
    transport: Literal["stdio", "http", "sse"] = "stdio"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)  # 0 picks a free port
    # HTTP worker processes sharing the port. More than one means stateless sessions, no legacy SSE, and each
    # worker gets an equal share of Halo's rate limit.
    workers: int = Field(default=1, ge=1, le=32)
    token: SecretStr | None = None
    allowed_hosts: str = ""
    allowed_origins: str = ""
    # structuredContent beside the text: "declared" only for tools with an output schema (a host may forward both
    # copies to the model, so every copy is paid for), "always" for every result, "never". true/false still work.
    structured_output: Literal["declared", "always", "never"] = "declared"
    # Every streamable HTTP reply as one plain JSON body, never an event stream: for proxies that cannot pass SSE.
    # It turns off progress, cancellation by closing the stream (2026-07-28) and questions to the person
    # (2025-11-25). Off, only replies that can carry more than the result stream (server/replies.py).
    json_response: bool = False
    # Seals the answers a 2026-07-28 call carries between its rounds (requestState). Unset: a random key per
    # process (`serve --workers` makes one for all its workers); replicas behind one load balancer share a value.
    request_state_key: SecretStr | None = None
    log_level: str = "INFO"
    # AI-created marking of the single endpoint (collections set `created_tag` in halo-mcp.toml): the tag on every
    # ticket it creates; "" turns it off.
    created_tag: str = Field(default="AI: {collection}", max_length=100)
    # SQLite file for the write audit; empty means $XDG_STATE_HOME/halo-mcp/audit.db, ":memory:" keeps none.
    audit_db: str = ""
    # Replicas: Redis shares the Halo rate-limit window between processes; PostgreSQL holds the durable records
    # (collections, API token digests, sign-in records, the audit). Unset: the window stays in memory, the records
    # in SQLite (HALO_MCP_STATE_DB, HALO_MCP_AUDIT_DB). Also `[server]` keys in halo-mcp.toml (with_file_engines).
    redis_url: SecretStr | None = None
    database_url: SecretStr | None = None
    # How many replicas share one Halo tenant; a replica that cannot reach Redis keeps to 1/N of the budget (N is
    # the larger of this and the replicas Redis saw lately).
    replicas: int = Field(default=1, ge=1, le=1000)
    # Audit entries older than this many days are deleted at start and daily while serving; 0 keeps them forever.
    audit_retention_days: float = Field(default=0, ge=0)
    # add_attachment(path=...) reads only files under these directories (os.pathsep-separated, like PATH);
    # empty refuses local paths, so a model cannot upload ~/.ssh or .env files to a ticket.
    attachment_dirs: str = ""
    # Largest attachment returned by get_attachment or uploaded by add_attachment.
    attachment_max_bytes: int = 2 * 1024 * 1024
    # HTTP bounds: open legacy (2025-11-25) sessions and how long an idle one lives, the largest request body, and
    # how long a connection may take to send a complete request head before it is closed.
    max_sessions: int = Field(default=1000, ge=1)
    session_idle_timeout: float = Field(default=600.0, gt=0)
    max_request_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)
    header_timeout: float = Field(default=10.0, gt=0)
    # halo-mcp.toml (tenants and tool collections); empty: one collection `default` from these settings.
    config: str = ""
    # The admin API's token (/admin/api); kept only as its SHA-256 digest. Unset: no admin API.
    admin_token: SecretStr | None = None
    # SQLite file for collections, their API tokens and sign-in records, unless HALO_MCP_DATABASE_URL is set; empty
    # means $XDG_STATE_HOME/halo-mcp/state.db.
    state_db: str = ""
    # Per-user sign-in (collections with auth = ["oauth"]): the key ring, comma-separated base64 32-byte keys,
    # newest first (it encrypts Halo tokens at rest and signs MCP access tokens; older keys still decrypt).
    signin_keys: SecretStr | None = None
    # The initial access token dynamic client registration requires from peers beyond loopback; unset: none may.
    registration_token: SecretStr | None = None
    # Hosts whose client ID metadata documents may be fetched (comma-separated; empty: none, against SSRF), and a
    # CA bundle to verify them with (tests; default: the system's).
    cimd_hosts: str = ""
    cimd_ca_file: str = ""
    # Lifetime of an MCP access token (seconds); refresh tokens last `signin_refresh_lifetime`.
    signin_token_lifetime: int = Field(default=600, ge=30, le=3600)
    signin_refresh_lifetime: int = Field(default=30 * 86400, ge=3600)

    @field_validator("structured_output", mode="before")
    @classmethod
    def _structured_bool(cls, value: object) -> object:
        """The setting was a boolean: true meant every result, false none."""
        text = str(value).strip().lower()
        return {"true": "always", "1": "always", "false": "never", "0": "never"}.get(text, value)

    @field_validator("log_level")
    @classmethod
    def _known_log_level(cls, value: str) -> str:
        if value.strip().upper() not in LOG_LEVELS:
            raise ValueError(f"unknown log level: use one of {', '.join(LOG_LEVELS)}")
        return value.strip().upper()

    @field_validator("redis_url", "database_url")
    @classmethod
    def _engine_url(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        """The scheme is checked here; PostgreSQL must answer at start, Redis may come and go (the window degrades)."""
        if value is None or not value.get_secret_value():
            return None
        check_engine_url(str(info.field_name), value.get_secret_value())
        return value

    @field_validator("audit_db")
    @classmethod
    def _audit_directory_exists(cls, value: str) -> str:
        """A custom audit path is used as given: a typo must not quietly grow a directory tree."""
        if value and value != ":memory:":
            parent = Path(value).parent
            if not parent.is_dir():
                raise ValueError(f"directory {parent} does not exist; create it or choose another file")
        return value

    @staticmethod
    def split(value: str) -> list[str]:
        """Names separated by commas or spaces; `op:GET /Users` (an operation deny entry) stays one name."""
        names: list[str] = []
        for part in re.split(r"[\s,]+", value):
            if not part:
                continue
            if names and part.startswith("/") and _OP_METHOD.fullmatch(names[-1]):
                names[-1] = f"{names[-1].rstrip(':')} {part}"
            else:
                names.append(part)
        return names


def check_engine_url(field: str, url: str) -> None:
    """A Redis or PostgreSQL URL's scheme; the message never repeats the URL (it may hold a password)."""
    schemes = ("redis", "rediss", "unix") if field == "redis_url" else ("postgresql", "postgres")
    scheme = urlsplit(url).scheme
    if scheme not in schemes:
        raise ValueError(f"scheme {scheme or '(none)'!r} is not one of {', '.join(schemes)}: e.g. {schemes[0]}://host")


def display_url(url: str) -> str:
    """An engine URL fit for a message or a log: its password replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=f"{user}:***@{host}").geturl()


def state_dir() -> Path:
    """halo-mcp's directory for state that outlives a process (audit, collections, Halo logins)."""
    return Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "halo-mcp"


def load_halo_settings(**overrides: object) -> HaloSettings:
    return _load(HaloSettings, "HALO_", overrides)


def load_server_settings(*, from_flags: Collection[str] = (), **overrides: object) -> ServerSettings:
    """`from_flags`: the overrides that came from command-line flags, so an error names `--port`, not the variable."""
    return _load(ServerSettings, "HALO_MCP_", overrides, from_flags)


def _load(
    cls: type[SettingsT], prefix: str, overrides: dict[str, object], from_flags: Collection[str] = ()
) -> SettingsT:
    """Settings from env, `.env` and overrides; each validation failure becomes one line naming the variable (or
    the flag) and the value, unless the value is a secret."""
    try:
        return cls(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "*"
            if field in from_flags:
                name, sep = "--" + field.replace("_", "-"), " "
            else:
                name, sep = prefix + field.upper(), "="
            value = error.get("input")
            secret = any(word in field for word in ("secret", "password", "token")) or field in ENGINE_URLS
            shown = f"{sep}{value}" if isinstance(value, str | int | float) and not secret else ""
            message = str(error["msg"]).removeprefix("Value error, ")
            problems.append(f"{name}{shown}: {message}")
        raise ConfigError(*problems) from None


# -- halo-mcp.toml ---------------------------------------------------------------------------------------------

COLLECTION_NAME = r"^[a-z0-9][a-z0-9_-]{0,62}$"
# Keys that would hold a secret inline; the file names environment variables instead (`client_secret_env`).
SECRET_KEYS = re.compile(r"(?i)^(token|api_token|bearer|bearer_token|url_token|secret|client_secret|password|api_key)$")
# A collection credential as issued by `halo-mcp collections token` (see server/collections/service.py).
API_TOKEN_PATTERN = re.compile(r"hmcp_[A-Za-z0-9_-]{20,}")

Method = Literal["read", "write", "delete", "custom"]
METHODS: tuple[Method, ...] = ("read", "write", "delete", "custom")
AuthMode = Literal["bearer", "url_token", "oauth"]


class FileModel(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)  # built when a file is read, not at every start


class ServerSection(FileModel):
    public_url: str | None = None  # collection URL = public_url + /mcp/<name>
    # Replicas (HALO_MCP_REDIS_URL / HALO_MCP_DATABASE_URL win over these): URLs without a password, which stays out
    # of the file (PostgreSQL reads PGPASSWORD or ~/.pgpass; a Redis password goes in HALO_MCP_REDIS_URL).
    redis_url: str | None = None
    database_url: str | None = None

    @field_validator("public_url")
    @classmethod
    def _strip_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else value

    @field_validator("redis_url", "database_url")
    @classmethod
    def _engine_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        if not value:
            return None
        check_engine_url(str(info.field_name), value)
        if urlsplit(value).password is not None:
            where = "PGPASSWORD or ~/.pgpass" if info.field_name == "database_url" else "HALO_MCP_REDIS_URL"
            raise ValueError(f"a password is never written in halo-mcp.toml; leave it out of the URL and use {where}")
        return value


class TenantConfig(FileModel):
    """One Halo instance. Secrets are the names of environment variables holding them."""

    url: str
    halo_tenant: str | None = None  # Halo's ?tenant= for hosted instances
    client_id_env: str
    client_secret_env: str | None = None
    username_env: str | None = None
    password_env: str | None = None
    scope: str | None = None
    rate_limit: str = "auto"  # auto | off | REQUESTS/SECONDS; one budget shared by every collection on the tenant

    @field_validator("url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("rate_limit")
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        if not re.fullmatch(r"auto|off|\d+/\d+(\.\d+)?", value.strip().lower()):
            raise ValueError(f"{value!r} is not valid: use 'auto', 'off' or 'REQUESTS/SECONDS', e.g. 300/300")
        return value


CustomKind = Literal["ticket", "report", "runbook", "operation", "prompt"]
CUSTOM_TOOL_NAME = r"^[a-z][a-z0-9_]{0,62}$"
RUNBOOK_TIMEOUT_LIMIT = 60.0  # seconds: Halo warns an awaited runbook must finish within a minute (seed 002)
# What each custom kind needs besides name, kind and description (checked in one place, named in the error).
CUSTOM_KIND_NEEDS: dict[str, tuple[str, ...]] = {
    "ticket": ("ticket_type",),  # or template
    "report": ("report",),
    "runbook": ("runbook",),
    "operation": ("operation",),
    "prompt": ("prompt",),
}


class CustomToolConfig(FileModel):
    """One custom tool of a collection (`[[collections.custom_tools]]`); see tools/custom/."""

    name: str = Field(pattern=CUSTOM_TOOL_NAME)
    kind: CustomKind
    description: str = Field(min_length=1, max_length=1_000)  # what the model reads: "Use when..."
    # ticket: a type by name or id, or "*" (any type the caller may use: the type becomes a parameter); or a ticket
    # template (`/Template`) by name or id, whose type it takes unless ticket_type is given
    ticket_type: str | None = None
    template: str | None = None
    parameters: Literal["type_fields", "summary_details"] = "type_fields"
    # report: a saved report by name or id; period = true exposes start and end
    report: str | None = None
    period: bool = True
    # runbook: a runbook by name, id or guid
    runbook: str | None = None
    mode: Literal["fire_and_forget", "await"] = "fire_and_forget"
    timeout_s: float = Field(default=30.0, gt=0, le=RUNBOOK_TIMEOUT_LIMIT)
    # operation: one catalogue operation, fixed arguments, and the argument names the model may set
    operation: str | None = None
    arguments: dict[str, Any] = Field(default_factory=dict)
    expose: list[str] = Field(default_factory=list)
    # prompt: the text, with {placeholders} for the names in `expose`
    prompt: str | None = None

    @field_validator("description")
    @classmethod
    def _use_when(cls, value: str) -> str:
        """Halo's convention: the description tells the model when to choose the tool."""
        if not value.strip().lower().startswith("use "):
            raise ValueError("say when to use the tool, e.g. 'Use when a user asks for a password reset.'")
        return value

    @model_validator(mode="after")
    def _kind_needs(self) -> CustomToolConfig:
        missing = [key for key in CUSTOM_KIND_NEEDS[self.kind] if not getattr(self, key)]
        if self.kind == "ticket" and self.template:
            missing = []
        if missing:
            raise ValueError(f"a {self.kind} tool needs {' and '.join(missing)}")
        return self


class CollectionConfig(FileModel):
    """One governed endpoint, served at /mcp/<name>."""

    name: str = Field(pattern=COLLECTION_NAME)
    tenant: str
    audience: Literal["agent", "user"] = "agent"
    description: str = ""
    toolsets: list[str] = Field(default_factory=lambda: ["default"])
    tools: list[str] = Field(default_factory=list)
    exclude_tools: list[str] = Field(default_factory=list)
    methods: list[Method] = Field(default_factory=lambda: list(METHODS))
    tags: list[str] = Field(default_factory=list)
    read_only: bool = False
    auth: list[AuthMode] = Field(default_factory=list)
    expires_at: AwareDatetime | None = None
    rate_limit_mode: Literal["retry", "passthrough"] = "retry"
    custom_tools: list[CustomToolConfig] = Field(default_factory=list)
    # The tag on every ticket this collection creates ("{collection}" is its name); "" turns marking off. Halo's
    # own AI-created columns (faicreated, fvirtualagentid; seed 002) cannot be set through its API.
    created_tag: str = Field(default="AI: {collection}", max_length=100)
    # Opt-in: keep a VirtualAgent record named for the collection in Halo (server/collections/marking.py).
    virtual_agent: bool = False

    def created_tag_text(self) -> str:
        """The tag naming this collection; "" when marking is off."""
        return self.created_tag.replace("{collection}", self.name)

    def expired(self, now: datetime | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or datetime.now(self.expires_at.tzinfo))


class HaloMcpFile(FileModel):
    """The whole of halo-mcp.toml."""

    server: ServerSection = Field(default_factory=ServerSection)
    tenants: dict[str, TenantConfig] = Field(default_factory=dict)
    collections: list[CollectionConfig] = Field(default_factory=list)


def with_file_engines(settings: ServerSettings, file: HaloMcpFile) -> ServerSettings:
    """The settings with `[server]` redis_url / database_url filled in where the environment left them unset."""
    update = {
        field: SecretStr(value)
        for field in ENGINE_URLS
        if getattr(settings, field) is None and (value := getattr(file.server, field))
    }
    return settings.model_copy(update=update) if update else settings


def config_path(settings: ServerSettings, explicit: str | None = None) -> Path | None:
    """`--config PATH`, else HALO_MCP_CONFIG, else none (the environment defines the `default` collection)."""
    chosen = explicit or settings.config
    return Path(chosen) if chosen else None


def load_file(path: Path) -> HaloMcpFile:
    """Parse and validate halo-mcp.toml; any problem is one line naming the key."""
    import tomllib  # here: a server without the file never needs it

    try:
        raw = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file (given by --config or HALO_MCP_CONFIG)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_file(raw)


def parse_file(raw: dict[str, Any]) -> HaloMcpFile:
    _refuse_inline_secrets(raw, "")
    try:
        return HaloMcpFile.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = _toml_key(first["loc"])
        if first["type"] == "extra_forbidden":
            raise ConfigError(f"{where}: unknown key; see the README's Collections section") from None
        if first["type"] == "missing":
            raise ConfigError(f"{where}: required") from None
        raise ConfigError(f"{where}: {first['msg'].removeprefix('Value error, ')}") from None


def _toml_key(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "halo-mcp.toml"


def _refuse_inline_secrets(node: Any, where: str) -> None:
    """A secret written in the file is an error: it would end up in version control and in reviews."""
    if isinstance(node, dict):
        for k, v in node.items():
            here = f"{where}.{k}" if where else str(k)
            if SECRET_KEYS.match(str(k)):
                raise ConfigError(
                    f"{here}: secrets are never written in halo-mcp.toml; name an environment variable "
                    f"(`{k}_env`) for Halo credentials, or issue a collection token with `halo-mcp collections token`"
                )
            _refuse_inline_secrets(v, here)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            _refuse_inline_secrets(v, f"{where}[{i}]")
    elif isinstance(node, str) and API_TOKEN_PATTERN.search(node):
        raise ConfigError(
            f"{where}: looks like a collection token; tokens live only (hashed) in the state store, never in the file"
        )


def tenant_halo_settings(name: str, tenant: TenantConfig, base: HaloSettings | None = None) -> HaloSettings:
    """HaloSettings for a tenant of halo-mcp.toml: its secrets read from the variables it names.

    Timeouts and retry budgets come from `base` (the HALO_* environment) so they are set once for all tenants.
    """

    def env(field: str, var: str | None, required: bool) -> str | None:
        if var is None:
            return None
        value = os.environ.get(var)
        if not value and required:
            raise ConfigError(f"tenants.{name}.{field}: environment variable {var} is not set")
        return value or None

    values: dict[str, Any] = {
        "url": tenant.url,
        "api_url": None,
        "auth_url": None,
        "tenant": tenant.halo_tenant,
        "client_id": env("client_id_env", tenant.client_id_env, True),
        "client_secret": _secret(env("client_secret_env", tenant.client_secret_env, tenant.username_env is None)),
        "username": env("username_env", tenant.username_env, True),
        "password": _secret(env("password_env", tenant.password_env, tenant.username_env is not None)),
        "scope": tenant.scope,
        # Only a client id: Halo's "Authorisation Code (Native Application)" kind of API application, used by
        # per-user sign-in (halo-api-facts.md section 2); the server never holds a shared identity for it.
        "auth_flow": "authorization_code"
        if tenant.client_secret_env is None and tenant.username_env is None
        else "auto",
        "rate_limit": tenant.rate_limit,
    }
    settings = (base or HaloSettings(_env_file=None)).model_copy(update=values)  # type: ignore[call-arg]
    try:
        settings.validate_all()
    except ConfigError as exc:
        raise ConfigError(f"tenants.{name}: {exc}") from None
    return settings


def _secret(value: str | None) -> SecretStr | None:
    return SecretStr(value) if value else None

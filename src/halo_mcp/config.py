"""Configuration from environment variables (and a `.env` file), validated up front.

Two groups: `HALO_*` says how to reach Halo, `HALO_MCP_*` says what the MCP server exposes and how. A missing or
contradictory setting is a `ConfigError` whose one-line message names the variable.
"""

from __future__ import annotations

from typing import Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

HOSTED_SUFFIXES = (".halopsa.com", ".haloitsm.com", ".haloservicedesk.com", ".halocrm.io", ".halocrm.com")


SettingsT = TypeVar("SettingsT", bound=BaseSettings)


class ConfigError(ValueError):
    """A configuration problem, phrased as one line naming the variable to fix."""


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
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    max_retries: int = 3
    # Upper bound on the time spent waiting out 429s and 5xx before a call fails with an actionable error.
    max_retry_wait: float = 30.0
    token_refresh_margin: float = 60.0

    @field_validator("url", "api_url", "auth_url")
    @classmethod
    def _strip_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else value

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
        value = self.rate_limit.strip().lower()
        if value == "off":
            return None
        if value == "auto":
            return (300, 300.0) if self.is_hosted() else None
        try:
            count, seconds = value.split("/")
            return int(count), float(seconds)
        except ValueError:
            raise ConfigError(
                f"HALO_RATE_LIMIT={self.rate_limit!r} is not valid: use 'auto', 'off' or 'REQUESTS/SECONDS', "
                "e.g. 300/300"
            ) from None

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


class ServerSettings(BaseSettings):
    """What the MCP server exposes and how it listens."""

    model_config = SettingsConfigDict(env_prefix="HALO_MCP_", env_file=".env", extra="ignore")

    toolsets: str = "default"
    tools: str = ""
    exclude_tools: str = ""
    read_only: bool = False
    transport: Literal["stdio", "http", "sse"] = "stdio"
    host: str = "127.0.0.1"
    port: int = 8000
    # HTTP worker processes sharing the port. More than one means stateless sessions, no legacy SSE, and each
    # worker gets an equal share of Halo's rate limit.
    workers: int = Field(default=1, ge=1, le=32)
    token: SecretStr | None = None
    allowed_hosts: str = ""
    allowed_origins: str = ""
    # structuredContent beside the text: "declared" only for tools with an output schema (a host may forward both
    # copies to the model, so every copy is paid for), "always" for every result, "never". true/false still work.
    structured_output: Literal["declared", "always", "never"] = "declared"
    log_level: str = "INFO"
    # SQLite file for the write audit; empty means $XDG_STATE_HOME/halo-mcp/audit.db, ":memory:" keeps none.
    audit_db: str = ""
    # add_attachment(path=...) reads only files under these directories (os.pathsep-separated, like PATH);
    # empty refuses local paths, so a model cannot upload ~/.ssh or .env files to a ticket.
    attachment_dirs: str = ""
    # Largest attachment returned by get_attachment or uploaded by add_attachment.
    attachment_max_bytes: int = 2 * 1024 * 1024

    @field_validator("structured_output", mode="before")
    @classmethod
    def _structured_bool(cls, value: object) -> object:
        """The setting was a boolean: true meant every result, false none."""
        text = str(value).strip().lower()
        return {"true": "always", "1": "always", "false": "never", "0": "never"}.get(text, value)

    @staticmethod
    def split(value: str) -> list[str]:
        return [part.strip() for part in value.replace(" ", ",").split(",") if part.strip()]


def load_halo_settings(**overrides: object) -> HaloSettings:
    return _load(HaloSettings, "HALO_", overrides)


def load_server_settings(**overrides: object) -> ServerSettings:
    return _load(ServerSettings, "HALO_MCP_", overrides)


def _load(cls: type[SettingsT], prefix: str, overrides: dict[str, object]) -> SettingsT:
    """Settings from env, `.env` and overrides; a validation failure becomes one line naming the variable."""
    try:
        return cls(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        var = prefix + str(first["loc"][0]).upper() if first["loc"] else prefix + "*"
        raise ConfigError(f"{var}: {first['msg']}") from None

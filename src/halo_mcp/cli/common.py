"""What several commands share: settings from flags over the environment, the optional in-process sandbox, and
the secrets to mask in logs."""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import socket

    from halo_mcp.config import HaloSettings, ServerSettings
    from halo_mcp.sandbox import Sandbox


def state_away(exc: Exception) -> str:
    """One line for a state store that stopped answering after it was opened (never its URL: it may hold a
    password); opening it already fails as one line (state/postgres.py `prepare`)."""
    why = f" ({exc.args[0]})" if exc.args else ""
    return (
        f"HALO_MCP_DATABASE_URL: PostgreSQL stopped answering{why}; nothing more was done: check that it runs, "
        "then run the command again"
    )


def selection_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("tool selection (overrides HALO_MCP_* variables)")
    g.add_argument("--toolsets", help="comma-separated toolsets, or default / all")
    g.add_argument("--tools", help="comma-separated tools to add (alone: expose exactly these)")
    g.add_argument("--exclude-tools", help="comma-separated tools to hide (always wins)")
    g.add_argument("--read-only", action="store_true", default=None, help="hide every tool that writes")


def sandbox_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--sandbox", action="store_true", help="start an in-process Halo sandbox and use it instead of HALO_*"
    )


def server_settings(args: argparse.Namespace, **extra: Any) -> ServerSettings:
    from halo_mcp.config import load_server_settings

    names = ("toolsets", "tools", "exclude_tools", "read_only", "transport", "host", "port", "workers")
    overrides = {n: getattr(args, n) for n in names if getattr(args, n, None) is not None}
    settings = load_server_settings(from_flags=set(overrides), **overrides, **extra)
    if getattr(args, "sandbox", False) and "audit_db" not in settings.model_fields_set:
        # writes to a throwaway sandbox do not belong in the real audit, unless HALO_MCP_AUDIT_DB says where
        settings = settings.model_copy(update={"audit_db": ":memory:"})
    return settings


def key_values(pairs: list[str], flag: str, example: str = "") -> dict[str, Any]:
    """Repeated `KEY=VALUE` flags; VALUE is parsed as JSON when it is valid JSON, else kept as typed."""
    from halo_mcp.config import ConfigError

    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"{flag} {pair!r}: use KEY=VALUE{example}")
        try:
            out[key] = json.loads(raw)
        except ValueError:
            out[key] = raw
    return out


def halo_settings(sb: Sandbox | None) -> HaloSettings:
    """HALO_* from the environment, or the sandbox's (every other HALO_* explicitly cleared, so a `.env`
    written for a real instance cannot leak into the sandbox run)."""
    from halo_mcp.config import load_halo_settings

    if sb is None:
        return load_halo_settings()
    return load_halo_settings(
        url=sb.url,
        api_url=None,
        auth_url=None,
        tenant=None,
        client_id=sb.client_id,
        client_secret=sb.client_secret,
        username=None,
        password=None,
        scope=None,
        auth_flow="auto",
        rate_limit="off",
    )


@contextlib.contextmanager
def maybe_sandbox(enabled: bool) -> Iterator[Sandbox | None]:
    if not enabled:
        yield None
        return
    from halo_mcp.sandbox import Sandbox

    sb = Sandbox(seed=1)
    try:  # not `with`: a Ctrl-C while it starts must stop it too
        yield sb.start()
    finally:
        sb.stop()


def listen(settings: ServerSettings, args: argparse.Namespace) -> socket.socket:
    """The bound listening socket, or a one-line ConfigError naming what to change (the flag if one was given)."""
    from halo_mcp.config import ConfigError
    from halo_mcp.server.run import bind

    port_name = "--port" if getattr(args, "port", None) is not None else "HALO_MCP_PORT"
    host_name = "--host" if getattr(args, "host", None) is not None else "HALO_MCP_HOST"
    try:
        return bind(settings.host, settings.port)
    except OSError as exc:
        where = f"{settings.host}:{settings.port}"
        if exc.errno == errno.EADDRINUSE:
            hint = f"port {settings.port} is already in use on {settings.host}"
            fix = f"stop what is using it or choose another port with {port_name} (0 picks a free one)"
        elif exc.errno == errno.EACCES:
            hint = f"no permission to listen on {where}"
            fix = f"choose a port above 1023 with {port_name}"
        else:
            hint = f"cannot listen on {where} ({exc.strerror or exc})"
            fix = f"check {host_name} (an address of this machine, e.g. 127.0.0.1) and {port_name}"
        raise ConfigError(f"{hint}: {fix}") from None


def secret_values(halo: HaloSettings, settings: ServerSettings) -> list[str]:
    values = [settings.token, settings.request_state_key, halo.client_secret, halo.password, settings.redis_url]
    values.append(settings.database_url)
    return [v.get_secret_value() for v in values if v is not None]

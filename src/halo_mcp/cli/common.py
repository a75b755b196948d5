"""What several commands share: settings from flags over the environment, the optional in-process sandbox, and
the secrets to mask in logs."""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from halo_mcp.config import HaloSettings, ServerSettings
    from halo_mcp.sandbox import Sandbox

PROG = "halo-mcp"


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
    if getattr(args, "sandbox", False) and "HALO_MCP_AUDIT_DB" not in os.environ:
        overrides["audit_db"] = ":memory:"  # writes to a throwaway sandbox do not belong in the real audit
    return load_server_settings(**overrides, **extra)


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

    with Sandbox(seed=1) as sb:
        yield sb


def secret_values(halo: HaloSettings, settings: ServerSettings) -> list[str]:
    values = [settings.token, halo.client_secret, halo.password]
    return [v.get_secret_value() for v in values if v is not None]

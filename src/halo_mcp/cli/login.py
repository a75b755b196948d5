"""`halo-mcp login`: sign in to Halo as yourself (authorisation code + PKCE) and store the sign-in."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from halo_mcp.cli import PROG
from halo_mcp.cli.common import halo_settings


def add_parser(sub: Any) -> None:
    p = sub.add_parser("login", help="sign in to Halo as yourself (authorisation code + PKCE) for HALO_AUTH_FLOW")
    p.add_argument("--no-browser", action="store_true", help="only print the sign-in URL")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for the sign-in")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from halo_mcp.halo.login import login, token_file

    settings = halo_settings(None).model_copy(update={"auth_flow": "authorization_code"})
    settings.validate_all()

    async def show(url: str) -> None:
        print(f"{PROG}: sign in to Halo in your browser:\n  {url}", file=sys.stderr, flush=True)
        if not args.no_browser:
            import webbrowser

            webbrowser.open(url)

    async def sign_in() -> str:
        return await login(settings, show, scope=settings.scope or "all", timeout=args.timeout)

    import asyncio

    scope = asyncio.run(sign_in())
    print(f"{PROG}: signed in (scope: {scope}); sign-in stored in {token_file(settings)}")
    print(f"{PROG}: set HALO_AUTH_FLOW=authorization_code so the server acts as you")
    return 0

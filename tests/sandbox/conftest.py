"""Helpers for sandbox tests: tokens and authenticated httpx2 clients against a real loopback server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from halo_mcp.sandbox import Sandbox


def get_token(sb: Sandbox, **form: str) -> dict[str, Any]:
    data = {"grant_type": "client_credentials", "client_id": sb.client_id, "client_secret": sb.client_secret}
    data.update(form)
    r = httpx2.post(sb.url + "/auth/token", data=data)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def api_client(sb: Sandbox, token: str | None = None, timeout: float = 10) -> httpx2.Client:
    token = token or get_token(sb)["access_token"]
    return httpx2.Client(base_url=sb.api_url, headers={"Authorization": f"Bearer {token}"}, timeout=timeout)


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    """A sandbox private to the test module (writes in one module never leak into another)."""
    with Sandbox(seed=1, runbook_seconds=0.3) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def api(sb: Sandbox) -> Iterator[httpx2.Client]:
    with api_client(sb) as client:
        yield client

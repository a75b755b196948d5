"""Sandbox test fixtures: a module-private sandbox and an authenticated httpx2 client against it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx2
import pytest

from halo_mcp.sandbox import Sandbox
from tests.helpers import api_client


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    """A sandbox private to the test module (writes in one module never leak into another)."""
    with Sandbox(seed=1, runbook_seconds=0.3) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def api(sb: Sandbox) -> Iterator[httpx2.Client]:
    with api_client(sb) as client:
        yield client

"""get_attachment never holds an attachment over the cap: refused on its Content-Length, or cut off while streaming.
The sandbox runs in its own process here, so this process's memory peak is the server's alone."""

from __future__ import annotations

import base64
import re
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass

import httpx2
import pytest
from mcp import Client

from halo_mcp.config import HaloSettings, ServerSettings
from halo_mcp.server.surface import Surface
from tests.helpers import call, failed, ok

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(90)]
MIB = 1024 * 1024


@dataclass
class RemoteSandbox:
    url: str
    client_id: str
    client_secret: str

    def settings(self) -> HaloSettings:
        return HaloSettings(url=self.url, client_id=self.client_id, client_secret=self.client_secret, rate_limit="off")

    def upload(self, size: int) -> int:
        """An attachment of `size` bytes on ticket 1, uploaded with plain HTTP; its id."""
        form = {"grant_type": "client_credentials", "client_id": self.client_id, "client_secret": self.client_secret}
        token = httpx2.post(f"{self.url}/auth/token", data=form).json()["access_token"]
        body = [{"ticket_id": 1, "filename": "big.bin", "data_base64": base64.b64encode(b"\x01" * size).decode()}]
        r = httpx2.post(
            f"{self.url}/api/Attachment", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=60
        )
        r.raise_for_status()
        created = r.json()
        return int((created[0] if isinstance(created, list) else created)["id"])


@pytest.fixture(scope="module")
def remote_sandbox() -> Iterator[RemoteSandbox]:
    proc = subprocess.Popen(
        [sys.executable, "-u", "-m", "halo_mcp.sandbox", "--port", "0"], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    found: dict[str, str] = {}
    deadline = time.monotonic() + 30
    while len(found) < 3 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if m := re.match(r"\s+(base URL|client_id|client_secret)\s+(\S+)", line):
            found[m.group(1)] = m.group(2)
    try:
        assert len(found) == 3, f"sandbox did not start: {found}"
        yield RemoteSandbox(found["base URL"], found["client_id"], found["client_secret"])
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def test_a_40_mib_attachment_is_refused_without_being_read(remote_sandbox: RemoteSandbox) -> None:
    big = remote_sandbox.upload(40 * MIB)
    small = remote_sandbox.upload(1000)
    s = Surface(remote_sandbox.settings(), ServerSettings(toolsets="attachments"))
    try:
        async with Client(s.server) as c:
            ok(await call(c, "get_attachment", id=small))  # warm: token, HTTP pool
            tracemalloc.start()
            try:
                message = failed(await call(c, "get_attachment", id=big))
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
            assert f"is {40 * MIB:,} bytes, over the {2 * MIB:,}-byte limit (HALO_MCP_ATTACHMENT_MAX_BYTES)" in message
            assert peak < 2 * MIB, f"peak {peak:,} bytes while refusing a 40 MiB attachment"
            got = ok(await call(c, "get_attachment", id=small))
            assert "1,000 bytes" in got
    finally:
        await s.aclose()

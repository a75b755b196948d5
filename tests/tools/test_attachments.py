"""Attachments round trip over real MCP and real HTTP: upload from text, base64 and a file; list; download."""

from __future__ import annotations

import base64
import os
from collections.abc import AsyncIterator
from pathlib import Path

import mcp_types as types
import pytest
from mcp import Client

from halo_mcp.config import ServerSettings
from halo_mcp.sandbox import Sandbox
from halo_mcp.server.surface import Surface
from tests.helpers import Raw, halo_settings_for, ids, text

pytestmark = pytest.mark.anyio
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


@pytest.fixture
def upload_dir(tmp_path: Path) -> Path:
    d = tmp_path / "uploads"
    d.mkdir()
    return d


@pytest.fixture
async def files_client(sandbox: Sandbox, upload_dir: Path) -> AsyncIterator[Client]:
    """A server that may upload files from `upload_dir` only, with a 4 KB attachment cap."""
    settings = ServerSettings(toolsets="all", attachment_dirs=str(upload_dir), attachment_max_bytes=4096)
    surface = Surface(halo_settings_for(sandbox), settings)
    async with Client(surface.server) as c:
        yield c
    await surface.aclose()


def resource_of(result: types.CallToolResult) -> types.TextResourceContents | types.BlobResourceContents:
    blocks = [b for b in result.content if isinstance(b, types.EmbeddedResource)]
    assert len(blocks) == 1
    return blocks[0].resource


async def test_text_attachment_round_trip(client: Client, sandbox: Sandbox) -> None:
    body = "VPN log\nline 2: «quoted» ünïcode\n"
    added = await client.call_tool(
        "add_attachment", {"ticket_id": 3, "filename": "vpn.log.txt", "text": body, "note": "client log"}
    )
    assert not added.is_error, text(added)
    new_id = added.structured_content["id"]
    listed = await client.call_tool("list_attachments", {"ticket_id": 3})
    assert new_id in ids(listed) and f"\n{new_id}|vpn.log.txt|" in text(listed)
    assert text(listed).endswith("»")  # the table is one «» span
    raw = Raw(sandbox)
    assert new_id in [a["id"] for a in raw.get("Attachment", ticket_id=3)["attachments"]]
    raw.close()
    got = await client.call_tool("get_attachment", {"id": new_id})
    resource = resource_of(got)
    assert isinstance(resource, types.TextResourceContents)
    # The file reaches the model as text, so it is delimited like any Halo text: its guillemets are neutralised.
    assert resource.text == "«VPN log\nline 2: <quoted> ünïcode\n»" and resource.mime_type == "text/plain"
    assert str(resource.uri).startswith(f"halo://attachments/{new_id}/")
    assert body not in text(got)  # the content travels in the resource, not the text


async def test_binary_attachment_round_trip_from_base64(client: Client) -> None:
    added = await client.call_tool(
        "add_attachment", {"ticket_id": 3, "filename": "dot.png", "base64": base64.b64encode(PNG).decode()}
    )
    new_id = added.structured_content["id"]
    got = await client.call_tool("get_attachment", {"id": new_id})
    resource = resource_of(got)
    assert isinstance(resource, types.BlobResourceContents)
    assert base64.b64decode(resource.blob) == PNG and resource.mime_type == "image/png"
    assert resource.blob not in text(got)  # never base64 in the text


async def test_upload_from_an_allowed_file(files_client: Client, upload_dir: Path) -> None:
    data = os.urandom(3000)
    (upload_dir / "dump.bin").write_bytes(data)
    added = await files_client.call_tool("add_attachment", {"ticket_id": 4, "path": "dump.bin"})
    assert not added.is_error, text(added)
    assert added.structured_content["filename"] == "dump.bin"
    got = await files_client.call_tool("get_attachment", {"id": added.structured_content["id"]})
    assert base64.b64decode(resource_of(got).blob) == data  # type: ignore[union-attr]
    absolute = await files_client.call_tool("add_attachment", {"ticket_id": 4, "path": str(upload_dir / "dump.bin")})
    assert not absolute.is_error


async def test_local_paths_are_guarded(files_client: Client, client: Client, upload_dir: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("s3cret")
    (upload_dir / ".env").write_text("TOKEN=x")
    (upload_dir / "link.txt").symlink_to(secret)
    cases = {
        str(secret): "outside the allowed directories",
        "../secret.txt": "outside the allowed directories",
        "link.txt": "outside the allowed directories",
        ".env": "hidden",
        "missing.txt": "no such file",
        ".": "not a regular file",
    }
    for path, reason in cases.items():
        result = await files_client.call_tool("add_attachment", {"ticket_id": 4, "path": path})
        assert result.is_error and reason in text(result), (path, text(result))
    disabled = await client.call_tool("add_attachment", {"ticket_id": 4, "path": str(secret)})
    assert disabled.is_error and "HALO_MCP_ATTACHMENT_DIRS" in text(disabled)


async def test_size_cap_on_upload_and_download(files_client: Client, client: Client, upload_dir: Path) -> None:
    (upload_dir / "big.bin").write_bytes(b"x" * 5000)
    too_big = await files_client.call_tool("add_attachment", {"ticket_id": 4, "path": "big.bin"})
    assert too_big.is_error and "limit" in text(too_big)
    too_big_text = await files_client.call_tool(
        "add_attachment", {"ticket_id": 4, "filename": "a.txt", "text": "y" * 5000}
    )
    assert too_big_text.is_error
    # uploaded through the default (2 MiB) server, then downloaded through the 4 KB one
    added = await client.call_tool("add_attachment", {"ticket_id": 4, "filename": "big.txt", "text": "z" * 5000})
    got = await files_client.call_tool("get_attachment", {"id": added.structured_content["id"]})
    assert got.is_error and "5,000 bytes" in text(got) and not [b for b in got.content if b.type == "resource"]


async def test_attachment_argument_and_lookup_errors(client: Client) -> None:
    both = await client.call_tool(
        "add_attachment", {"ticket_id": 3, "filename": "a.txt", "text": "a", "base64": "YQ=="}
    )
    assert both.is_error and "exactly one" in text(both)
    no_name = await client.call_tool("add_attachment", {"ticket_id": 3, "text": "a"})
    assert no_name.is_error and "filename" in text(no_name)
    bad_b64 = await client.call_tool("add_attachment", {"ticket_id": 3, "filename": "a.bin", "base64": "***"})
    assert bad_b64.is_error and "base64" in text(bad_b64)
    no_ticket = await client.call_tool("add_attachment", {"ticket_id": 999_999, "filename": "a.txt", "text": "a"})
    assert no_ticket.is_error
    unknown = await client.call_tool("get_attachment", {"id": 999_999})
    assert unknown.is_error and "list_attachments" in text(unknown)
    empty = await client.call_tool("list_attachments", {"ticket_id": 1})
    assert not empty.is_error and text(empty).startswith("no attachments found")

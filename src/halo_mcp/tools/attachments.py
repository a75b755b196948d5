"""[attachments] Ticket attachments, downloaded and uploaded by the server: base64 never passes through the model.

- `get_attachment` returns the file as an MCP embedded resource (a text resource for UTF-8 text files, a blob
  otherwise), capped at `HALO_MCP_ATTACHMENT_MAX_BYTES`.
- `add_attachment` takes `text`, `base64` or a local `path`. Local paths are refused unless
  `HALO_MCP_ATTACHMENT_DIRS` names directories to allow (os.pathsep-separated); the path, symlinks resolved, must
  lie inside one of them and contain no hidden (dot) component. Opt-in, because a server running as the user could
  otherwise be talked into uploading ~/.ssh/id_rsa or a .env file to a ticket an end user can read.
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
import os
import re
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

import mcp_types as types
from pydantic import Field

from halo_mcp.halo.errors import HaloNotFound, HaloTooLarge
from halo_mcp.tools.errors import ToolError
from halo_mcp.tools.framework import Args, ToolContext, ToolOutput, tool
from halo_mcp.tools.render import compact, list_output
from halo_mcp.tools.spans import untrusted

_MIME = re.compile(r"[\w.+-]+/[\w.+-]+")  # a media type token; anything else is not trusted as one
TEXT_TYPES = ("application/json", "application/xml", "application/x-yaml", "application/yaml", "application/csv")


class ListAttachmentsArgs(Args):
    ticket_id: int


@tool("attachments", title="List a ticket's attachments", idempotent=True)
async def list_attachments(ctx: ToolContext, args: ListAttachmentsArgs) -> ToolOutput:
    """List the files attached to a ticket (ids for get_attachment)."""
    data = await ctx.halo.get("Attachment", {"ticket_id": args.ticket_id})
    rows = [
        compact(
            {
                "id": r.get("id"),
                "filename": r.get("filename"),
                "bytes": r.get("filesize"),
                "created": r.get("datecreated"),
                "note": r.get("note") or r.get("desc"),
            }
        )
        for r in (data.get("attachments") if isinstance(data, dict) else data) or []
        if isinstance(r, dict)
    ]
    return list_output(
        "attachments",
        rows,
        columns=("id", "filename", "bytes", "created", "note"),
        note=f"on ticket {args.ticket_id}",
    )


class GetAttachmentArgs(Args):
    id: int


@tool("attachments", title="Download an attachment", idempotent=True)
async def get_attachment(ctx: ToolContext, args: GetAttachmentArgs) -> ToolOutput:
    """Download an attachment; its content comes back as an embedded resource."""
    cap = ctx.settings.attachment_max_bytes
    try:
        file = await ctx.halo.get_binary(f"Attachment/{args.id}", max_bytes=cap)
    except HaloNotFound:
        raise ToolError(f"no attachment with id {args.id}; use list_attachments(ticket_id=...) to see them") from None
    except HaloTooLarge as exc:
        what = f"{exc.size:,} bytes" if exc.size is not None else f"more than {cap:,} bytes"
        raise ToolError(
            f"attachment {args.id} is {what}, over the {cap:,}-byte limit (HALO_MCP_ATTACHMENT_MAX_BYTES); "
            "open it in Halo instead"
        ) from None
    size = len(file.content)
    filename = file.filename or f"attachment-{args.id}"
    mime = file.content_type.split(";")[0].strip()
    mime = mime if _MIME.fullmatch(mime) else guess_type(filename)  # e-mailed files keep the sender's type
    uri = f"halo://attachments/{args.id}/{quote(filename)}"
    text = _as_text(file.content, mime)
    resource: types.TextResourceContents | types.BlobResourceContents
    if text is not None:
        resource = types.TextResourceContents(uri=uri, mime_type=mime, text=untrusted(text))  # a file is data
    else:
        encoded = base64.b64encode(file.content).decode("ascii")
        resource = types.BlobResourceContents(uri=uri, mime_type=mime, blob=encoded)
    kind = "text" if text is not None else "binary"
    return ToolOutput(
        text=f"attachment {args.id} {untrusted(filename)} ({mime}, {size:,} bytes): {kind} content in the embedded "
        "resource",
        structured={"id": args.id, "filename": filename, "mime_type": mime, "bytes": size, "uri": uri},
        resources=[types.EmbeddedResource(type="resource", resource=resource)],
    )


def guess_type(filename: str) -> str:
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


def _as_text(content: bytes, mime: str) -> str | None:
    """UTF-8 text for text-like types, else None (binary)."""
    if not (mime.startswith("text/") or mime in TEXT_TYPES or mime.endswith(("+json", "+xml"))):
        return None
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return None


class AddAttachmentArgs(Args):
    # File content: bounded in bytes by HALO_MCP_ATTACHMENT_MAX_BYTES instead.
    text_limits: ClassVar[dict[str, int | None]] = {"text": None, "base64": None}

    ticket_id: int
    filename: str | None = Field(None, description="needed without path")
    text: str | None = None
    base64: str | None = None
    path: str | None = Field(None, description="local file in an allowed directory")
    note: str | None = None


@tool("attachments", kind="write", title="Attach a file to a ticket")
async def add_attachment(ctx: ToolContext, args: AddAttachmentArgs) -> ToolOutput:
    """Attach a file to a ticket; give exactly one of text, base64 or path."""
    sources = [s for s in (args.text, args.base64, args.path) if s is not None]
    if len(sources) != 1:
        raise ToolError("pass exactly one of text, base64 or path")
    cap = ctx.settings.attachment_max_bytes
    if args.path is not None:
        file = allowed_file(args.path, ctx.settings.attachment_dirs)
        size = file.stat().st_size
        _check_size(size, cap)
        content = file.read_bytes()
        filename = args.filename or file.name
    else:
        if not args.filename:
            raise ToolError("filename is required with text or base64 (e.g. 'notes.txt')")
        filename = args.filename
        content = args.text.encode("utf-8") if args.text is not None else _decode(args.base64 or "")
    _check_size(len(content), cap)
    body: dict[str, Any] = {
        "ticket_id": args.ticket_id,
        "filename": filename,
        "data_base64": base64.b64encode(content).decode("ascii"),
    }
    if args.note:
        body["note"] = args.note
    created = await ctx.halo.post("Attachment", [body])
    record = created[0] if isinstance(created, list) and created else created
    ident = record.get("id") if isinstance(record, dict) else None
    if not ident:
        raise ToolError(f"Halo did not return the new attachment's id; check ticket {args.ticket_id}'s attachments")
    return ToolOutput(
        text=f"attached {untrusted(filename)} ({len(content):,} bytes) to ticket {args.ticket_id} as attachment "
        f"{ident}",
        structured={"id": ident, "ticket_id": args.ticket_id, "filename": filename, "bytes": len(content)},
        affected=[f"ticket:{args.ticket_id}", f"attachment:{ident}"],
    )


def _decode(data: str) -> bytes:
    if data.startswith("data:") and "," in data[:200]:
        data = data.split(",", 1)[1]
    try:
        return base64.b64decode("".join(data.split()), validate=True)
    except (binascii.Error, ValueError):
        raise ToolError("base64 is not valid base64; or pass text for a text file") from None


def _check_size(size: int, cap: int) -> None:
    if size > cap:
        raise ToolError(f"the file is {size:,} bytes, over the {cap:,}-byte limit (HALO_MCP_ATTACHMENT_MAX_BYTES)")


def allowed_file(path: str, allowed: str) -> Path:
    """The real path of a regular, non-hidden file inside an allowed directory; anything else is refused."""
    roots = [Path(p).expanduser().resolve() for p in allowed.split(os.pathsep) if p.strip()]
    if not roots:
        raise ToolError(
            "uploading local files is disabled: set HALO_MCP_ATTACHMENT_DIRS to the directories to allow, "
            "or pass the content as text or base64"
        )
    if any(ord(c) < 32 or ord(c) == 127 for c in path):
        raise ToolError(f"{path!r} contains control characters; pass the file's path as plain text")
    candidate = Path(path).expanduser()
    if not candidate.is_absolute():
        candidate = roots[0] / candidate
    try:
        real = candidate.resolve(strict=True)
    except (OSError, RuntimeError, ValueError):
        raise ToolError(f"no such file: {path}") from None
    root = next((r for r in roots if real.is_relative_to(r)), None)
    if root is None:
        dirs = ", ".join(str(r) for r in roots)
        raise ToolError(f"{path} is outside the allowed directories ({dirs}); copy the file there first")
    if any(part.startswith(".") for part in real.relative_to(root).parts):
        raise ToolError(f"{path} is a hidden file or inside a hidden directory; these are never uploaded")
    if not real.is_file():
        raise ToolError(f"{path} is not a regular file")
    return real

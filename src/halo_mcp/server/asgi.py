"""Reading a request body in a middleware and handing the request on as if nothing had been read."""

from __future__ import annotations

from starlette.types import Message, Receive


async def read_body(receive: Receive, limit: int) -> tuple[bytes, bool]:
    """The body, read until it ends or passes `limit` (so a caller can refuse it), and whether more is still coming."""
    chunks: list[bytes] = []
    size = 0
    more = True
    while more and size <= limit:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks), more


def replaying(first: Message, receive: Receive) -> Receive:
    """A receive that answers `first`, then what the client sends next (a disconnect, or the rest of the body)."""
    pending: list[Message] = [first]

    async def replay() -> Message:
        return pending.pop() if pending else await receive()

    return replay

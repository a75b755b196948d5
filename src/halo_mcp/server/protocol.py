"""uvicorn's h11 protocol with a request-head deadline: a connection that has not sent a complete request head
within `header_timeout` seconds of opening (or of its first byte after a keep-alive pause) gets 408 and is closed.

uvicorn arms no timer when a connection opens, and its keep-alive timer stops at the first byte, so a client that
opens connections and trickles (or never sends) a head holds them forever ("slowloris"). One timer per connection,
cancelled when the head is complete: the fast path pays one `call_later` per connection and a state check per read.
"""

from __future__ import annotations

import asyncio

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

REQUEST_TIMEOUT = b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


class HeaderTimeoutProtocol(H11Protocol):
    header_timeout = 10.0  # seconds; set per server by `with_header_timeout`
    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_timer = self.loop.call_later(self.header_timeout, self._head_timed_out)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is h11.IDLE:  # inside a request head: keep (or start) the deadline
            if self._head_timer is None and not self.transport.is_closing():
                self._head_timer = self.loop.call_later(self.header_timeout, self._head_timed_out)
        elif self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def connection_lost(self, exc: Exception | None) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        super().connection_lost(exc)

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.write(REQUEST_TIMEOUT)
            self.transport.close()


def with_header_timeout(seconds: float) -> type[HeaderTimeoutProtocol]:
    """The protocol class for one server (uvicorn instantiates it per connection)."""
    return type("HeaderTimeoutProtocol", (HeaderTimeoutProtocol,), {"header_timeout": seconds})

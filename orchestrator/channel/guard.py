"""uvicorn's HTTP protocol for a channel socket, with its connection cap and deadlines.

uvicorn closes a keep-alive connection that idles after a response, but it never times out a
connection that has not sent a whole head, caps no head's size (httptools buffers it all), and
accepts connections without limit. A sandbox holding thousands of half-sent request lines therefore
held as many of the orchestrator's file descriptors for as long as it liked (issue 13, HIGH 3).

The limits sit at the transport, where a connection costs the orchestrator something: each
connection counts against its channel's cap and the process-wide `ConnectionBudget` from the moment
it is accepted, and one timer per connection bounds the time to receive each request's head and
then its body. The timer costs a `call_later` and a `cancel` per request (about a microsecond on
uvloop); responses, such as a 25 s long poll, are not timed.
"""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from orchestrator.channel.limits import ChannelLimits, ConnectionBudget

__all__ = ["ChannelConfig", "GuardedHttpProtocol"]

_REFUSED = b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


class ChannelConfig(uvicorn.Config):
    """A channel socket's uvicorn settings: the guarded protocol, its limits, the shared budget.

    Leaves the process's logging alone: uvicorn's own setup would silence the API's access log.
    """

    def __init__(self, app: Any, *, limits: ChannelLimits, budget: ConnectionBudget, **kwargs: Any) -> None:
        super().__init__(
            app,
            http=GuardedHttpProtocol,
            timeout_keep_alive=limits.idle_timeout_s,
            backlog=limits.max_connections * 2,
            ws="none",
            **kwargs,
        )
        self.limits = limits
        self.budget = budget

    def configure_logging(self) -> None:
        return None


class GuardedHttpProtocol(HttpToolsProtocol):
    """One channel connection: admitted within the caps, and closed when a request stalls."""

    def __init__(
        self,
        config: uvicorn.Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        if not isinstance(config, ChannelConfig):
            raise TypeError("GuardedHttpProtocol needs a ChannelConfig")
        self._limits = config.limits
        self._budget = config.budget
        self._admitted = False
        self._in_head = True
        self._head_bytes = 0
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        if len(self.connections) >= self._limits.max_connections or not self._budget.take():
            transport.write(_REFUSED)
            transport.close()  # a few bytes into an empty socket buffer: the descriptor goes now
            return
        self._admitted = True
        super().connection_made(transport)
        self._arm(self._limits.head_timeout_s)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self._admitted:
            return
        self._admitted = False
        self._budget.give()
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._deadline is None and (self.cycle is None or self.cycle.response_complete):
            self._arm(self._limits.head_timeout_s)  # bytes after a response: a new head, timed
        super().data_received(data)
        if self._in_head and self._admitted:
            # Counted after parsing, so a chunk that completes a head and carries a body is not counted.
            self._head_bytes += len(data)
            if self._head_bytes > self._limits.max_head_bytes:
                self._drop()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._head_bytes = 0
        if self._deadline is None:  # the first byte of a later request on a kept-alive connection
            self._arm(self._limits.head_timeout_s)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._arm(self._limits.body_timeout_s)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def _unsupported_upgrade_warning(self) -> None:
        self._drop()  # a runner never upgrades; uvicorn would log every later chunk instead

    def _arm(self, delay_s: float) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(delay_s, self._drop)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _drop(self) -> None:
        """Close at once: `abort`, not `close`, so unread response bytes cannot keep it open."""
        self._disarm()
        if not self.transport.is_closing():
            self.transport.abort()

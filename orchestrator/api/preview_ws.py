"""A preview URL's WebSocket: the client's WebSocket bridged, message by message, to one in the sandbox.

The ASGI server ends the client's WebSocket, so the bridge opens its own to the port, through the
relay, with the sans-I/O client of `websockets` (it writes the handshake and frames and parses the
sandbox's, bounded by `MAX_MESSAGE_BYTES`). Pings are answered on each side by that side; text and
binary messages, and the close code, pass through. The client is accepted only after the sandbox
accepted, with the subprotocol the sandbox chose.
"""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import WebSocket, WebSocketDisconnect
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.protocol import State
from websockets.typing import Subprotocol
from websockets.uri import parse_uri

from orchestrator.environments.preview import PreviewUnreachableError, RelayConnection

__all__ = ["MAX_MESSAGE_BYTES", "bridge"]

MAX_MESSAGE_BYTES = 4 << 20
"""Largest message, in **bytes**, the sandbox may send through the bridge."""


class _Upstream:
    """The WebSocket to the sandbox: the protocol state and the relay it writes to (one writer at a time)."""

    def __init__(self, relay: RelayConnection, protocol: ClientProtocol) -> None:
        self.relay = relay
        self.protocol = protocol
        self._writing = asyncio.Lock()

    async def flush(self) -> None:
        data = b"".join(self.protocol.data_to_send())
        if data:
            async with self._writing:
                await self.relay.write(data)

    async def events(self) -> list[Frame | Response] | None:
        """The events the next bytes from the sandbox complete (maybe none); None once its side ended."""
        data = await self.relay.read()
        if data:
            self.protocol.receive_data(data)
        else:
            self.protocol.receive_eof()
        await self.flush()  # pongs and close replies
        events = [e for e in self.protocol.events_received() if isinstance(e, Frame | Response)]
        return events if events or data else None


async def _handshake(upstream: _Upstream, headers: list[tuple[str, str]]) -> str | None:
    """Open the sandbox's WebSocket; its chosen subprotocol, or `PreviewUnreachableError`."""
    request = upstream.protocol.connect()
    for name, value in headers:
        if name != "host" and not name.startswith("sec-websocket-"):
            request.headers[name] = value
    upstream.protocol.send_request(request)
    await upstream.flush()
    while True:
        events = await upstream.events()
        if events is None:
            raise PreviewUnreachableError("the port closed the connection during the WebSocket handshake")
        for event in events:
            if isinstance(event, Response):
                if upstream.protocol.state is not State.OPEN:
                    raise PreviewUnreachableError(f"the port refused the WebSocket ({event.status_code})")
                return event.headers.get("Sec-WebSocket-Protocol")


async def _to_sandbox(websocket: WebSocket, upstream: _Upstream) -> None:
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            code = int(message.get("code") or 1000)
            with contextlib.suppress(Exception):
                upstream.protocol.send_close(code if code in range(1000, 5000) and code != 1005 else 1000)
                await upstream.flush()
            return
        if message.get("bytes") is not None:
            upstream.protocol.send_binary(message["bytes"])
        elif message.get("text") is not None:
            upstream.protocol.send_text(message["text"].encode())
        await upstream.flush()


async def _to_client(websocket: WebSocket, upstream: _Upstream) -> None:
    parts: list[bytes] = []
    text = False
    while (events := await upstream.events()) is not None:
        for frame in events:
            if not isinstance(frame, Frame):
                continue
            if frame.opcode in (Opcode.TEXT, Opcode.BINARY):
                parts, text = [bytes(frame.data)], frame.opcode is Opcode.TEXT
            elif frame.opcode is Opcode.CONT:
                parts.append(bytes(frame.data))
            elif frame.opcode is Opcode.CLOSE:
                code = upstream.protocol.close_rcvd.code if upstream.protocol.close_rcvd else 1000
                await websocket.close(code=code if code not in (1005, 1006) else 1000)
                return
            else:
                continue  # pings and pongs stay on their side
            if frame.fin:
                data = b"".join(parts)
                await (websocket.send_text(data.decode()) if text else websocket.send_bytes(data))
                parts = []
    with contextlib.suppress(RuntimeError):
        await websocket.close(code=1011 if upstream.protocol.state is not State.CLOSED else 1000)


async def bridge(
    websocket: WebSocket, relay: RelayConnection, url: str, headers: list[tuple[str, str]]
) -> None:
    """Open the WebSocket `url` (`ws://localhost:PORT/...`) in the sandbox, accept the client, pipe both ways.

    `headers` go with the handshake (the bridge writes its own `Host` and `Sec-WebSocket-*`).

    Raises:
        PreviewUnreachableError: the sandbox did not accept the WebSocket (the client is not accepted).
    """
    offered = [
        Subprotocol(p.strip())
        for value in websocket.headers.getlist("sec-websocket-protocol")
        for p in value.split(",")
        if p.strip()
    ]
    protocol = ClientProtocol(parse_uri(url), subprotocols=offered or None, max_size=MAX_MESSAGE_BYTES)
    upstream = _Upstream(relay, protocol)
    chosen = await _handshake(upstream, headers)
    await websocket.accept(subprotocol=chosen)
    outgoing = asyncio.create_task(_to_client(websocket, upstream))
    incoming = asyncio.create_task(_to_sandbox(websocket, upstream))
    try:
        await asyncio.wait({outgoing, incoming}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (outgoing, incoming):
            task.cancel()
        results = await asyncio.gather(outgoing, incoming, return_exceptions=True)
        for result in results:
            if isinstance(result, Exception) and not isinstance(result, WebSocketDisconnect | OSError):
                raise result

"""One request sent upstream and its answer relayed: shared by plain HTTP and intercepted HTTPS.

The request is written anew by an h11 client (`framing.upstream_request`) with the injected headers
and the placeholders swapped (`swaps.py`); a body that needs swapping, or may need sending twice, is
read whole first (at most 8 MiB, else 413) and framed by its length. The answer's final head goes
back with `Connection: close` (one request per connection), 1xx heads as they are. With a `Retry`
(an `oauth2` credential) a 401 is not relayed: the request goes once more, on a new connection,
with the headers `Retry.reinject` gives (a refreshed token), and that answer is relayed.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass

import h11

from orchestrator.egress.answers import Refused
from orchestrator.egress.framing import BadRequest, ProxyRequest, read_body, upstream_request
from orchestrator.egress.relay import Count, pipe
from orchestrator.egress.swaps import Swap, swap_body, swap_head

__all__ = ["BUFFER_LIMIT", "Retry", "Streams", "exchange"]

Streams = tuple[asyncio.StreamReader, asyncio.StreamWriter]
BUFFER_LIMIT = 8 * 1024 * 1024
"""The largest body read whole (to swap placeholders in, or to send again after a 401); larger: 413."""


@dataclass(frozen=True)
class Retry:
    """How to send a request again after a 401: fresh headers and a new upstream connection."""

    reinject: Callable[[], Awaitable[list[tuple[str, str]]]]
    reopen: Callable[[], Awaitable[Streams]]


async def exchange(
    request: ProxyRequest,
    incoming: h11.Connection,
    inject: Sequence[tuple[str, str]],
    host_header: str,
    sandbox: Streams,
    upstream: Streams,
    idle_s: float,
    counts: tuple[Count, Count],
    swaps: Sequence[Swap] = (),
    retry: Retry | None = None,
) -> None:
    """Send the request anew with its body and `swaps` made, then relay the answer to the sandbox
    (after a 401, the answer to the one retry `retry` allows)."""
    reader, writer = sandbox
    sent, received = counts
    request = swap_head(request, swaps)
    stream = read_body(incoming, reader, idle_s)
    body: bytes | AsyncIterator[bytes] = stream
    try:
        if retry is not None or any("body" in swap.locations for swap in swaps):
            request, body = await _buffered(request, stream, swaps)
        await _send(request, host_header, inject, body, upstream[1], sent)
    except BadRequest as exc:
        raise Refused(400, "bad-request", str(exc)) from exc
    head = await _final_head(upstream[0], writer, idle_s, received)
    if retry is not None and head[9:12] == b"401":
        upstream[1].close()
        inject = await retry.reinject()
        upstream = await retry.reopen()
        try:
            await _send(request, host_header, inject, body, upstream[1], sent)
            head = await _final_head(upstream[0], writer, idle_s, received)
            await _relay(head, upstream[0], writer, idle_s, received)
        finally:
            upstream[1].close()
        return
    await _relay(head, upstream[0], writer, idle_s, received)


async def _send(
    request: ProxyRequest,
    host_header: str,
    inject: Sequence[tuple[str, str]],
    body: bytes | AsyncIterator[bytes],
    up_writer: asyncio.StreamWriter,
    sent: Count,
) -> None:
    outgoing, upstream_head = upstream_request(request, host_header, inject)
    sent(len(upstream_head))
    up_writer.write(upstream_head)
    async for chunk in _each([body]) if isinstance(body, bytes) else body:
        if not chunk:
            continue
        framed = outgoing.send(h11.Data(data=chunk)) or b""
        sent(len(framed))
        up_writer.write(framed)
        await up_writer.drain()
    ending = outgoing.send(h11.EndOfMessage()) or b""
    sent(len(ending))
    up_writer.write(ending)
    await up_writer.drain()


async def _each(items: list[bytes]) -> AsyncIterator[bytes]:
    for item in items:
        yield item


async def _final_head(
    up_reader: asyncio.StreamReader, writer: asyncio.StreamWriter, idle_s: float, received: Count
) -> bytes:
    """The answer's final head; 1xx heads before it go to the sandbox as they are."""
    while True:
        head = await asyncio.wait_for(up_reader.readuntil(b"\r\n\r\n"), idle_s)
        received(len(head))
        if not (head[9:10] == b"1" and head[9:12] != b"101"):
            return head
        writer.write(head)


async def _relay(
    head: bytes, up_reader: asyncio.StreamReader, writer: asyncio.StreamWriter, idle_s: float, received: Count
) -> None:
    writer.write(_closing(head))
    await writer.drain()
    await pipe(up_reader, writer, idle_s, received)


async def _buffered(
    request: ProxyRequest, body: AsyncIterator[bytes], swaps: Sequence[Swap]
) -> tuple[ProxyRequest, bytes]:
    """Read the whole body (at most `BUFFER_LIMIT`), swap, and frame it by its new length."""
    whole = bytearray()
    async for chunk in body:
        whole += chunk
        if len(whole) > BUFFER_LIMIT:
            raise Refused(413, "body-too-large", "a body the proxy must read whole is at most 8 MiB")
    swapped = swap_body(bytes(whole), swaps)
    framing = {"content-length", "transfer-encoding"}
    headers = [(k, v) for k, v in request.headers if k.lower() not in framing]
    if swapped or request.method not in ("GET", "HEAD", "DELETE", "OPTIONS"):
        headers.append(("Content-Length", str(len(swapped))))
    return dataclasses.replace(request, headers=tuple(headers)), swapped


def _closing(head: bytes) -> bytes:
    """A response head without `Connection`/`Keep-Alive` and with `Connection: close`."""
    lines = head[:-4].split(b"\r\n")
    kept = [lines[0]] + [
        line
        for line in lines[1:]
        if line.partition(b":")[0].strip().lower() not in (b"connection", b"keep-alive")
    ]
    return b"\r\n".join([*kept, b"Connection: close"]) + b"\r\n\r\n"

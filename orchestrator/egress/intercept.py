"""TLS interception for hosts whose allowlist entry carries a credential or a transform.

The sandbox sends `CONNECT host:port`; the proxy answers 200, takes the TLS handshake itself with
a certificate for `host` from the Warren CA (`ca.py`), reads one request in origin-form (strict
framing, `framing.parse_head` with the CONNECT's destination), opens its own TLS connection to the
checked address verified against the host's CA store for `host`, and sends the request there with
the injected headers. The response goes back with `Connection: close`: one request per
connection, like the plain-HTTP path, so nothing the sandbox sends later is read as a request the
credential was meant for. An upstream whose certificate does not verify is never sent the request:
the sandbox gets a 502 (`upstream-certificate`) with OpenSSL's reason, inside its TLS session.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import ssl
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

import h11

from orchestrator.egress.answers import Refused
from orchestrator.egress.ca import WarrenCA
from orchestrator.egress.framing import BadRequest, ProxyRequest, parse_head, read_body, upstream_request
from orchestrator.egress.logsafe import printable
from orchestrator.egress.policy import Decision
from orchestrator.egress.relay import Count, pipe
from orchestrator.egress.swaps import Swap, swap_body, swap_head

__all__ = ["Streams", "exchange", "intercept", "open_upstream"]

log = logging.getLogger("orchestrator.egress")
Streams = tuple[asyncio.StreamReader, asyncio.StreamWriter]
_HEAD_LIMIT = 64 * 1024
SWAP_BODY_LIMIT = 8 * 1024 * 1024
"""The largest body in which placeholders are swapped (it is read whole first); larger: 413."""


@dataclass(frozen=True)
class Interception:
    """What an intercepted connection needs besides its streams."""

    ca: WarrenCA
    upstream_tls: ssl.SSLContext
    head_timeout_s: float
    connect_timeout_s: float
    idle_timeout_s: float


async def intercept(
    how: Interception,
    environment_id: str,
    decision: Decision,
    inject: Sequence[tuple[str, str]],
    sandbox: Streams,
    counts: tuple[Count, Count],
    swaps: Sequence[Swap] = (),
) -> None:
    """Terminate the sandbox's TLS for `decision.host`, then relay one request with `inject` added
    and `swaps` made.

    Raises:
        Refused: a bad request (400) or an upstream that cannot be reached or verified (502),
            answered inside the sandbox's TLS session by the caller.
    """
    reader, writer = sandbox
    context = await asyncio.to_thread(how.ca.server_context, decision.host)
    writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
    await writer.drain()
    await writer.start_tls(context, ssl_handshake_timeout=how.head_timeout_s)
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), how.head_timeout_s)
    origin = f"[{decision.host}]" if ":" in decision.host else decision.host
    try:
        request, incoming = parse_head(head, f"{origin}:{decision.port}")
    except BadRequest as exc:
        raise Refused(400, "bad-request", str(exc)) from exc
    upstream = await open_upstream(how, environment_id, decision)
    host_header = origin if decision.port == 443 else f"{origin}:{decision.port}"
    try:
        await exchange(
            request, incoming, inject, host_header, sandbox, upstream, how.idle_timeout_s, counts, swaps
        )
    finally:
        upstream[1].close()


async def open_upstream(how: Interception, environment_id: str, decision: Decision) -> Streams:
    """A TLS connection to the checked address, verified for `decision.host`.

    Raises:
        Refused: 502 `upstream-certificate` (not trusted by this host, or not for this name),
            `upstream-tls` (another handshake failure) or `upstream-unreachable`.
    """
    try:
        return await asyncio.wait_for(
            asyncio.open_connection(
                str(decision.address),
                decision.port,
                ssl=how.upstream_tls,
                server_hostname=decision.host,
                ssl_handshake_timeout=how.connect_timeout_s,
                limit=_HEAD_LIMIT,
            ),
            how.connect_timeout_s * 2,
        )
    except ssl.SSLCertVerificationError as exc:
        why = exc.verify_message or "verification failed"
        log.warning(
            "egress env=%s refuse reason=upstream-certificate %s:%d (%s)",
            printable(environment_id),
            printable(decision.host),
            decision.port,
            printable(why),
        )
        raise Refused(
            502, "upstream-certificate", f"the upstream's certificate is not trusted: {why}"
        ) from None
    except ssl.SSLError as exc:
        raise Refused(502, "upstream-tls", f"TLS with the upstream failed: {exc.reason}") from None
    except (TimeoutError, OSError) as exc:
        raise Refused(502, "upstream-unreachable", "cannot connect to the upstream") from exc


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
) -> None:
    """Send the request anew (h11 client) with its body and `swaps` made, then relay the response to
    the sandbox with `Connection: close` in its final head."""
    reader, writer = sandbox
    up_reader, up_writer = upstream
    sent, received = counts
    request = swap_head(request, swaps)
    body = read_body(incoming, reader, idle_s)
    try:
        if any("body" in swap.locations for swap in swaps):
            request, body = await _swapped_body(request, body, swaps)
        outgoing, upstream_head = upstream_request(request, host_header, inject)
        sent(len(upstream_head))
        up_writer.write(upstream_head)
        async for chunk in body:
            framed = outgoing.send(h11.Data(data=chunk)) or b""
            sent(len(framed))
            up_writer.write(framed)
            await up_writer.drain()
    except BadRequest as exc:
        raise Refused(400, "bad-request", str(exc)) from exc
    ending = outgoing.send(h11.EndOfMessage()) or b""
    sent(len(ending))
    up_writer.write(ending)
    await up_writer.drain()
    while True:  # 1xx heads pass as they are; the final head says the connection closes
        head = await asyncio.wait_for(up_reader.readuntil(b"\r\n\r\n"), idle_s)
        received(len(head))
        informational = head[9:10] == b"1" and head[9:12] != b"101"
        writer.write(head if informational else _closing(head))
        if not informational:
            break
    await writer.drain()
    await pipe(up_reader, writer, idle_s, received)


async def _swapped_body(
    request: ProxyRequest, body: AsyncIterator[bytes], swaps: Sequence[Swap]
) -> tuple[ProxyRequest, AsyncIterator[bytes]]:
    """Read the whole body (at most `SWAP_BODY_LIMIT`), swap, and frame it by its new length."""
    whole = bytearray()
    async for chunk in body:
        whole += chunk
        if len(whole) > SWAP_BODY_LIMIT:
            raise Refused(413, "body-too-large", "a body with placeholders to swap is at most 8 MiB")
    swapped = swap_body(bytes(whole), swaps)
    framing = {"content-length", "transfer-encoding"}
    headers = [(k, v) for k, v in request.headers if k.lower() not in framing]
    if swapped or request.method not in ("GET", "HEAD", "DELETE", "OPTIONS"):
        headers.append(("Content-Length", str(len(swapped))))

    async def once() -> AsyncIterator[bytes]:
        if swapped:
            yield swapped

    return dataclasses.replace(request, headers=tuple(headers)), once()


def _closing(head: bytes) -> bytes:
    """A response head without `Connection`/`Keep-Alive` and with `Connection: close`."""
    lines = head[:-4].split(b"\r\n")
    kept = [lines[0]] + [
        line
        for line in lines[1:]
        if line.partition(b":")[0].strip().lower() not in (b"connection", b"keep-alive")
    ]
    return b"\r\n".join([*kept, b"Connection: close"]) + b"\r\n\r\n"

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
import logging
import ssl
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from orchestrator.egress.answers import Refused
from orchestrator.egress.ca import WarrenCA
from orchestrator.egress.exchange import Retry, Streams, exchange
from orchestrator.egress.framing import BadRequest, parse_head
from orchestrator.egress.logsafe import printable
from orchestrator.egress.policy import Decision
from orchestrator.egress.relay import Count
from orchestrator.egress.swaps import Swap

__all__ = ["Interception", "intercept", "open_upstream"]

log = logging.getLogger("orchestrator.egress")
_HEAD_LIMIT = 64 * 1024


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
    reinject: Callable[[], Awaitable[list[tuple[str, str]]]] | None = None,
) -> None:
    """Terminate the sandbox's TLS for `decision.host`, then relay one request with `inject` added
    and `swaps` made; after a 401, once more with `reinject()`'s headers when given (oauth2).

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
    if decision.rule is not None and not decision.rule.applies(request.method, request.target):
        inject, reinject = (), None  # the entry's `match` leaves this request out
    upstream = await open_upstream(how, environment_id, decision)
    host_header = origin if decision.port == 443 else f"{origin}:{decision.port}"
    try:
        retry = None
        if reinject is not None:
            retry = Retry(reinject, lambda: open_upstream(how, environment_id, decision))
        await exchange(
            request,
            incoming,
            inject,
            host_header,
            sandbox,
            upstream,
            how.idle_timeout_s,
            counts,
            swaps,
            retry,
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

"""The egress proxy: an HTTP(S) forward proxy with one Unix socket per environment.

The socket lives in the environment's channel folder (mounted read-only at `/run/warren`), so the
proxy knows the environment by the socket a connection came in on. Each connection carries one
request: `CONNECT host:port` (HTTPS, tunnelled as bytes) or a plain-HTTP absolute-URI request
(`GET http://host/path`), parsed strictly (`framing`). The proxy decides (`Resolver.decide`) and
logs the decision with the environment id before it opens any connection; a refusal is a 403 (a
malformed request a 400) whose `X-Warren-Egress` header names the reason.

Header injection (`injection.py`) applies to plain-HTTP requests and, for an entry that carries a
credential or a transform, to HTTPS: such a CONNECT is intercepted (`intercept.py`), its TLS
terminated with a certificate from the installation's Warren CA (`ca.py`) and the upstream reached
over a TLS connection the proxy verifies. Every other CONNECT is an end-to-end tunnel the proxy
does not open. The proxy's own answers (refusals) are written by `answers.py`.

Every wait is bounded (`EgressLimits`): the request head, each read of a body or response, and a
tunnel in which nothing moves; an environment has a cap on its open connections.

Every byte relayed to and from upstreams is counted per environment and tenant (`meter`): an
interaction's and an environment's `warren_usage.egress_bytes`, and `warren_egress_bytes_total`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h11

from orchestrator.address_allowance import AddressAllowance
from orchestrator.config import Settings
from orchestrator.egress.answers import Refused, answer, linger
from orchestrator.egress.ca import WarrenCA, upstream_context
from orchestrator.egress.exchange import Retry, exchange
from orchestrator.egress.framing import BadRequest, ProxyRequest, parse_head
from orchestrator.egress.injection import injected_headers
from orchestrator.egress.intercept import Interception, intercept
from orchestrator.egress.logsafe import printable
from orchestrator.egress.meter import EgressMeter, Tally
from orchestrator.egress.oauth import OAuthTokens
from orchestrator.egress.policy import Decision, EgressPolicy, Resolver
from orchestrator.egress.relay import tunnel
from orchestrator.egress.swaps import Swap, swaps_for
from orchestrator.observability import tracing
from orchestrator.observability.metrics import egress_decided
from orchestrator.store import Store

__all__ = ["SOCKET_NAME", "EgressLimits", "EgressProxy"]

log = logging.getLogger("orchestrator.egress")
SOCKET_NAME = "egress.sock"
"""The proxy's socket in the environment's channel folder (`/run/warren/egress.sock` inside)."""
_HEAD_LIMIT = 64 * 1024


@dataclass(frozen=True)
class EgressLimits:
    """Deadlines and caps of the proxy; the defaults suit production, tests shorten them."""

    head_timeout_s: float = 30.0
    """Time a new connection has to send its whole request head."""
    idle_timeout_s: float = 300.0
    """A body, a response or a tunnel in which nothing moves for this long is closed."""
    connect_timeout_s: float = 10.0
    """Time to open the upstream connection."""
    max_connections: int = 64
    """Most connections one environment may have open through the proxy at once (more get 429)."""


class EgressProxy:
    """Serves each environment's egress socket and relays what its allowlist permits.

    Args:
        store: where environments (their `network` policy and tenant) and credentials are read.
        resolver: resolves names and applies the address rules.
        limits: deadlines and the per-environment connection cap.
        ca: the Warren CA that intercepted hosts' certificates come from; without one, a CONNECT to
            a credential's host is a plain tunnel and gets no credential.
    """

    def __init__(
        self,
        store: Store,
        resolver: Resolver,
        limits: EgressLimits | None = None,
        trace_of: Callable[[str], tracing.Context | None] | None = None,
        ca: WarrenCA | None = None,
    ) -> None:
        self.store = store
        self.oauth = OAuthTokens(resolver, store.credentials)
        """Access tokens of `oauth2` credentials, refreshed by the orchestrator."""
        self.ca = ca
        self._upstream_tls = upstream_context() if ca is not None else None
        self._trace_of = trace_of  # the trace of the interaction running in an environment
        self.resolver = resolver
        self.limits = limits or EgressLimits()
        self.recent: deque[tuple[str, str, Decision]] = deque(maxlen=1000)
        """The latest decisions as `(environment id, method, decision)`; the log has them all."""
        self._servers: dict[str, asyncio.Server] = {}
        self._slots: dict[str, asyncio.Semaphore] = {}
        self.meter = EgressMeter()
        """Bytes relayed per environment; `_held` keeps a served environment's tally alive."""
        self._held: dict[str, Tally] = {}

    @classmethod
    def from_settings(
        cls,
        store: Store,
        settings: Settings,
        limits: EgressLimits | None = None,
        trace_of: Callable[[str], tracing.Context | None] | None = None,
    ) -> EgressProxy:
        """A proxy with the operator's address allowance (address and port), fixed host answers, and
        the installation's Warren CA (made in the data folder on first start)."""
        allow = [AddressAllowance.parse(item) for item in settings.egress_allow_addresses]
        resolver = Resolver(allow=allow, hosts=dict(settings.egress_hosts))
        return cls(store, resolver, limits, trace_of, WarrenCA.load_or_create(settings.data_dir))

    async def policy(self, environment_id: str) -> tuple[str, EgressPolicy] | None:
        """The environment's tenant and policy; None when it has no egress (or is unknown)."""
        found = await self._environment(environment_id)
        return None if found is None else found[:2]

    async def _environment(self, environment_id: str) -> tuple[str, EgressPolicy, dict[str, Any]] | None:
        """The environment's tenant, policy and `env` (its credential references); None without egress."""
        record = await self.store.environments.get_across_tenants(environment_id)
        if record is None or (entries := record.spec.egress_allowlist) is None:
            return None
        return record.tenant, EgressPolicy.from_entries(entries), dict(record.spec.env or {})

    async def serve(self, environment_id: str, folder: Path) -> None:
        """Serve `folder/egress.sock` for the environment when its policy is an allowlist."""
        server = self._servers.get(environment_id)
        if server is not None and server.is_serving():
            return
        if await self.policy(environment_id) is None:
            return  # no socket at all for environments without egress
        path = folder / SOCKET_NAME
        path.unlink(missing_ok=True)
        self._slots[environment_id] = asyncio.Semaphore(self.limits.max_connections)
        self._held[environment_id] = self.meter.tally(environment_id)

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await self._connection(environment_id, reader, writer)

        self._servers[environment_id] = await asyncio.start_unix_server(handle, path, limit=_HEAD_LIMIT)
        os.chmod(path, 0o666)  # noqa: S103 (the sandbox user, uid 1000, connects; the socket is per environment)

    async def close(self, environment_id: str) -> None:
        """Stop serving the environment's socket."""
        server = self._servers.pop(environment_id, None)
        self._slots.pop(environment_id, None)
        self._held.pop(environment_id, None)
        if server is not None:
            server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), timeout=5)

    async def close_all(self) -> None:
        """Stop every socket (shutdown)."""
        for environment_id in list(self._servers):
            await self.close(environment_id)

    # ---- one connection --------------------------------------------------------------------------

    async def _connection(
        self, environment_id: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        slots = self._slots.get(environment_id)
        try:
            if slots is None or slots.locked():
                raise Refused(429, "too-many-connections", "too many open connections")
            async with slots:
                await self._relay(environment_id, reader, writer)
        except Refused as refused:
            await answer(writer, refused.status, refused.reason, refused.detail)
            await linger(reader, writer)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # the sandbox or the upstream went away
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _relay(
        self, environment_id: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), self.limits.head_timeout_s)
        try:
            request, incoming = parse_head(head)
        except BadRequest as exc:
            method = head.split(b" ", 1)[0][:32].decode("latin-1")
            self._record(environment_id, method, Decision(False, "bad-request", "?", 0, str(exc)))
            raise Refused(400, "bad-request", str(exc)) from exc
        parent = self._trace_of(environment_id) if self._trace_of is not None else None
        with tracing.TRACER.start_as_current_span("egress", context=parent) as span:
            span.set_attributes({"http.request.method": request.method, "server.port": request.port})
            await self._forward(environment_id, request, incoming, reader, writer)

    async def _forward(
        self,
        environment_id: str,
        request: ProxyRequest,
        incoming: h11.Connection,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        decision, inject, swaps, tenant = await self._decide(environment_id, request)
        reinject = self._reinject(tenant, decision) if inject else None
        if not decision.allowed or decision.address is None:
            raise Refused(403, decision.reason, decision.detail or decision.reason)
        sent, received = self.meter.counters(environment_id, tenant)
        idle_s = self.limits.idle_timeout_s
        applies = bool(inject or swaps)
        if request.method == "CONNECT" and applies and self.ca is not None and self._upstream_tls is not None:
            limits = self.limits
            how = Interception(
                self.ca, self._upstream_tls, limits.head_timeout_s, limits.connect_timeout_s, idle_s
            )
            sandbox = (reader, writer)
            await intercept(how, environment_id, decision, inject, sandbox, (sent, received), swaps, reinject)
            return

        async def connect() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
            try:
                return await asyncio.wait_for(
                    asyncio.open_connection(str(decision.address), decision.port),
                    self.limits.connect_timeout_s,
                )
            except (TimeoutError, OSError) as exc:
                raise Refused(502, "upstream-unreachable", "cannot connect to the upstream") from exc

        up_reader, up_writer = await connect()
        try:
            if request.method == "CONNECT":
                writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
                await writer.drain()
                if await tunnel((reader, writer), (up_reader, up_writer), idle_s, (sent, received)):
                    log.info("egress env=%s tunnel closed: idle for %ss", printable(environment_id), idle_s)
                return
            upstream = (up_reader, up_writer)
            try:
                await exchange(
                    request,
                    incoming,
                    inject,
                    _host_header(decision),
                    (reader, writer),
                    upstream,
                    idle_s,
                    (sent, received),
                    swaps,
                    None if reinject is None else Retry(reinject, connect),
                )
            except Refused as refused:
                log.warning("egress env=%s body refused: %s", printable(environment_id), printable(refused))
                raise
        finally:
            up_writer.close()

    async def _decide(
        self, environment_id: str, request: ProxyRequest
    ) -> tuple[Decision, list[tuple[str, str]], list[Swap], str]:
        """The logged decision for `request`; when it is allowed, the headers to inject and the
        placeholders to swap (`swaps.py`); the tenant."""
        found = await self._environment(environment_id)
        tenant, policy, env = found if found is not None else ("", None, {})
        decision = await self.resolver.decide(policy, request.host, request.port)
        inject: list[tuple[str, str]] = []
        swaps: list[Swap] = []
        rule = decision.rule
        if decision.allowed and rule is not None:
            try:
                plain = request.method != "CONNECT"
                if (plain and rule.applies(request.method, request.target)) or (
                    not plain and (rule.credential or rule.headers)
                ):
                    inject = await injected_headers(
                        self.store.credentials, tenant, rule, decision.host, self.oauth
                    )
                swaps = await swaps_for(self.store.credentials, tenant, env, decision.host)
            except Refused as refused:
                decision = Decision(False, "credential-refused", decision.host, decision.port, refused.detail)
        self._record(environment_id, request.method, decision)
        return decision, inject, swaps, tenant

    def _reinject(
        self, tenant: str, decision: Decision
    ) -> Callable[[], Awaitable[list[tuple[str, str]]]] | None:
        """For an entry whose credential is `oauth2`: the headers again with a refreshed token (a 401)."""
        rule = decision.rule
        stale = self.oauth.current(tenant, rule.credential) if rule and rule.credential else None
        if rule is None or stale is None:
            return None

        async def again() -> list[tuple[str, str]]:
            return await injected_headers(
                self.store.credentials, tenant, rule, decision.host, self.oauth, stale
            )

        return again

    def _record(self, environment_id: str, method: str, decision: Decision) -> None:
        self.recent.append((environment_id, method, decision))
        egress_decided(decision.reason if not decision.allowed else "allowed")
        log.log(logging.INFO if decision.allowed else logging.WARNING, decision.line(environment_id, method))


def _host_header(decision: Decision) -> str:
    """The `Host` the proxy sends: the checked name, bracketed when IPv6, with a non-default port."""
    host = f"[{decision.host}]" if ":" in decision.host else decision.host
    return host if decision.port == 80 else f"{host}:{decision.port}"

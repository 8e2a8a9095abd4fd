"""The egress proxy: an HTTP(S) forward proxy with one Unix socket per environment.

The socket lives in the environment's channel folder (mounted read-only at `/run/warren`), so the
proxy knows the environment by the socket a connection came in on. Each connection carries one
request: `CONNECT host:port` (HTTPS, tunnelled as bytes) or a plain-HTTP absolute-URI request
(`GET http://host/path`). The proxy decides (`Resolver.decide`) and logs the decision with the
environment id before it opens any connection; a refusal is a 403 whose `X-Warren-Egress` header
names the reason.

Header injection applies to plain-HTTP requests only: the entry's `transform` headers and its
`credential` are added (replacing any the sandbox sent under the same names). A CONNECT tunnel is
end-to-end TLS, which the proxy does not intercept, so no header is added inside it.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import os
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from orchestrator.config import Settings
from orchestrator.egress.policy import Decision, EgressPolicy, Resolver, Rule
from orchestrator.store import Store
from orchestrator.store.credentials import CredentialSecret
from orchestrator.store.models import EnvironmentRow

__all__ = ["SOCKET_NAME", "EgressProxy", "Refused"]

log = logging.getLogger("orchestrator.egress")
SOCKET_NAME = "egress.sock"
"""The proxy's socket in the environment's channel folder (`/run/warren/egress.sock` inside)."""
PLACEHOLDER = "{{credential}}"
"""Replaced by the credential's secret in an entry's `transform` header values."""
_HEAD_LIMIT = 64 * 1024
_HEAD_TIMEOUT_S = 30.0
_CONNECT_TIMEOUT_S = 10.0
_MAX_CONNECTIONS = 64
"""Most connections one environment may have open through the proxy at once."""
_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authorization",
    "proxy-authenticate",
    "proxy-connection",
    "te",
    "trailer",
    "upgrade",
    "host",
}


class Refused(Exception):
    """A request the proxy answers itself, with `status` and `reason`."""

    def __init__(self, status: int, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.reason, self.detail = status, reason, detail


@dataclass(frozen=True)
class _Request:
    method: str
    host: str
    port: int
    target: str
    """The origin-form path (`/x?y`) for plain HTTP; the authority for CONNECT."""
    headers: list[tuple[str, str]]


class EgressProxy:
    """Serves each environment's egress socket and relays what its allowlist permits.

    Args:
        store: where environments (their `network` policy and tenant) and credentials are read.
        resolver: resolves names and applies the address rules.
    """

    def __init__(self, store: Store, resolver: Resolver) -> None:
        self.store = store
        self.resolver = resolver
        self.recent: deque[tuple[str, str, Decision]] = deque(maxlen=1000)
        """The latest decisions as `(environment id, method, decision)`; the log has them all."""
        self._servers: dict[str, asyncio.Server] = {}
        self._slots: dict[str, asyncio.Semaphore] = {}

    @classmethod
    def from_settings(cls, store: Store, settings: Settings) -> EgressProxy:
        """A proxy with the operator's address allowance and fixed host answers."""
        allow = [ipaddress.ip_network(item, strict=False) for item in settings.egress_allow_addresses]
        return cls(store, Resolver(allow=allow, hosts=dict(settings.egress_hosts)))

    async def policy(self, environment_id: str) -> tuple[str, EgressPolicy] | None:
        """The environment's tenant and policy; None when it has no egress (or is unknown)."""
        async with self.store.db.read() as session:
            rows = (
                await session.scalars(select(EnvironmentRow).where(EnvironmentRow.id == environment_id))
            ).all()
        if len(rows) != 1:  # ids are server-made and unique; two tenants with one id gets nothing
            return None
        policy = EgressPolicy.from_network(rows[0].spec.get("network"))
        return None if policy is None else (rows[0].tenant, policy)

    async def serve(self, environment_id: str, folder: Path) -> None:
        """Serve `folder/egress.sock` for the environment when its policy is an allowlist."""
        server = self._servers.get(environment_id)
        if server is not None and server.is_serving():
            return
        if await self.policy(environment_id) is None:
            return  # no socket at all for environments without egress
        path = folder / SOCKET_NAME
        path.unlink(missing_ok=True)
        self._slots[environment_id] = asyncio.Semaphore(_MAX_CONNECTIONS)

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await self._connection(environment_id, reader, writer)

        self._servers[environment_id] = await asyncio.start_unix_server(handle, path, limit=_HEAD_LIMIT)
        os.chmod(path, 0o666)  # noqa: S103 (the sandbox user, uid 1000, connects; the socket is per environment)

    async def close(self, environment_id: str) -> None:
        """Stop serving the environment's socket."""
        server = self._servers.pop(environment_id, None)
        self._slots.pop(environment_id, None)
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
            await _answer(writer, refused.status, refused.reason, refused.detail)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # the sandbox or the upstream went away
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _relay(
        self, environment_id: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), _HEAD_TIMEOUT_S)
        try:
            request = _parse(head)
        except Refused as refused:
            self._record(environment_id, "?", Decision(False, "bad-request", "?", 0, refused.detail))
            raise
        found = await self.policy(environment_id)
        tenant, policy = found if found is not None else ("", None)
        decision = await self.resolver.decide(policy, request.host, request.port)
        inject: list[tuple[str, str]] = []
        if decision.allowed and decision.rule is not None and request.method != "CONNECT":
            try:
                inject = await self._headers(tenant, decision.rule, decision.host)
            except Refused as refused:
                decision = Decision(False, "credential-refused", decision.host, decision.port, refused.detail)
        self._record(environment_id, request.method, decision)
        if not decision.allowed or decision.address is None:
            raise Refused(403, decision.reason, decision.detail or decision.reason)
        try:
            up_reader, up_writer = await asyncio.wait_for(
                asyncio.open_connection(str(decision.address), decision.port), _CONNECT_TIMEOUT_S
            )
        except (TimeoutError, OSError) as exc:
            raise Refused(502, "upstream-unreachable", f"cannot connect: {exc}") from exc
        try:
            if request.method == "CONNECT":
                writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
                await writer.drain()
                await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
            else:
                up_writer.write(_head(request, decision, inject))
                await _copy_body(request, reader, up_writer)
                await _pipe(up_reader, writer)
        finally:
            up_writer.close()

    async def _headers(self, tenant: str, rule: Rule, host: str) -> list[tuple[str, str]]:
        """The entry's transform headers with the credential filled in, and the credential's own header."""
        secret: CredentialSecret | None = None
        if rule.credential:
            secret = await self.store.credentials.secret(tenant, rule.credential)
            if secret is None:
                raise Refused(403, "credential-refused", f"credential {rule.credential!r} not found")
            trusted = secret.config.get("trusted_domains") or []
            if trusted and not any(Rule(str(d).lower()).matches(host) for d in trusted):
                raise Refused(
                    403, "credential-refused", f"credential {rule.credential!r} is not trusted here"
                )
        headers: list[tuple[str, str]] = []
        used = False
        for name, value in rule.headers:
            if PLACEHOLDER in value:
                if secret is None:
                    raise Refused(403, "credential-refused", f"header {name!r} needs a credential")
                value, used = value.replace(PLACEHOLDER, secret.secret), True
            headers.append((name, value))
        if secret is not None and not used:
            headers.append(secret.header())
        for name, value in headers:
            if any(c in name + value for c in "\r\n\0") or not name or ":" in name:
                raise Refused(403, "credential-refused", f"header {name!r} is not a valid header")
        return headers

    def _record(self, environment_id: str, method: str, decision: Decision) -> None:
        self.recent.append((environment_id, method, decision))
        log.log(logging.INFO if decision.allowed else logging.WARNING, decision.line(environment_id, method))


def _parse(head: bytes) -> _Request:
    """The request line and headers of one proxy request; `Refused(400)` when it is not one."""
    try:
        lines = head.decode("latin-1").split("\r\n")
        method, target, version = lines[0].split(" ")
        headers = [(k.strip(), v.strip()) for k, _, v in (line.partition(":") for line in lines[1:] if line)]
    except ValueError as exc:
        raise Refused(400, "bad-request", "malformed request line") from exc
    if not version.startswith("HTTP/1."):
        raise Refused(400, "bad-request", "only HTTP/1.x is proxied")
    if method == "CONNECT":
        host, port = _authority(target, None)
        return _Request(method, host, port, target, headers)
    parts = urlsplit(target)
    if parts.scheme != "http" or not parts.netloc:
        raise Refused(400, "bad-request", "send http:// URLs as absolute URIs and use CONNECT for https")
    if "@" in parts.netloc:
        raise Refused(400, "bad-request", "credentials in the URL are not proxied")
    host, port = _authority(parts.netloc, 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return _Request(method, host, port, path, headers)


def _authority(authority: str, default_port: int | None) -> tuple[str, int]:
    host, sep, port = authority.rpartition(":")
    if not sep or (host.count(":") and not host.endswith("]")):  # no port, or a bare IPv6 literal
        host, port = authority, ""
    if not port and default_port is None:
        raise Refused(400, "bad-request", "CONNECT needs host:port")
    try:
        return host.strip("[]"), int(port) if port else int(default_port or 0)
    except ValueError as exc:
        raise Refused(400, "bad-request", f"bad port {port!r}") from exc


def _head(request: _Request, decision: Decision, inject: list[tuple[str, str]]) -> bytes:
    """The upstream request head: origin-form, `Host` set by the proxy, injected headers, no keep-alive."""
    replaced = {name.lower() for name, _ in inject}
    host = decision.host if decision.port == 80 else f"{decision.host}:{decision.port}"
    if ":" in decision.host:
        host = f"[{decision.host}]" if decision.port == 80 else f"[{decision.host}]:{decision.port}"
    kept = [(k, v) for k, v in request.headers if k.lower() not in _HOP_BY_HOP and k.lower() not in replaced]
    lines = [f"{request.method} {request.target} HTTP/1.1", f"Host: {host}", *(f"{k}: {v}" for k, v in kept)]
    lines += [f"{k}: {v}" for k, v in inject] + ["Connection: close", "", ""]
    return "\r\n".join(lines).encode("latin-1")


async def _copy_body(request: _Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy exactly the request's body (Content-Length or chunked); nothing after it is forwarded."""
    headers = {k.lower(): v for k, v in request.headers}
    if "chunked" in headers.get("transfer-encoding", "").lower():
        while True:
            size_line = await reader.readuntil(b"\r\n")
            writer.write(size_line)
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while (trailer := await reader.readuntil(b"\r\n")) != b"\r\n":
                    writer.write(trailer)
                writer.write(b"\r\n")
                break
            writer.write(await reader.readexactly(size + 2))
            await writer.drain()
    elif length := int(headers.get("content-length", "0") or 0):
        remaining = length
        while remaining:
            chunk = await reader.read(min(remaining, 1 << 16))
            if not chunk:
                raise asyncio.IncompleteReadError(b"", remaining)
            writer.write(chunk)
            await writer.drain()
            remaining -= len(chunk)
    await writer.drain()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy until end of file, then half-close the other side."""
    try:
        while data := await reader.read(1 << 16):
            writer.write(data)
            await writer.drain()
    except (OSError, asyncio.IncompleteReadError):
        pass
    finally:
        with contextlib.suppress(OSError, RuntimeError):
            if writer.can_write_eof():
                writer.write_eof()


async def _answer(writer: asyncio.StreamWriter, status: int, reason: str, detail: str) -> None:
    """The proxy's own answer: a short text body and `X-Warren-Egress: refused; reason=...`."""
    phrases: dict[int, Any] = {
        400: "Bad Request",
        403: "Forbidden",
        429: "Too Many Requests",
        502: "Bad Gateway",
    }
    body = f"warren egress proxy: {reason}: {detail}\n".encode()
    head = (
        f"HTTP/1.1 {status} {phrases.get(status, 'Error')}\r\n"
        f"X-Warren-Egress: refused; reason={reason}\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    with contextlib.suppress(OSError):
        writer.write(head.encode() + body)
        await writer.drain()

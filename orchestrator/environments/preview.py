"""Preview URLs: connections from outside to a port a process listens on inside a sandbox.

The sandbox has no network interface but loopback, so each connection goes in through the engine:
one exec of `python3 -m agents.port_relay PORT` per connection, on the TTY stream the sandbox seam
already offers (`SandboxBackend.open_pty`); the relay puts the TTY in raw mode and pipes it to
127.0.0.1:PORT, and input is escaped against the engine's detach keys (`agents.port_relay`). A
long-poll tunnel over the runner's channel would need a runner in every idle sandbox; an exec needs
nothing running. Measured (runc, two cores): opening a relay takes about 70 ms, the price of each
proxied HTTP request (`bench/preview.py`).

A port is closed until its tenant opens it (`store.preview_ports`); connections are capped per
environment and per tenant, and a read that waits `idle_s` without a byte ends the connection.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

from agents.port_relay import escape
from orchestrator.environments.preview_links import PreviewLinks, PreviewTarget
from orchestrator.errors import BadGateway, RateLimited
from orchestrator.sandbox.backend import PtyRequest, PtySession, SandboxError
from orchestrator.store import Store
from orchestrator.store.errors import NotFoundError

if TYPE_CHECKING:
    from orchestrator.environments.service import EnvironmentService

__all__ = ["PreviewLimitError", "PreviewService", "PreviewUnreachableError", "RelayConnection"]

READY_TIMEOUT_S = 20.0
"""Longest wait, in **seconds**, for the relay to connect to the port and say so."""
_READY_LINE_BYTES = 256
_EXIT_WAIT_S = 0.5


class PreviewLimitError(RateLimited):
    """A preview connection was refused because one of the caps is reached; the message names it."""


class PreviewUnreachableError(BadGateway):
    """Nothing accepted the connection on the port inside the sandbox (the proxy answers 502)."""


class RelayConnection:
    """One byte stream to the port inside the sandbox; reads and writes end at the idle deadline.

    Args:
        pty: the relay's TTY session (raw mode).
        first: bytes of the connection that came with the ready line.
        idle_s: longest wait for one read, in **seconds**.
    """

    def __init__(self, pty: PtySession, first: bytes, idle_s: float) -> None:
        self._pty = pty
        self._first = first
        self.idle_s = idle_s

    async def read(self) -> bytes:
        """The next bytes from the port; `b""` at its end or after `idle_s` without any."""
        if self._first:
            data, self._first = self._first, b""
            return data
        try:
            return await asyncio.wait_for(self._pty.read(), self.idle_s)
        except TimeoutError:
            return b""

    async def write(self, data: bytes) -> None:
        """Send bytes to the port (waits while the relay does not read them)."""
        await asyncio.wait_for(self._pty.write(escape(data)), self.idle_s)

    async def close(self) -> None:
        """End the relay and everything it started.

        A relay whose port closed the connection exits by itself: waiting a moment for that spares
        the engine the sweep of a process still running (an exec of its own, ~100 ms or more).
        """
        with contextlib.suppress(Exception):
            async with asyncio.timeout(_EXIT_WAIT_S):
                while await self._pty.read():
                    pass
        with contextlib.suppress(Exception):  # the sandbox may be gone already
            await self._pty.close()


class PreviewService:
    """Opens, closes and lists preview ports, signs their links, and connects to them.

    Args:
        store: the store (environments and their preview ports).
        environments: resolves (and resumes) an environment's sandbox.
        links: mints and checks the browser tokens.
        per_environment: most connections open at once on one environment.
        per_tenant: most connections open at once for one tenant.
        idle_s: a connection silent this long, in **seconds**, is closed.
    """

    def __init__(
        self,
        store: Store,
        environments: EnvironmentService,
        links: PreviewLinks,
        per_environment: int,
        per_tenant: int,
        idle_s: float,
    ) -> None:
        self.store = store
        self.environments = environments
        self.links = links
        self.per_environment = per_environment
        self.per_tenant = per_tenant
        self.idle_s = idle_s
        self._by_environment: Counter[tuple[str, str]] = Counter()
        self._by_tenant: Counter[str] = Counter()

    async def _environment(self, tenant: str, environment_id: str) -> None:
        if await self.store.environments.get(tenant, environment_id) is None:
            raise NotFoundError("environment", environment_id)

    async def open(self, tenant: str, environment_id: str, port: int) -> tuple[str, int]:
        """Open `port` and mint a browser token for it; returns the token and its expiry.

        Raises:
            NotFoundError: no such environment for this tenant.
        """
        await self._environment(tenant, environment_id)
        await self.store.preview_ports.open(tenant, environment_id, port)
        return self.links.mint(PreviewTarget(tenant, environment_id, port))

    async def close(self, tenant: str, environment_id: str, port: int) -> None:
        """Close `port`; connections already open run on until they end.

        Raises:
            NotFoundError: no such environment, or the port is not open.
        """
        await self._environment(tenant, environment_id)
        if not await self.store.preview_ports.close(tenant, environment_id, port):
            raise NotFoundError("preview port", str(port))

    async def ports(self, tenant: str, environment_id: str) -> list[int]:
        """The environment's open ports.

        Raises:
            NotFoundError: no such environment for this tenant.
        """
        await self._environment(tenant, environment_id)
        return await self.store.preview_ports.list(tenant, environment_id)

    async def check_open(self, tenant: str, environment_id: str, port: int) -> None:
        """Raise `NotFoundError` unless the tenant's environment exists and `port` is open on it."""
        await self._environment(tenant, environment_id)
        if not await self.store.preview_ports.is_open(tenant, environment_id, port):
            raise NotFoundError("preview port", str(port))

    @contextlib.contextmanager
    def hold(self, tenant: str, environment_id: str) -> Iterator[None]:
        """Hold one connection slot (the event loop is the only caller: no lock).

        Raises:
            PreviewLimitError: the environment or the tenant has its most connections open.
        """
        key = (tenant, environment_id)
        if self._by_environment[key] >= self.per_environment:
            raise PreviewLimitError(
                f"too many preview connections open on this environment ({self.per_environment})"
            )
        if self._by_tenant[tenant] >= self.per_tenant:
            raise PreviewLimitError(f"too many preview connections open ({self.per_tenant} per tenant)")
        self._by_environment[key] += 1
        self._by_tenant[tenant] += 1
        try:
            yield
        finally:
            self._by_environment[key] -= 1
            self._by_tenant[tenant] -= 1
            self._by_environment += Counter()  # drops the zero counts
            self._by_tenant += Counter()

    @contextlib.asynccontextmanager
    async def connect(self, tenant: str, environment_id: str, port: int) -> AsyncIterator[RelayConnection]:
        """A connection to `port` in the environment's sandbox (resumed if stopped), closed on exit.

        Raises:
            NotFoundError: no such environment, or the port is not open.
            PreviewLimitError: a connection cap is reached.
            PreviewUnreachableError: nothing accepts connections on the port.
        """
        await self.check_open(tenant, environment_id, port)
        with self.hold(tenant, environment_id):
            sandbox_id = await self.environments.sandbox(tenant, environment_id)
            command = ("python3", "-S", "-m", "agents.port_relay", str(port))  # -S: no site, ~10 ms less
            try:
                pty = await self.environments.backend.open_pty(PtyRequest(sandbox_id=sandbox_id, cmd=command))
            except SandboxError as exc:
                raise PreviewUnreachableError(f"cannot reach port {port}: {exc}") from exc
            relay = RelayConnection(pty, b"", self.idle_s)
            try:
                relay = RelayConnection(pty, await _ready(pty, port), self.idle_s)
                yield relay
            finally:
                await relay.close()


async def _ready(pty: PtySession, port: int) -> bytes:
    """Wait for the relay's first line; the bytes after it belong to the connection."""
    line = b""
    try:
        async with asyncio.timeout(READY_TIMEOUT_S):
            while b"\n" not in line and len(line) < _READY_LINE_BYTES:
                data = await pty.read()
                if not data:
                    break
                line += data
    except TimeoutError:
        line = b"ERR no answer\n"
    head, _, rest = line.partition(b"\n")
    if head != b"OK":
        reason = head.removeprefix(b"ERR ").decode("ascii", "replace")[:80] or "the relay ended"
        raise PreviewUnreachableError(f"nothing answers on port {port} in the sandbox ({reason})")
    return rest

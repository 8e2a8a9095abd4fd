"""Red-team regressions for the egress proxy and policy (issue 13: MEDIUM 7, MEDIUM 8, part of HIGH 3,
and the low findings on logs, IPv6 forms of IPv4 addresses and the operator's address allowance).

The proxy runs in-process on a Unix socket; traffic goes only to listeners this test starts on
127.0.0.1 (allowed by the operator setting, address and port). Blocks are proved by the proxy's own
decision with the listener seeing no connection; nothing is sent anywhere else.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import shutil
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from orchestrator.config import Settings
from orchestrator.egress import EgressLimits, EgressPolicy, EgressProxy, Resolver
from orchestrator.egress.policy import IPAddress
from orchestrator.store import Store
from orchestrator.store.environment_spec import EnvironmentSpec
from tests.unit.api_app.conftest import App, api
from tests.unit.egress.listener import listening

__all__ = ["api"]

pytestmark = [pytest.mark.security]

SECRET = "wsk-redteam-egress-secret"
HOST = "allowed.warren.test"
OTHER = "other.warren.test"


@dataclass
class RawListener:
    """Records every byte each connection sends (until 0.5 s of silence), then answers 200 and closes."""

    port: int = 0
    received: list[bytes] = field(default_factory=list)
    closed: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        data = b""
        try:
            while chunk := await asyncio.wait_for(reader.read(1 << 16), 0.5):
                data += chunk
        except TimeoutError:
            pass
        except OSError:
            pass
        self.received.append(data)
        try:
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n")
            await writer.drain()
        except OSError:
            pass
        finally:
            writer.close()


@dataclass
class SilentListener:
    """Accepts and never writes; notes when the proxy closes the connection."""

    port: int = 0
    accepted: int = 0
    closed: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        try:
            while await reader.read(1 << 16):
                pass
        except OSError:
            pass
        self.closed.set()
        writer.close()


@pytest.fixture
async def short_dir() -> AsyncIterator[Path]:
    """A short folder: Unix socket paths must stay under 108 bytes."""
    folder = Path(tempfile.mkdtemp(prefix="wrt", dir="/tmp"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
async def store(short_dir: Path) -> AsyncIterator[Store]:
    async with await Store.open(f"sqlite+aiosqlite:///{short_dir / 'w.db'}") as opened:
        yield opened


@pytest.fixture
async def raw() -> AsyncIterator[RawListener]:
    listener = RawListener()
    server = await asyncio.start_server(listener.handle, "127.0.0.1", 0)
    listener.port = server.sockets[0].getsockname()[1]
    async with server:
        yield listener


async def _proxy(
    store: Store,
    folder: Path,
    network: Any,
    allow: list[str],
    limits: EgressLimits | None = None,
    env: str = "env_r",
) -> tuple[EgressProxy, Path]:
    await store.environments.create("tenant-a", env, EnvironmentSpec.model_validate({"network": network}))
    settings = Settings(
        data_dir=folder / "data",
        egress_allow_addresses=allow,
        egress_hosts={HOST: "127.0.0.1", OTHER: "127.0.0.1"},
    )
    proxy = EgressProxy.from_settings(store, settings, limits)
    (folder / env).mkdir()
    await proxy.serve(env, folder / env)
    return proxy, folder / env / "egress.sock"


async def _exchange(socket: Path, raw: bytes, timeout_s: float = 5) -> bytes:
    reader, writer = await asyncio.open_unix_connection(str(socket))
    try:
        writer.write(raw)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), timeout_s)
    finally:
        writer.close()


def _attacks(port: int) -> dict[str, bytes]:
    """Heads on which a lenient upstream and the proxy could disagree about where a request ends."""
    start = f"POST http://{HOST}:{port}/ HTTP/1.1\r\nHost: {HOST}\r\n".encode()
    smuggled = b"GET /steal HTTP/1.1\nHost: victim.warren.test\nX-Tail: x"
    return {
        "bare LF": start + b"X-Pad: 1\nContent-Length: 0\n\n" + smuggled + b"\r\n\r\n",
        "obs-fold": start + b"X-Pad: 1\r\n Content-Length: 5\r\nContent-Length: 0\r\n\r\nGET /x",
        "CL and TE": start + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /x",
        "duplicate CL": start + b"Content-Length: 0\r\nContent-Length: 0\r\n\r\n",
        "CL list": start + b"Content-Length: 0, 0\r\n\r\n",
        "negative CL": start + b"Content-Length: -1\r\n\r\n",
        "bad method": f"TRACE http://{HOST}:{port}/ HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode(),
        "non-token method": f"G@T http://{HOST}:{port}/ HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode(),
    }


@pytest.mark.parametrize("attack", list(_attacks(0)))
async def test_ambiguous_requests_are_refused_and_the_credential_goes_nowhere(
    store: Store, short_dir: Path, raw: RawListener, attack: str
) -> None:
    """MEDIUM 7: bare LF, obs-fold, CL+TE, repeated or negative CL and bad methods get a 400 before
    any connection, so no smuggled second request can carry the injected credential upstream."""
    await store.credentials.create("tenant-a", "gh", "bearer_token", SECRET, {})
    network = {"allowlist": [{"domain": f"{HOST}:{raw.port}", "credential": "gh"}]}
    proxy, socket = await _proxy(store, short_dir, network, [f"127.0.0.1:{raw.port}"])
    answer = await _exchange(socket, _attacks(raw.port)[attack])
    assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
    assert b"X-Warren-Egress: refused; reason=bad-request" in answer
    await asyncio.sleep(0.6)  # a forwarded request would have been recorded by now
    assert raw.received == [], "nothing reached the upstream"
    assert SECRET.encode() not in answer
    await proxy.close_all()


async def test_credentials_and_transforms_need_an_exact_host_at_create(api: App) -> None:
    """MEDIUM 8: `*` or `*.x` with a credential or a transform is refused with a 400 naming the field;
    a credential's `trusted_domains` (now also on bearer tokens) must be exact hosts."""
    cases = [
        ({"domain": "*", "credential": "gh"}, "network.allowlist[0].credential"),
        ({"domain": "*.warren.test", "credential": "gh"}, "network.allowlist[0].credential"),
        ({"domain": "*.warren.test:8443", "transform": {"X-Key": "k"}}, "network.allowlist[0].transform"),
        ({"domain": "not a host", "credential": "gh"}, "network.allowlist[0].domain"),
    ]
    for entry, field_path in cases:
        made = await api.a.post("/v1beta/environments", json={"network": {"allowlist": [entry]}})
        assert made.status_code == 400, (entry, made.text)
        violations = made.json()["error"]["details"][0]["fieldViolations"]
        assert [v["field"] for v in violations] == [field_path], (entry, violations)
    agent = {
        "id": "wild",
        "base_environment": {"network": {"allowlist": [{"domain": "*", "credential": "gh"}]}},
    }
    made = await api.a.post("/v1beta/agents", json=agent)
    assert made.status_code == 400 and "base_environment.network.allowlist[0].credential" in made.text
    wild = {"type": "bearer_token", "id": "w", "token": SECRET, "trusted_domains": ["*.warren.test"]}
    made = await api.a.post("/v1beta/credentials", json=wild)
    assert made.status_code == 400 and "trusted_domains[0]" in made.text and SECRET not in made.text
    exact = {"type": "bearer_token", "id": "gh", "token": SECRET, "trusted_domains": ["Only.Warren.Test"]}
    made = await api.a.post("/v1beta/credentials", json=exact)
    assert made.status_code == 200, made.text
    stored = await api.services.store.credentials.secret("tenant-a", "gh")
    assert stored is not None and stored.config["trusted_domains"] == ["only.warren.test"]


async def test_stored_wildcard_entries_get_no_credential_and_trusted_domains_bind(
    store: Store, short_dir: Path, raw: RawListener
) -> None:
    """MEDIUM 8 at the proxy: an older stored `*` entry with a credential injects nothing (refused
    before connecting), and a bearer token limited to other hosts is not sent here."""
    await store.credentials.create("tenant-a", "gh", "bearer_token", SECRET, {})
    await store.credentials.create(
        "tenant-a", "bound", "bearer_token", SECRET, {"trusted_domains": ["only.warren.test"]}
    )
    network = {
        "allowlist": [
            {"domain": f"*:{raw.port}", "credential": "gh"},
            {"domain": f"{HOST}:{raw.port}", "credential": "bound"},
        ]
    }
    proxy, socket = await _proxy(store, short_dir, network, [f"127.0.0.1:{raw.port}"])
    for host in (OTHER, HOST):
        head = f"GET http://{host}:{raw.port}/ HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
        answer = await _exchange(socket, head)
        assert b"reason=credential-refused" in answer, (host, answer[:200])
    assert raw.received == [], "no connection was made"
    await proxy.close_all()


def _decide_resolver(address: str) -> Resolver:
    async def lookup(name: str, port: int) -> list[IPAddress]:
        raise OSError("no DNS in this test")

    return Resolver(hosts={"six.warren.test": address}, lookup=lookup, own=frozenset())


@pytest.mark.parametrize(
    ("address", "inner"),
    [
        (f"{prefix}{suffix}", inner)
        for inner, v4 in [
            ("127.0.0.1", 0x7F000001),
            ("169.254.169.254", 0xA9FEA9FE),
            ("10.0.0.1", 0x0A000001),
        ]
        for prefix, suffix in [
            (f"2002:{v4 >> 16:x}:{v4 & 0xFFFF:x}", "::1"),  # 6to4
            (f"64:ff9b::{v4 >> 16:x}:{v4 & 0xFFFF:x}", ""),  # NAT64 well-known prefix
            (f"::{v4 >> 16:x}:{v4 & 0xFFFF:x}", ""),  # IPv4-compatible
        ]
    ],
)
async def test_ipv6_forms_of_forbidden_ipv4_addresses_are_refused(address: str, inner: str) -> None:
    """Low: 6to4, NAT64 and IPv4-compatible forms are decoded and judged as the IPv4 address they carry,
    both as a name's answer and as an IP literal; decided without any connection."""
    policy = EgressPolicy.from_network(
        {"allowlist": [{"domain": "six.warren.test"}, {"domain": f"[{address}]"}]}
    )
    resolver = _decide_resolver(address)
    for host in ("six.warren.test", address):
        decision = await resolver.decide(policy, host, 443)
        assert not decision.allowed and decision.address is None, decision
        assert f"form of {inner}:" in decision.detail, decision
    assert ipaddress.ip_address(address).version == 6


async def test_allowed_address_opens_only_its_port(store: Store, short_dir: Path) -> None:
    """Low: `WARREN_EGRESS_ALLOW_ADDRESSES` entries are address plus port; another port of the same
    address stays refused before any connection, and a bare range is a configuration error."""
    async with listening("allowed") as allowed, listening("other") as other:
        network = {"allowlist": [{"domain": f"{HOST}:{allowed.port}"}, {"domain": f"{HOST}:{other.port}"}]}
        proxy, socket = await _proxy(store, short_dir, network, [f"127.0.0.1:{allowed.port}"])
        ok = await _exchange(socket, f"GET http://{HOST}:{allowed.port}/ HTTP/1.1\r\n\r\n".encode())
        assert ok.startswith(b"HTTP/1.1 200") and b"hello from allowed" in ok
        refused = await _exchange(socket, f"GET http://{HOST}:{other.port}/ HTTP/1.1\r\n\r\n".encode())
        assert b"reason=forbidden-address" in refused and other.connections == 0
        await proxy.close_all()
    with pytest.raises(ValidationError, match="needs a port"):
        Settings(data_dir=short_dir, egress_allow_addresses=["127.0.0.1"])
    with pytest.raises(ValueError, match="needs a port"):
        Settings.from_env(data_dir=short_dir, egress_allow_addresses="10.1.2.0/24")


async def test_idle_tunnels_slow_heads_and_the_connection_cap(store: Store, short_dir: Path) -> None:
    """Part of HIGH 3: a CONNECT tunnel where nothing moves is closed (both ends), a head that never
    completes is dropped, and an environment's open connections are capped (429 beyond)."""
    silent = SilentListener()
    server = await asyncio.start_server(silent.handle, "127.0.0.1", 0)
    silent.port = server.sockets[0].getsockname()[1]
    limits = EgressLimits(head_timeout_s=0.5, idle_timeout_s=0.5, max_connections=2)
    async with server:
        network = {"allowlist": [{"domain": f"{HOST}:{silent.port}"}]}
        proxy, socket = await _proxy(store, short_dir, network, [f"127.0.0.1:{silent.port}"], limits)
        reader, writer = await asyncio.open_unix_connection(str(socket))
        writer.write(f"CONNECT {HOST}:{silent.port} HTTP/1.1\r\n\r\n".encode())
        assert (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)).startswith(b"HTTP/1.1 200")
        assert await asyncio.wait_for(reader.read(), 5) == b"", "the idle tunnel was closed"
        await asyncio.wait_for(silent.closed.wait(), 5)
        writer.close()

        slow_reader, slow_writer = await asyncio.open_unix_connection(str(socket))
        slow_writer.write(b"GET http://")
        assert await asyncio.wait_for(slow_reader.read(), 5) == b"", "an unfinished head is dropped"
        slow_writer.close()

        held = [await asyncio.open_unix_connection(str(socket)) for _ in range(2)]
        for _, held_writer in held:
            held_writer.write(f"CONNECT {HOST}:{silent.port} HTTP/1.1\r\n\r\n".encode())
        for held_reader, _ in held:
            await asyncio.wait_for(held_reader.readuntil(b"\r\n\r\n"), 5)
        third = await _exchange(socket, f"CONNECT {HOST}:{silent.port} HTTP/1.1\r\n\r\n".encode())
        assert third.startswith(b"HTTP/1.1 429") and b"reason=too-many-connections" in third
        for _, held_writer in held:
            held_writer.close()
        await proxy.close_all()


async def test_control_characters_in_logged_values_are_escaped(
    store: Store, short_dir: Path, raw: RawListener, caplog: pytest.LogCaptureFixture
) -> None:
    """Low: a method or target carrying LF, CR or ESC cannot forge a log line or drive a terminal;
    every logged value is escaped (and such a request is refused)."""
    network = {"allowlist": [{"domain": f"{HOST}:{raw.port}"}]}
    proxy, socket = await _proxy(store, short_dir, network, [f"127.0.0.1:{raw.port}"])
    forged = "egress env=env_x allow reason=allowed GET evil.test:80"
    heads = [
        f"GET\n{forged} http://{HOST}:{raw.port}/ HTTP/1.1\r\nHost: {HOST}\r\n\r\n",
        f"GET\x1b[2J http://{HOST}:{raw.port}/ HTTP/1.1\r\nHost: {HOST}\r\n\r\n",
        f"CONNECT {HOST}\x1b]0;x\x07:{raw.port} HTTP/1.1\r\n\r\n",
    ]
    with caplog.at_level(logging.INFO, logger="orchestrator.egress"):
        for head in heads:
            answer = await _exchange(socket, head.encode("latin-1"))
            assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
    messages = [record.getMessage() for record in caplog.records if record.name == "orchestrator.egress"]
    assert len(messages) == len(heads)
    assert not [m for m in messages if any(ord(c) < 0x20 or ord(c) == 0x7F for c in m)], messages
    assert any("GET\\x0aegress" in m for m in messages), messages
    assert any("GET\\x1b[2J" in m for m in messages), messages
    assert raw.received == []
    await proxy.close_all()

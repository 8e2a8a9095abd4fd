"""Egress bytes, counted by the proxy per environment (`EgressMeter`) and in `warren_egress_bytes_total`.

The upstream is a listener this test starts on 127.0.0.1 (allowed by the operator setting); it
records every byte it receives and answers with a body of a known size, so each count is exact.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from orchestrator.egress import EgressProxy
from orchestrator.observability.metrics import REGISTRY
from orchestrator.store import Store
from tests.unit.egress.test_proxy import _proxy, store

__all__ = ["store"]  # the fixture

TENANT = "tenant-meter"
BODY = 100_000
"""The size of the upstream's answer body."""


class Upstream:
    """Reads a request head and its `Content-Length` body, answers with `BODY` bytes, keeps counts."""

    def __init__(self) -> None:
        self.port = 0
        self.received = 0
        self.answered = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            (
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length")
            ),
            0,
        )
        body = await reader.readexactly(length)
        self.received += len(head) + len(body)
        answer = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % BODY + b"x" * BODY
        self.answered += len(answer)
        writer.write(answer)
        await writer.drain()
        writer.close()


@asynccontextmanager
async def upstream_listening() -> AsyncIterator[Upstream]:
    upstream = Upstream()
    server = await asyncio.start_server(upstream.handle, "127.0.0.1", 0)
    upstream.port = server.sockets[0].getsockname()[1]
    async with server:
        yield upstream


@pytest.fixture
async def upstream() -> AsyncIterator[Upstream]:
    async with upstream_listening() as listener:
        yield listener


async def _served(store: Store, tmp_path: Path, port: int) -> tuple[EgressProxy, Path]:
    network = {"allowlist": [{"domain": f"allowed.warren.test:{port}"}]}
    return await _proxy(store, tmp_path, network, env="env_m", tenant=TENANT)


async def _exchange(socket: Path, data: bytes, after_connect: bytes | None = None) -> bytes:
    """Send `data` (then `after_connect` once a CONNECT is answered); everything the proxy answers."""
    reader, writer = await asyncio.open_unix_connection(str(socket))
    writer.write(data)
    await writer.drain()
    if after_connect is not None:
        assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 200")
        writer.write(after_connect)
        await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    return answer


def _scraped(direction: str) -> float:
    value = REGISTRY.get_sample_value("warren_egress_bytes_total", {"tenant": TENANT, "direction": direction})
    return value or 0.0


async def test_a_plain_request_counts_what_went_up_and_came_back(
    store: Store, tmp_path: Path, upstream: Upstream
) -> None:
    proxy, socket = await _served(store, tmp_path, upstream.port)
    tally = proxy.meter.tally("env_m")
    sent, received = _scraped("sent"), _scraped("received")
    body = b"y" * 5000
    head = (
        f"POST http://allowed.warren.test:{upstream.port}/up HTTP/1.1\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    answer = await _exchange(socket, head.encode() + body)
    assert answer.startswith(b"HTTP/1.1 200") and len(answer) == upstream.answered
    assert upstream.received > len(body)  # the head the proxy wrote, and the body
    assert tally.bytes == upstream.received + upstream.answered
    assert _scraped("sent") - sent == upstream.received
    assert _scraped("received") - received == upstream.answered
    await proxy.close_all()


async def test_a_tunnel_counts_both_directions(store: Store, tmp_path: Path, upstream: Upstream) -> None:
    proxy, socket = await _served(store, tmp_path, upstream.port)
    tally = proxy.meter.tally("env_m")
    sent = _scraped("sent")
    inner = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    answer = await _exchange(
        socket, f"CONNECT allowed.warren.test:{upstream.port} HTTP/1.1\r\n\r\n".encode(), inner
    )
    assert len(answer) == upstream.answered > BODY
    assert tally.bytes == len(inner) + upstream.answered, "the tunnel's bytes, not the CONNECT exchange"
    assert _scraped("sent") - sent == len(inner)
    await proxy.close_all()


async def test_a_refusal_counts_nothing(store: Store, tmp_path: Path, upstream: Upstream) -> None:
    proxy, socket = await _served(store, tmp_path, upstream.port)
    tally = proxy.meter.tally("env_m")
    answer = await _exchange(
        socket, f"GET http://allowed.warren.test:{upstream.port + 1}/ HTTP/1.1\r\n\r\n".encode()
    )
    assert answer.startswith(b"HTTP/1.1 403") and tally.bytes == 0 and upstream.received == 0
    await proxy.close_all()


async def test_a_held_tally_survives_a_socket_restart_and_a_dropped_one_is_forgotten(
    store: Store, tmp_path: Path, upstream: Upstream
) -> None:
    proxy, socket = await _served(store, tmp_path, upstream.port)
    request = f"GET http://allowed.warren.test:{upstream.port}/ HTTP/1.1\r\n\r\n".encode()
    held = proxy.meter.tally("env_m")  # what a turn's SandboxWatch holds
    await _exchange(socket, request)
    first = held.bytes
    await proxy.close("env_m")  # the sandbox restarts in the middle of the turn
    await proxy.serve("env_m", socket.parent)
    await _exchange(socket, request)
    assert proxy.meter.tally("env_m") is held and held.bytes == 2 * first > 2 * BODY
    await proxy.close("env_m")
    del held
    gc.collect()
    assert proxy.meter.tally("env_m").bytes == 0, "nobody held it: a closed environment keeps no tally"

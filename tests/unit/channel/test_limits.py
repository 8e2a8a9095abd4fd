"""The channel socket's limits over a real Unix socket (issue 13): connection caps, head and body
deadlines, head size, body cap, and store lookups for unknown credentials within a throttle."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import socket
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from agents.protocol import PREFIX, Assignment
from orchestrator.channel.hub import RunnerHub
from orchestrator.channel.limits import ChannelLimits, ConnectionBudget, Throttle
from orchestrator.channel.server import SOCKET_NAME, ChannelServers
from orchestrator.gateway.registry import ProviderRegistry

ENV = "env-limits"
TOKEN = "good-token"
LIMITS = ChannelLimits(
    max_connections=4,
    head_timeout_s=0.5,
    body_timeout_s=0.5,
    idle_timeout_s=1,
    max_head_bytes=4096,
    max_body_bytes=64 * 1024,
    lookup_burst=3,
    lookups_per_s=0.5,
)


@dataclass
class Rig:
    channels: ChannelServers
    socket: str
    checks: list[str]
    lookups: list[str]


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    root = Path(tempfile.mkdtemp(prefix="wcl-", dir="/tmp"))  # socket paths must stay short
    checks: list[str] = []
    lookups: list[str] = []

    async def check(token: str) -> bool:
        checks.append(token)
        return token == TOKEN

    async def assignments(_environment_id: str, secret: str) -> Assignment | None:
        lookups.append(secret)
        return None

    hub = RunnerHub(ProviderRegistry({}))
    channels = ChannelServers(hub, root / "run", LIMITS, ConnectionBudget(6), assignments=assignments)
    await channels.ensure(ENV, check)
    yield Rig(channels, str(channels.folder(ENV) / SOCKET_NAME), checks, lookups)
    await channels.close_all()
    shutil.rmtree(root, ignore_errors=True)


async def _open(rig: Rig) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_unix_connection(rig.socket)


async def _closed_within(reader: asyncio.StreamReader, timeout_s: float) -> bytes:
    """Everything the server sent before it closed the connection (fails if it stays open).

    A write of ours after the close fails with EPIPE, which the reader then raises: closed, too
    (CI saw it when the trickling loop wrote just after the server hung up)."""
    try:
        return await asyncio.wait_for(reader.read(), timeout_s)
    except (BrokenPipeError, ConnectionResetError):
        return b""


async def _request(rig: Rig, raw: bytes) -> tuple[int, dict[str, object], bytes]:
    reader, writer = await _open(rig)
    writer.write(raw)
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    status = int(head.split(b" ", 2)[1])
    length = int(
        next(
            line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
        )
    )
    body = await reader.readexactly(length)
    writer.close()
    return status, json.loads(body) if body else {}, head


def _post_head(*headers: str) -> bytes:
    lines = [f"POST {PREFIX}/step HTTP/1.1", "host: o", f"authorization: Bearer {TOKEN}", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _get(path: str, token: str = TOKEN) -> bytes:
    return f"GET {PREFIX}{path} HTTP/1.1\r\nhost: o\r\nauthorization: Bearer {token}\r\n\r\n".encode()


async def test_connections_past_the_cap_are_refused_at_accept(rig: Rig) -> None:
    held = [await _open(rig) for _ in range(LIMITS.max_connections)]
    reader, _writer = await _open(rig)
    refused = await _closed_within(reader, 2)
    assert refused.startswith(b"HTTP/1.1 503"), refused
    for _reader, writer in held:
        writer.close()
    await asyncio.sleep(0.1)
    status, _, _ = await _request(rig, _get("/control?interaction_id=x"))
    assert status == 200, "closed connections free their slots"


async def test_the_process_budget_bounds_every_channel_together(rig: Rig) -> None:
    other = "env-limits-2"
    await rig.channels.ensure(other, lambda _t: asyncio.sleep(0, result=True))
    other_socket = str(rig.channels.folder(other) / SOCKET_NAME)
    held = [await _open(rig) for _ in range(LIMITS.max_connections)]
    held += [await asyncio.open_unix_connection(other_socket) for _ in range(2)]
    await asyncio.sleep(0.1)
    assert rig.channels.budget.open == 6
    reader, _ = await asyncio.open_unix_connection(other_socket)
    assert (await _closed_within(reader, 2)).startswith(b"HTTP/1.1 503"), "the budget of 6 is spent"
    for _reader, writer in held:
        writer.close()
    await asyncio.sleep(0.1)
    assert rig.channels.budget.open == 0


async def test_a_half_sent_head_is_dropped_at_the_head_deadline(rig: Rig) -> None:
    reader, writer = await _open(rig)
    writer.write(b"GET /runner/v1/work HTTP/1.1\r\nhost: o\r\n")  # never finished
    started = time.monotonic()
    assert await _closed_within(reader, 3) == b""
    assert LIMITS.head_timeout_s * 0.8 < time.monotonic() - started < LIMITS.head_timeout_s + 1.5


async def test_a_silent_connection_is_dropped_at_the_head_deadline(rig: Rig) -> None:
    reader, _writer = await _open(rig)
    assert await _closed_within(reader, 3) == b""


async def test_a_trickled_head_does_not_extend_its_deadline(rig: Rig) -> None:
    reader, writer = await _open(rig)
    writer.write(b"GET /runner/v1/work HTTP/1.1\r\n")
    started = time.monotonic()
    while not reader.at_eof() and time.monotonic() - started < 3:
        writer.write(b"x-a: b\r\n")
        await asyncio.sleep(0.05)
        if writer.is_closing():
            break
    assert await _closed_within(reader, 3) == b""
    assert time.monotonic() - started < LIMITS.head_timeout_s + 1.5


async def test_a_stalled_body_is_dropped_at_the_body_deadline(rig: Rig) -> None:
    reader, writer = await _open(rig)
    writer.write(_post_head("content-length: 100") + b"{")
    assert await _closed_within(reader, 3) == b""


async def test_a_head_past_its_size_is_dropped(rig: Rig) -> None:
    reader, writer = await _open(rig)
    writer.write(b"GET /runner/v1/work HTTP/1.1\r\nx-big: " + b"a" * (LIMITS.max_head_bytes * 2))
    assert await _closed_within(reader, 3) == b""


async def test_a_kept_alive_connection_idles_out_and_a_later_head_is_timed(rig: Rig) -> None:
    reader, writer = await _open(rig)
    writer.write(_get("/control?interaction_id=x"))
    assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 200")
    await reader.readuntil(b"}")
    writer.write(b"GET /runner/v1/control HTTP/1.1\r\n")  # a second head, never finished
    assert await _closed_within(reader, 3) == b""


async def test_a_declared_oversized_body_gets_413_before_any_is_read(rig: Rig) -> None:
    status, body, head = await _request(rig, _post_head(f"content-length: {LIMITS.max_body_bytes + 1}"))
    assert status == 413 and "body" in str(body["detail"])
    assert b"connection: close" in head.lower()


async def test_a_chunked_oversized_body_is_counted_as_it_streams(rig: Rig) -> None:
    def send() -> bytes:
        with socket.socket(socket.AF_UNIX) as sock:  # blocking: the 413 is read before the reset
            sock.connect(rig.socket)
            sock.sendall(_post_head("transfer-encoding: chunked"))
            chunk = b"a" * 16384
            with contextlib.suppress(OSError):  # the server stops reading at the cap and closes
                for _ in range(LIMITS.max_body_bytes // len(chunk) * 4):
                    sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            return sock.recv(4096)

    answer = await asyncio.to_thread(send)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:100]


async def test_a_validation_error_names_fields_without_echoing_values(rig: Rig) -> None:
    secret_text = "sandbox-content-9f8e"
    body = json.dumps({"interaction_id": "i", "turn": -1, "results": secret_text}).encode()
    status, answer, _ = await _request(rig, _post_head(f"content-length: {len(body)}") + body)
    assert status == 422
    assert "turn" in str(answer["detail"]) and "results" in str(answer["detail"])
    assert secret_text not in str(answer["detail"])


async def test_unknown_tokens_cost_a_lookup_only_within_the_throttle(rig: Rig) -> None:
    statuses = [(await _request(rig, _get("/control", token=f"made-up-{n}")))[0] for n in range(20)]
    assert statuses[: LIMITS.lookup_burst] == [401] * LIMITS.lookup_burst
    assert set(statuses[LIMITS.lookup_burst :]) == {503}
    assert len(rig.checks) == LIMITS.lookup_burst, "the flood past the burst reached no store"


async def test_a_known_token_needs_no_lookup(rig: Rig) -> None:
    for _ in range(10):
        assert (await _request(rig, _get("/control?interaction_id=x")))[0] == 200
    assert rig.checks == [TOKEN]


async def test_made_up_pool_secrets_cost_a_lookup_only_within_the_throttle(rig: Rig) -> None:
    statuses = [
        (await _request(rig, _get("/assignment?wait_s=0", token=f"secret-{n}")))[0] for n in range(20)
    ]
    assert statuses[: LIMITS.lookup_burst] == [410] * LIMITS.lookup_burst
    assert set(statuses[LIMITS.lookup_burst :]) == {503}
    assert len(rig.lookups) == LIMITS.lookup_burst, "the flood past the burst reached no store or engine"


async def test_a_pool_slot_refuses_a_wrong_secret_without_a_lookup(rig: Rig) -> None:
    await rig.channels.serve_slot(ENV, "the-pool-secret")
    for n in range(10):
        assert (await _request(rig, _get("/assignment?wait_s=0", token=f"wrong-{n}")))[0] == 401
    assert rig.lookups == []


def test_the_throttle_refills_at_its_rate() -> None:
    throttle = Throttle(rate=1000.0, burst=2)
    assert [throttle.allow() for _ in range(3)] == [True, True, False]
    time.sleep(0.01)
    assert throttle.allow()

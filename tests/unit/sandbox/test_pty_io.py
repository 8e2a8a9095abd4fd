"""`DockerPty` moves terminal bytes on the event loop: an idle shell holds no thread (issue 13)."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import pytest

from orchestrator.sandbox.pty import DockerPty

T = TypeVar("T")


class _Engine:
    """Stands in for the SDK client: `exec_inspect` says the program still runs."""

    class api:
        @staticmethod
        def exec_inspect(exec_id: str) -> dict[str, Any]:
            return {"Running": True}

        @staticmethod
        def exec_resize(exec_id: str, height: int, width: int) -> None:
            return None


async def _inline(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    return fn(*args, **kwargs)


async def test_idle_reads_hold_no_thread_and_bytes_flow_both_ways() -> None:
    ours, theirs = socket.socketpair()
    killed = asyncio.Event()

    async def kill() -> None:
        killed.set()

    pty = DockerPty(_Engine(), "exec", ours, _inline, kill)  # type: ignore[arg-type]
    threads = threading.active_count()
    reading = asyncio.create_task(pty.read())
    await asyncio.sleep(0.1)
    assert threading.active_count() == threads, "an idle read started a thread"
    assert not reading.done()

    theirs.sendall(b"$ ")
    assert await asyncio.wait_for(reading, 5) == b"$ "
    # More than the socket buffers hold: the write waits for the peer to read, without a thread.
    writing = asyncio.create_task(pty.write(b"x" * (1 << 20)))
    received = bytearray()
    theirs.setblocking(False)
    while len(received) < 1 << 20:
        try:
            received += theirs.recv(1 << 16)
        except BlockingIOError:
            assert threading.active_count() == threads
            await asyncio.sleep(0.01)
    await asyncio.wait_for(writing, 5)
    assert bytes(received) == b"x" * (1 << 20)

    assert await pty.close() is None
    assert killed.is_set(), "closing a running session kills what it started"
    assert await pty.read() == b""
    theirs.close()


async def test_read_returns_empty_when_the_program_ends() -> None:
    ours, theirs = socket.socketpair()
    pty = DockerPty(_Engine(), "exec", ours, _inline, asyncio.sleep)  # type: ignore[arg-type]
    reading = asyncio.create_task(pty.read())
    await asyncio.sleep(0.05)
    theirs.close()
    assert await asyncio.wait_for(reading, 5) == b""
    await pty.close()


@pytest.mark.parametrize("size", [1, 4096])
async def test_write_after_close_is_a_no_op(size: int) -> None:
    ours, theirs = socket.socketpair()
    pty = DockerPty(_Engine(), "exec", ours, _inline, asyncio.sleep)  # type: ignore[arg-type]
    await pty.close()
    await pty.write(b"y" * size)
    theirs.close()

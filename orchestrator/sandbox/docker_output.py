"""The output of a short command of the backend's own in a sandbox, read under a deadline.

The sweep after an exec and the usage and OOM readings are such commands. The engine never ends the
output stream of an exec whose gVisor sandbox died under it, and the SDK's reader waits for it
without a timeout: a sweep that started as a fork bomb took its sandbox down held its caller for
good. Here the exec's hijacked socket is read with a deadline, and its multiplexed frames (an 8-byte
header each: the stream, three zero bytes, the payload's length) are joined by hand.
"""

from __future__ import annotations

import time
from typing import Any

from orchestrator.sandbox.backend import SandboxError
from orchestrator.sandbox.docker_engine import DockerEngine
from orchestrator.sandbox.pty import raw_socket

__all__ = ["OUTPUT_TIMEOUT_S", "output"]

OUTPUT_TIMEOUT_S = 15.0
"""Ample for the backend's own scripts, which read a few files; they answer in milliseconds."""
_MAX_BYTES = 1 << 20
"""The scripts print a few lines; more is the sandbox's doing (it runs as the same user)."""
_HEADER = 8


async def output(
    engine: DockerEngine, sandbox_id: str, argv: list[str], timeout_s: float = OUTPUT_TIMEOUT_S
) -> bytes:
    """The command's stdout and stderr, as the SDK's `exec_start` returns them.

    Raises:
        SandboxError: the sandbox is not running, or the output did not end within `timeout_s`
            (the sandbox died under the command, or holds it), or passed 1 MiB.
    """
    client = await engine.client()
    handle = await engine.call(client.api.exec_create, sandbox_id, argv)
    hijacked = await engine.call(client.api.exec_start, handle["Id"], socket=True)
    return _frames_payload(await engine.run(_read_to_end, hijacked, argv[0], timeout_s))


def _read_to_end(hijacked: Any, program: str, timeout_s: float) -> bytes:
    """Every byte until the engine closes the stream (runs on a worker thread, bounded by `timeout_s`)."""
    sock = raw_socket(hijacked)
    deadline = time.monotonic() + timeout_s
    raw = bytearray()
    try:
        while True:
            sock.settimeout(max(0.001, deadline - time.monotonic()))
            try:
                chunk = sock.recv(64 << 10)
            except TimeoutError as exc:
                raise SandboxError(f"{program} in the sandbox did not end within {timeout_s:g}s") from exc
            if not chunk:
                return bytes(raw)
            raw += chunk
            if len(raw) > _MAX_BYTES:
                raise SandboxError(f"{program} in the sandbox printed more than {_MAX_BYTES} bytes")
    finally:
        sock.close()
        hijacked.close()


def _frames_payload(raw: bytes) -> bytes:
    """The payloads of the multiplexed frames, in order; a cut-off last frame keeps what arrived."""
    payload = bytearray()
    at = 0
    while at + _HEADER <= len(raw):
        size = int.from_bytes(raw[at + 4 : at + _HEADER], "big")
        payload += raw[at + _HEADER : at + _HEADER + size]
        at += _HEADER + size
    return bytes(payload)

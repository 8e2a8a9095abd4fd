"""Oversized bodies / multipart DoS against the real app under uvicorn over TCP (loopback only).

A 1 GB body streamed without a length and a 10,000-part multipart body both get 413 with a message
naming the limit, within a bounded time, while another key keeps its normal latency.
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn

from orchestrator.compose import build_app
from orchestrator.config import Settings
from tests.support.latency import kept_latency
from tests.support.serve import RunningServer, free_port
from tests.unit.api_app.conftest import make_keys

pytestmark = pytest.mark.security

_GB = 1 << 30


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """The real app under uvicorn on a loopback port (no sandboxes), in a thread of this process."""
    data = tmp_path_factory.mktemp("bodies")
    noisy, quiet = asyncio.run(make_keys(data))
    port = free_port()
    config = uvicorn.Config(
        build_app(Settings(data_dir=data, sandboxes=False)), host="127.0.0.1", port=port, log_level="warning"
    )
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uv.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield RunningServer(f"http://127.0.0.1:{port}", {"noisy": noisy, "quiet": quiet}, data / "none.log")
    finally:
        uv.should_exit = True
        thread.join(timeout=30)
        assert not thread.is_alive(), "the server stopped after the oversized requests"


def _latencies(server: RunningServer, count: int) -> list[float]:
    samples = []
    with httpx.Client(base_url=server.url, headers={"x-goog-api-key": server.keys["quiet"]}) as client:
        for _ in range(count):
            started = time.perf_counter()
            assert client.get("/v1beta/agents").status_code == 200
            samples.append(time.perf_counter() - started)
    return samples


def _stream_chunked(server: RunningServer, total: int, deadline_s: float) -> tuple[bytes, int, float]:
    """POST `total` bytes chunked (no Content-Length) until the server answers; (head, sent, seconds)."""
    url = urlsplit(server.url)
    started = time.monotonic()
    sock = socket.create_connection((url.hostname, url.port), timeout=deadline_s)
    head = (
        "POST /v1beta/agents HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
        f"x-goog-api-key: {server.keys['noisy']}\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    sock.sendall(head.encode())
    chunk = os.urandom(1 << 20)
    frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    sent = 0
    sock.setblocking(False)
    answer = b""
    try:
        while sent < total and time.monotonic() - started < deadline_s:
            try:
                answer += sock.recv(65536)
                if answer:
                    break  # the server answered before the body ended
            except BlockingIOError:
                pass
            try:
                sock.setblocking(True)
                sock.settimeout(deadline_s)
                sock.sendall(frame)
                sent += len(chunk)
            except OSError:
                break  # the server closed the connection: read its answer
            finally:
                sock.setblocking(False)
        sock.setblocking(True)
        sock.settimeout(5)
        while b"\r\n\r\n" not in answer:
            more = sock.recv(65536)
            if not more:
                break
            answer += more
    finally:
        sock.close()
    return answer, sent, time.monotonic() - started


@pytest.mark.alone
def test_a_streamed_1_gb_body_gets_413_and_other_keys_keep_their_latency(server: RunningServer) -> None:
    baseline = statistics.median(_latencies(server, 20))
    during: list[float] = []
    flood = threading.Thread(target=lambda: during.extend(_latencies(server, 40)))
    flood.start()
    answer, sent, elapsed = _stream_chunked(server, _GB, deadline_s=60)
    flood.join()
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"request body exceeds the limit of" in answer, "the message names the cap"
    assert sent < 128 << 20, f"the server stopped the upload early, after {sent >> 20} MiB, not at 1 GB"
    assert elapsed < 60
    assert kept_latency(baseline, statistics.median(during)), (
        f"the quiet key slowed from {baseline * 1000:.1f} ms to {statistics.median(during) * 1000:.1f} ms"
    )
    url = urlsplit(server.url)
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(
            f"POST /v1beta/agents HTTP/1.1\r\nHost: t\r\nContent-Length: {_GB}\r\n"
            f"x-goog-api-key: {server.keys['noisy']}\r\n\r\n".encode()
        )
        declared = sock.recv(65536)
    assert declared.startswith(b"HTTP/1.1 413"), "a declared 1 GB body is refused before a byte is read"


def _multipart(parts: int) -> tuple[bytes, str]:
    boundary = "warren-test-boundary"
    body = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="f{i}"\r\n\r\nx\r\n'.encode()
        for i in range(parts)
    )
    return body + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize(
    "path",
    ["/v1beta/agents", "/upload/v1beta/environments/env_x/files/a.txt?upload_id=u", "/v1beta/interactions"],
)
def test_10000_multipart_parts_get_413(server: RunningServer, path: str) -> None:
    body, content_type = _multipart(10_000)
    assert len(body) < 1 << 20, "small enough that only the part count can refuse it"
    started = time.monotonic()
    response = httpx.post(
        f"{server.url}{path}",
        headers={"x-goog-api-key": server.keys["noisy"], "content-type": content_type},
        content=body,
    )
    assert response.status_code == 413, response.text
    error = response.json()["error"]
    assert error["code"] == "payload_too_large"
    assert "more than the limit of 1000 parts" in error["message"]
    assert time.monotonic() - started < 5
    few, content_type = _multipart(10)
    fine = httpx.post(
        f"{server.url}{path}",
        headers={"x-goog-api-key": server.keys["noisy"], "content-type": content_type},
        content=few,
    )
    assert fine.status_code != 413, "a body with few parts is not refused for its parts"

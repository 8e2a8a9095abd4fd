"""A hostile sandbox against its runner channel, from inside a real sandbox of a real `warren serve`
(issue 13: HIGH 3, connection flood; HIGH 5, unbounded bodies).

The server runs with a soft open-file limit of 512 and a hard one of 1,024 (as many hosts start
services), so the flood that took `/healthz` down in the report does so here within seconds on an
unguarded server. Code in tenant A's sandbox opens 2,000 connections to
`/run/warren/orchestrator.sock`, each holding half a request line, and streams 400 MiB step bodies;
the test watches the server process from outside: its descriptors (`/proc/<pid>/fd`), its peak
memory (`VmHWM`) and tenant B's view of the API while the flood runs.
"""

from __future__ import annotations

import hashlib
import os
import queue
import shutil
import sqlite3
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import httpx
import pytest

from orchestrator.channel.limits import ChannelLimits
from tests.support.latency import kept_latency
from tests.support.serve import WARREN, create_key, free_port, wait_healthy

pytestmark = [pytest.mark.security, pytest.mark.integration]

V = "/v1beta"
CAP = ChannelLimits().max_connections
FLOOD = r"""
import errno, resource, socket, sys, time
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
held, deadline = [], time.monotonic() + 20
while len(held) < 2000 and time.monotonic() < deadline:
    s = socket.socket(socket.AF_UNIX)
    s.setblocking(False)
    try:
        s.connect("/run/warren/orchestrator.sock")
    except BlockingIOError:  # the backlog is full for now: try again
        s.close()
        time.sleep(0.001)
        continue
    try:
        s.send(b"GET /runner/v1/work?wait_s=25 HTTP/1.1\r\nhost: o")  # the head never ends
    except OSError:
        pass  # refused at accept already: counted below
    held.append(s)
print("opened", len(held), flush=True)
time.sleep(float(sys.argv[1]))
closed = 0
for s in held:
    try:
        data = s.recv(4096)
        closed += data == b"" or data.startswith(b"HTTP/1.1 503")
    except BlockingIOError:
        pass  # still open
    except OSError:
        closed += 1
print("closed", closed, "of", len(held), flush=True)
"""
"""Opens 2,000 connections (as fast as the server accepts them, for at most 20 s) that never finish
a head, holds them `argv[1]` seconds, then counts how many the server closed (refused at accept with
a 503, or dropped at the head deadline)."""
BIG_STEP = r"""
import socket, sys
token, mode, total = sys.argv[1], sys.argv[2], 400 << 20
s = socket.socket(socket.AF_UNIX)
s.settimeout(60)
s.connect("/run/warren/orchestrator.sock")
head = f"POST /runner/v1/step HTTP/1.1\r\nhost: o\r\nauthorization: Bearer {token}\r\n"
head += f"content-length: {total}\r\n\r\n" if mode == "length" else "transfer-encoding: chunked\r\n\r\n"
s.sendall(head.encode())
chunk, sent = b"a" * (1 << 20), 0
try:
    while sent < total:
        s.sendall(chunk if mode == "length" else b"%x\r\n%s\r\n" % (len(chunk), chunk))
        sent += len(chunk)
    if mode == "chunked":
        s.sendall(b"0\r\n\r\n")
except OSError:
    pass  # the server stopped reading
try:
    answer = s.recv(4096).split(b"\r\n")[0].decode()
except OSError as exc:
    answer = type(exc).__name__
print(answer, sent >> 20, flush=True)
"""
"""Streams a 400 MiB step (declared with a content length, or chunked) with the runner's token; prints
the status line it got and how many MiB it managed to send."""


@dataclass(frozen=True)
class Served:
    url: str
    pid: int
    keys: dict[str, str]
    data: Path


@pytest.fixture(scope="module")
def served(sandbox_image: str) -> Iterator[Served]:
    """`warren serve` under a 512/1,024 open-file limit, no warm pool, two tenants."""
    data = Path(tempfile.mkdtemp(prefix="wrc", dir="/tmp"))  # Unix socket paths must stay short
    env = {**os.environ, "WARREN_DATA_DIR": str(data), "WARREN_SANDBOX_IMAGE": sandbox_image}
    env["WARREN_POOL_SIZE"] = "0"
    keys = {tenant: create_key(env, tenant) for tenant in ("tenant-a", "tenant-b")}
    port, log = free_port(), data / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            ["prlimit", "--nofile=512:1024", WARREN, "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc, log, 120)
        yield Served(url, proc.pid, keys, data)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="module")
def sandbox(served: Served) -> tuple[str, Any]:
    """Tenant A's environment after one interaction: its sandbox runs, its runner polls the channel."""
    done = httpx.post(
        f"{served.url}{V}/interactions",
        headers={"x-goog-api-key": served.keys["tenant-a"]},
        json={
            "agent": "default",
            "agent_config": {"type": "antigravity", "model": "scripted:echo"},
            "input": "hi",
        },
        timeout=120,
    ).json()
    assert done["status"] == "completed", done
    environment_id = done["environment_id"]
    client = docker.from_env(version="auto")
    containers = client.containers.list(filters={"label": f"dev.warren.environment={environment_id}"})
    assert len(containers) == 1
    return environment_id, containers[0]


def _fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def _status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/{pid}/status")


def _p50_healthz(url: str, n: int = 20) -> float:
    """Median seconds of `n` GETs of /healthz, each on a new connection (each needs a descriptor)."""
    took = []
    for _ in range(n):
        started = time.perf_counter()
        assert httpx.get(f"{url}/healthz", timeout=5).status_code == 200
        took.append(time.perf_counter() - started)
    return statistics.median(took)


def _stream(container: Any, script: str, *args: str) -> queue.Queue[str]:
    """Run `script` with python in the sandbox (as its user); its output lines arrive on the queue."""
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        result = container.exec_run(["python3", "-c", script, *args], stream=True)
        pending = ""
        for chunk in result.output:
            pending += chunk.decode(errors="replace")
            *complete, pending = pending.split("\n")
            for line in complete:
                lines.put(line)
        lines.put(pending + "\n<end>")

    threading.Thread(target=pump, daemon=True).start()
    return lines


def _rest(first: str, lines: queue.Queue[str]) -> str:
    """What the script printed from `first` to its end (for a failure message)."""
    seen = [first]
    while not seen[-1].endswith("<end>"):
        seen.append(lines.get(timeout=30))
    return "\n".join(seen)


@pytest.mark.alone
def test_a_connection_flood_from_the_sandbox_leaves_the_api_and_its_descriptors_alone(
    served: Served, sandbox: tuple[str, Any]
) -> None:
    """Issue 13 HIGH 3: 2,000 half-open channel connections from sandbox code held the server's
    descriptors until `/healthz` failed. Now the channel holds at most `max_connections`, drops a head
    that does not arrive within 10 s, and tenant B's API keeps its idle latency."""
    _, container = sandbox
    idle_fds, idle_rss = _fds(served.pid), _status_kib(served.pid, "VmRSS")
    idle_p50 = _p50_healthz(served.url)

    out = _stream(container, FLOOD, "13")
    opened = out.get(timeout=60)
    assert opened.startswith("opened"), _rest(opened, out)
    assert int(opened.split()[1]) >= 1000, f"the flood must really happen: {opened}"

    held = [_fds(served.pid)]
    flood_p50 = _p50_healthz(served.url)
    other = httpx.get(f"{served.url}{V}/environments", headers={"x-goog-api-key": served.keys["tenant-b"]})
    held += [_fds(served.pid) for _ in range(5)]
    rss = _status_kib(served.pid, "VmRSS")

    assert other.status_code == 200, other.text
    assert max(held) <= idle_fds + CAP + 8, f"descriptors {idle_fds} idle, {held} under the flood"
    assert kept_latency(idle_p50, flood_p50), (
        f"/healthz p50 {idle_p50 * 1000:.2f} ms idle, {flood_p50 * 1000:.2f} ms"
    )
    assert rss - idle_rss < 32 * 1024, f"RSS {idle_rss} KiB idle, {rss} KiB under the flood"

    closed = out.get(timeout=60).split()
    assert closed[0] == "closed" and closed[1] == closed[3], (
        f"the server let go of every connection: {closed}"
    )
    assert _fds(served.pid) <= idle_fds + 4


@pytest.mark.parametrize("mode", ["length", "chunked"])
def test_an_oversized_step_is_refused_as_it_streams(
    served: Served, sandbox: tuple[str, Any], mode: str
) -> None:
    """Issue 13 HIGH 5: a 400 MiB step took the server from 110 MB to 1.24 GB. Now a body past
    16 MiB gets 413 (declared: before any of it is read; chunked: as the count passes the cap) and
    the server's peak memory barely moves. The runner's token is set in the store (a compromised
    runner has it); without one the body is never read at all."""
    environment_id, container = sandbox
    token = "redteam-runner-token-5c1d"
    with sqlite3.connect(served.data / "warren.db") as db:
        db.execute(
            "UPDATE environments SET runner_token_hash = ? WHERE id = ?",
            (hashlib.sha256(token.encode()).hexdigest(), environment_id),
        )
    peak = _status_kib(served.pid, "VmHWM")
    idle_p50 = _p50_healthz(served.url)

    sent = _stream(container, BIG_STEP, token, mode)
    during_p50 = _p50_healthz(served.url)  # while the sandbox pushes its body
    answer = sent.get(timeout=120).split()

    assert answer[:2] == ["HTTP/1.1", "413"], answer
    assert kept_latency(idle_p50, during_p50), (
        f"/healthz p50 {idle_p50 * 1000:.2f} ms idle, {during_p50 * 1000:.2f} ms"
    )
    assert int(answer[-1]) < 400, "the server stopped reading long before the end"
    grew = _status_kib(served.pid, "VmHWM") - peak
    assert grew < 96 * 1024, f"peak RSS grew by {grew} KiB"

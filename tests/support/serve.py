"""Run a real `warren serve` subprocess for a test session: free port, keys, health wait, log file.

with warren_serve(env, data_dir, tenants=["a", "b"]) as running:
    running.url, running.keys["a"], running.log
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

__all__ = ["WARREN", "RunningServer", "create_key", "free_port", "wait_healthy", "warren_serve"]

WARREN = str(Path(sys.executable).with_name("warren"))
"""The `warren` command of this venv."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def create_key(env: Mapping[str, str], tenant: str) -> str:
    """`warren keys create` against the store that `env` points at; returns the key."""
    done = subprocess.run(
        [WARREN, "keys", "create", "--tenant", tenant],
        env=dict(env),
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@dataclass(frozen=True)
class RunningServer:
    """A live server, its tenants' keys and its log file."""

    url: str
    keys: dict[str, str]
    log: Path


def wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path, timeout_s: float) -> None:
    """Wait until the server at `url` answers `/healthz`; fail with its log if it died or timed out."""
    deadline = time.monotonic() + timeout_s
    while True:
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"warren serve did not come up:\n{log.read_text()[-3000:]}")
        time.sleep(0.05)


@contextlib.contextmanager
def warren_serve(
    env: Mapping[str, str], data_dir: Path, tenants: list[str], start_timeout_s: float = 120
) -> Iterator[RunningServer]:
    """Start `warren serve` with `env`, wait for `/healthz`, yield it, and stop it afterwards."""
    keys = {tenant: create_key(env, tenant) for tenant in tenants}
    port, log = free_port(), data_dir / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [WARREN, "serve", "--port", str(port)], env=dict(env), stdout=out, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc, log, start_timeout_s)
        yield RunningServer(url, keys, log)
    finally:
        proc.terminate()
        proc.wait(timeout=30)

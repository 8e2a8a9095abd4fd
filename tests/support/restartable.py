"""`warren serve` as a process a test can start, stop, kill and start again on the same data.

server = Server(data_dir, env, create_key(env, "tenant"))
server.start(); server.signal(signal.SIGKILL); server.start()
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx

from tests.support.serve import WARREN, free_port, wait_healthy

__all__ = ["Server", "V"]

V = "/v1beta"


class Server:
    """`warren serve` as a process that a test can stop, kill and start again on the same data."""

    def __init__(self, data_dir: Path, env: dict[str, str], key: str, name: str = "server") -> None:
        self.data_dir, self.env, self.key, self.name = data_dir, env, key, name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        with (self.data_dir / f"{self.name}-{self.starts}.log").open("w") as out:
            self.proc = subprocess.Popen(
                [WARREN, "serve", "--port", str(self.port)],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_healthy(self.url, self.proc, self.data_dir / f"{self.name}-{self.starts}.log", 60)

    def signal(self, number: int, wait_s: float = 30) -> float:
        """Send a signal, wait for the process to end; returns how long it took (seconds)."""
        assert self.proc is not None
        started = time.monotonic()
        self.proc.send_signal(number)
        self.proc.wait(timeout=wait_s)
        return time.monotonic() - started

    def log(self) -> str:
        return (self.data_dir / f"{self.name}-{self.starts}.log").read_text()

    def log_tail(self) -> str:
        return self.log()[-4000:]

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url + V, headers={"x-goog-api-key": self.key}, timeout=30)

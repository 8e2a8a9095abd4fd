"""A real `warren serve` (uvicorn, fresh store) driven only through the google-genai SDK.

The suite runs once per store: SQLite and PostgreSQL (a throwaway server on a free loopback port).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from google import genai

from tests.support.postgres import postgres_server

SCRIPTS = Path(__file__).parent / "scripts"
SECRET_KEYS = {
    "GEMINI_API_KEY": "gemini-secret-sentinel-0001",
    "OPENAI_API_KEY": "sk-openai-secret-sentinel-0002",
    "ANTHROPIC_API_KEY": "sk-ant-secret-sentinel-0003",
}
"""Model credentials the server holds; tests prove none of them reaches a sandbox."""
WARREN = str(Path(sys.executable).with_name("warren"))


def script(name: str) -> str:
    """The model name of a test script."""
    return f"scripted:{SCRIPTS / name}.yaml"


@dataclass(frozen=True)
class Server:
    """A running server and two tenants' keys."""

    url: str
    key: str
    other_key: str

    def client(self, key: str | None = None) -> genai.Client:
        return genai.Client(
            api_key=key or self.key,
            http_options={"base_url": self.url, "api_version": "v1beta", "retry_options": {"attempts": 1}},
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _key(env: dict[str, str], tenant: str) -> str:
    done = subprocess.run(
        [WARREN, "keys", "create", "--tenant", tenant], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    import asyncio

    with postgres_server() as server:
        yield asyncio.run(server.create_database())


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest, sandbox_image: str) -> Iterator[Server]:
    """`warren serve` on a free port with a fresh store of the parametrized kind."""
    data = Path(tempfile.mkdtemp(prefix="warren-conf-"))
    env = {**os.environ, **SECRET_KEYS, "WARREN_DATA_DIR": str(data), "WARREN_SANDBOX_IMAGE": sandbox_image}
    if request.param == "postgresql":
        env["WARREN_DATABASE_URL"] = request.getfixturevalue("postgres_url")
    keys = (_key(env, "tenant-a"), _key(env, "tenant-b"))
    port = _free_port()
    log = (data / "server.log").open("w")
    proc = subprocess.Popen(
        [WARREN, "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"warren serve did not come up:\n{(data / 'server.log').read_text()[-3000:]}")
        time.sleep(0.2)
    try:
        yield Server(url, *keys)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


@pytest.fixture
def client(server: Server) -> genai.Client:
    warnings.filterwarnings("ignore", message=".*experimental.*")
    return server.client()

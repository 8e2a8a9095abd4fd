"""A real `warren serve` (uvicorn, fresh store) driven only through Google's official SDKs, pinned:
`google-genai==3.6.1` (pyproject.toml) in-process, and `@google/genai` 3.3.0 (tests/js/package.json and
its package-lock.json) by Node in test_js_sdk.py.

The suite runs once per store: SQLite and PostgreSQL (a throwaway server on a free loopback port).
"""

from __future__ import annotations

import os
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from google import genai

from tests.support.postgres import postgres_server
from tests.support.receiver import Receiver, webhook_receiver
from tests.support.serve import warren_serve

SCRIPTS = Path(__file__).parent / "scripts"
SECRET_KEYS = {
    "GEMINI_API_KEY": "gemini-secret-sentinel-0001",
    "OPENAI_API_KEY": "sk-openai-secret-sentinel-0002",
    "ANTHROPIC_API_KEY": "sk-ant-secret-sentinel-0003",
}
"""Model credentials the server holds; tests prove none of them reaches a sandbox."""


def script(name: str) -> str:
    """The model name of a test script (the server reads them from `WARREN_SCRIPTS_DIR`)."""
    return f"scripted:{name}"


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


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    import asyncio

    with postgres_server() as server:
        yield asyncio.run(server.create_database())


@pytest.fixture(scope="session")
def loopback_receiver() -> Iterator[Receiver]:
    """A loopback webhook receiver; the servers below may deliver to it (and to no other loopback port)."""
    with webhook_receiver() as running:
        yield running


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, sandbox_image: str, loopback_receiver: Receiver
) -> Iterator[Server]:
    """`warren serve` on a free port with a fresh store of the parametrized kind."""
    data = Path(tempfile.mkdtemp(prefix="warren-conf-"))
    env = {**os.environ, **SECRET_KEYS, "WARREN_DATA_DIR": str(data), "WARREN_SANDBOX_IMAGE": sandbox_image}
    env["WARREN_SCRIPTS_DIR"] = str(SCRIPTS)
    env["WARREN_TENANT_MAX_SANDBOXES"] = "100"  # one tenant drives dozens of environments here
    env["WARREN_EGRESS_ALLOW_ADDRESSES"] = f"127.0.0.1:{loopback_receiver.port}"
    if request.param == "postgresql":
        env["WARREN_DATABASE_URL"] = request.getfixturevalue("postgres_url")
    with warren_serve(env, data, ["tenant-a", "tenant-b"], start_timeout_s=60) as running:
        yield Server(running.url, running.keys["tenant-a"], running.keys["tenant-b"])


@pytest.fixture
def client(server: Server) -> genai.Client:
    warnings.filterwarnings("ignore", message=".*experimental.*")
    return server.client()

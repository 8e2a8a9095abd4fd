"""A real `warren serve` (SQLite, real sandboxes) with two tenants' keys, and a `warren` runner.

The CLI runs as a subprocess, as users run it; its output is therefore not a TTY, which is the
plain-text mode under test. Environments left by a test are deleted when the server stops.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.serve import WARREN, warren_serve

SCRIPTS = Path(__file__).parent / "scripts"
REPO_ROOT = Path(__file__).resolve().parents[2]


def script(name: str) -> str:
    """The model name of a test script (the servers read them from `WARREN_SCRIPTS_DIR`)."""
    return f"scripted:{name}"


@dataclass(frozen=True)
class Server:
    """A running server and two tenants' keys."""

    url: str
    key: str
    other_key: str
    image: str

    def env(self, key: str | None = None, **extra: str) -> dict[str, str]:
        """Environment variables for a CLI talking to this server."""
        return {**base_env(self.image), "WARREN_URL": self.url, "WARREN_API_KEY": key or self.key, **extra}

    def http(self, key: str | None = None) -> httpx.Client:
        """A plain HTTP client of the API."""
        return httpx.Client(base_url=self.url, headers={"x-goog-api-key": key or self.key}, timeout=30)


def base_env(image: str) -> dict[str, str]:
    """The process environment without any server configuration (no config file either)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARREN_")}
    env.update(
        XDG_CONFIG_HOME=tempfile.mkdtemp(prefix="warren-cfg-"),
        WARREN_SANDBOX_IMAGE=image,
        WARREN_SCRIPTS_DIR=str(SCRIPTS),
        COLUMNS="200",
        TERM="dumb",
    )
    return env


def warren(
    *args: str, env: dict[str, str], timeout: float = 120, **kwargs: object
) -> subprocess.CompletedProcess[str]:
    """Run the CLI to its end and capture its output."""
    return subprocess.run(
        [WARREN, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False, **kwargs
    )


@pytest.fixture(scope="session")
def server(sandbox_image: str) -> Iterator[Server]:
    """`warren serve` on a free port with a fresh SQLite store."""
    data = Path(tempfile.mkdtemp(prefix="warren-cli-"))
    env = {**base_env(sandbox_image), "WARREN_DATA_DIR": str(data)}
    with warren_serve(env, data, ["cli-a", "cli-b"]) as running:
        keys = [running.keys["cli-a"], running.keys["cli-b"]]
        served = Server(running.url, keys[0], keys[1], sandbox_image)
        try:
            yield served
        finally:
            for key in keys:
                with served.http(key) as client:
                    for environment in client.get("/v1beta/environments").json().get("environments", []):
                        client.delete(f"/v1beta/environments/{environment['id']}")

"""Two `warren serve` replicas on one PostgreSQL, one host and one data folder, running this checkout."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import docker
import pytest

from tests.support.agent_ledger import agent_env, remove_tenant
from tests.support.postgres import PostgresServer, postgres_server
from tests.support.restartable import Server
from tests.support.serve import create_key

TENANT = "replicas"
ROOT = Path(__file__).resolve().parents[3]
"""This checkout: the servers import its code (PYTHONPATH), not the venv's installed copy."""

Pair = Callable[..., tuple[Server, Server]]


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    with postgres_server() as server:
        yield server


@pytest.fixture
def replicas(
    postgres: PostgresServer, sandbox_image: str, docker_client: docker.DockerClient
) -> Iterator[Pair]:
    """Makes replicas `a` and `b` (not started) on a fresh database and a shared data folder."""
    made: list[Server] = []
    with tempfile.TemporaryDirectory(prefix="wr-", dir="/tmp") as folder:
        data = Path(folder)

        def pair(**settings: str) -> tuple[Server, Server]:
            env = {
                **agent_env(data, sandbox_image),
                "PYTHONPATH": str(ROOT),
                "WARREN_DATABASE_URL": asyncio.run(postgres.create_database()),
                "WARREN_RATE_LIMIT_PER_S": "10000",
                "WARREN_RATE_LIMIT_BURST": "10000",
                **settings,
            }
            key = create_key(env, TENANT)
            made.extend([Server(data, env, key, "a"), Server(data, env, key, "b")])
            return made[-2], made[-1]

        try:
            yield pair
        finally:
            for server in made:
                if server.proc is not None and server.proc.poll() is None:
                    server.proc.kill()
                    server.proc.wait()
            remove_tenant(docker_client, TENANT)

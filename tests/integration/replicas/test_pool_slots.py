"""Replicas on one host share the engine and `data_dir`: one replica's reaper and warm-pool start-up
never take the other live replica's pool slots (containers no environment row names yet)."""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import docker
import pytest
from fastapi import FastAPI

from orchestrator.api.deps import Services
from orchestrator.channel.server import SOCKET_NAME
from orchestrator.compose import build_app
from orchestrator.config import Settings
from orchestrator.environments.owners import REPLICA_LABEL
from orchestrator.environments.pool import POOL_LABEL
from orchestrator.environments.site import store_labels
from tests.integration.lifecycle.conftest import wait_for
from tests.support.postgres import PostgresServer

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]


@contextlib.asynccontextmanager
async def _replica(**settings: Any) -> AsyncIterator[Services]:
    app: FastAPI = build_app(Settings(**settings))
    async with app.router.lifespan_context(app):
        yield app.state.services


def _slots(docker_client: docker.DockerClient, labels: dict[str, str]) -> dict[str, dict[str, str]]:
    """Pool containers of the store: container id -> labels."""
    found = docker_client.api.containers(all=True, filters={"label": [f"{k}={v}" for k, v in labels.items()]})
    return {str(c["Id"]): c["Labels"] for c in found if POOL_LABEL in c["Labels"]}


async def test_a_live_replicas_pool_slots_are_left_alone(
    postgres: PostgresServer, sandbox_image: str, docker_client: docker.DockerClient
) -> None:
    url = await postgres.create_database()
    labels = store_labels(url)
    with tempfile.TemporaryDirectory(prefix="wp-", dir="/tmp") as folder:
        common = {
            "database_url": url,
            "data_dir": Path(folder),
            "sandbox_image": sandbox_image,
            "pool_size": 1,
            "orphan_grace_s": 0,
            "lifecycle_interval_s": 0.3,
        }
        try:
            async with _replica(**common) as a:
                assert a.interactions.replica is not None and a.environments is not None
                await wait_for(lambda: a.environments.pool.ready == 1, "a's slot", 60)  # type: ignore[union-attr]
                ((slot, slot_labels),) = _slots(docker_client, labels).items()
                assert slot_labels[REPLICA_LABEL] == a.interactions.replica.id
                socket = Path(folder) / "run" / slot_labels[POOL_LABEL] / SOCKET_NAME
                for _ in range(2):  # b's start-up drops no folder of a's; its reaper runs many rounds
                    async with _replica(**common) as b:
                        assert b.environments is not None
                        await wait_for(lambda: b.environments.pool.ready == 1, "b's slot", 60)  # type: ignore[union-attr]
                        await asyncio.sleep(2)
                        assert slot in _slots(docker_client, labels), "b reaped a's pool slot"
                        assert socket.exists(), "b removed the socket of a's waiting slot"
                assert a.environments.pool.holds(slot)  # type: ignore[union-attr]
        finally:
            filters = {"label": [f"{k}={v}" for k, v in labels.items()]}
            for container in docker_client.containers.list(all=True, filters=filters):
                container.remove(force=True, v=True)
            for volume in docker_client.volumes.list(filters=filters):
                volume.remove(force=True)

"""Crash recovery at start-up and the periodic reaper; 200 create/delete cycles leave nothing behind.

Issue 8, "Crash recovery" and the acceptance line "200 create/delete cycles of environments leave zero
containers, volumes and networks behind".
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import docker
import pytest

from orchestrator.interactions.ending import RESTART_ERROR
from orchestrator.reconcile import Reconciler
from orchestrator.store.interactions import InteractionCreate
from tests.integration.lifecycle.conftest import V, leftovers, wait_for

pytestmark = [pytest.mark.integration]


def exists(docker_client: docker.DockerClient, container_id: str) -> bool:
    try:
        docker_client.containers.get(container_id)
        return True
    except docker.errors.NotFound:
        return False


def volume_of(docker_client: docker.DockerClient, container_id: str) -> str:
    return str(docker_client.containers.get(container_id).labels["dev.warren.workspace-volume"])


def volume_exists(docker_client: docker.DockerClient, name: str) -> bool:
    try:
        docker_client.volumes.get(name)
        return True
    except docker.errors.NotFound:
        return False


@pytest.mark.timeout(120)
async def test_restart_reaps_strays_forgets_vanished_containers_and_fails_unfinished(
    start: Any, docker_client: docker.DockerClient
) -> None:
    async with start(idle_stop_s=0) as server:
        store, tenant = server.services.store, server.tenant
        ids = []
        for _ in range(3):
            env_id = (await server.client.post(f"{V}/environments", json={})).json()["id"]
            assert (await server.client.get(f"{V}/environments/{env_id}/files")).status_code == 200
            ids.append(env_id)
        kept, orphaned, vanished = ids
        sandboxes = {i: (await store.environments.get(tenant, i)).sandbox_id for i in ids}  # type: ignore[union-attr]
        orphan_volume = volume_of(docker_client, sandboxes[orphaned])
        # What a crash leaves: a row deleted before its container, a container removed behind our back,
        # and an interaction that was running, with some events already stored.
        await store.environments.delete(tenant, orphaned)
        docker_client.containers.get(sandboxes[vanished]).remove(force=True)
        running = await store.interactions.create(
            tenant,
            InteractionCreate(request={"model": "scripted:echo", "input": "hi"}, model="scripted:echo"),
        )
        await store.steps.append_batch(
            tenant,
            running.id,
            [],
            [
                {"event_type": "interaction.created", "event_id": "0", "interaction": {"id": running.id}},
                {"event_type": "interaction.status_update", "event_id": "1", "status": "in_progress"},
            ],
        )

    # Within the grace period nothing is destroyed; rows of vanished containers are cleared at once.
    async with start(idle_stop_s=0, orphan_grace_s=3600) as server:
        assert exists(docker_client, sandboxes[orphaned])
        assert (await server.services.store.environments.get(tenant, vanished)).sandbox_id is None  # type: ignore[union-attr]
        record = await server.services.store.interactions.get(tenant, running.id)
        assert record is not None and record.status == "failed" and record.errors == [RESTART_ERROR]

        got = (await server.client.get(f"{V}/interactions/{running.id}")).json()
        assert got["status"] == "failed" and got["errors"][0]["code"] == RESTART_ERROR["code"]
        async with server.client.stream(
            "GET", f"{V}/interactions/{running.id}", params={"stream": "true"}
        ) as sse:
            events = [json.loads(line[5:]) async for line in sse.aiter_lines() if line.startswith("data: {")]
        assert [e["event_id"] for e in events] == ["0", "1", "2", "3"]
        assert [e["event_type"] for e in events[2:]] == ["interaction.status_update", "interaction.completed"]
        assert events[-1]["interaction"]["status"] == "failed"

    # Past the grace period the stray goes, with its workspace volume; the claimed one stays.
    async with start(idle_stop_s=0, orphan_grace_s=0) as server:
        assert not exists(docker_client, sandboxes[orphaned])
        assert not volume_exists(docker_client, orphan_volume)
        assert exists(docker_client, sandboxes[kept])
        listed = await server.client.get(f"{V}/environments/{vanished}/files")  # a new sandbox on next use
        assert listed.status_code == 200, listed.text

        # A later pass finds the kept environment's container unclaimed once its row is gone.
        await server.services.store.environments.delete(tenant, kept)
        report = await Reconciler(server.services.store, server.environments, grace_s=0).reap()
        assert report.destroyed == 1 and not exists(docker_client, sandboxes[kept])
        assert (await server.client.delete(f"{V}/environments/{vanished}")).status_code == 200
    assert leftovers(docker_client, tenant) == {"containers": [], "volumes": [], "networks": []}


@pytest.mark.timeout(60)
async def test_periodic_reaper_removes_a_stray_while_running(
    start: Any, docker_client: docker.DockerClient
) -> None:
    async with start(idle_stop_s=0, orphan_grace_s=0, lifecycle_interval_s=0.3) as server:
        env_id = (await server.client.post(f"{V}/environments", json={})).json()["id"]
        assert (await server.client.get(f"{V}/environments/{env_id}/files")).status_code == 200
        record = await server.services.store.environments.get(server.tenant, env_id)
        assert record is not None and record.sandbox_id
        await server.services.store.environments.delete(server.tenant, env_id)
        await wait_for(lambda: not exists(docker_client, str(record.sandbox_id)), "the reaper")
        await wait_for(lambda: leftovers(docker_client, server.tenant)["volumes"] == [], "the volume to go")


@pytest.mark.timeout(210)  # the bound: about 75 s under runc (0.4 s a start), about 2x under gVisor
async def test_100_create_delete_cycles_leave_nothing_behind(
    start: Any, docker_client: docker.DockerClient
) -> None:
    cycles, parallel = 100, 8
    started = time.monotonic()
    async with start(idle_stop_s=0) as server:
        gate = asyncio.Semaphore(parallel)

        async def cycle(i: int) -> None:
            async with gate:
                made = await server.client.post(f"{V}/environments", json={})
                assert made.status_code == 200, made.text
                env_id = made.json()["id"]
                listed = await server.client.get(f"{V}/environments/{env_id}/files")  # starts the sandbox
                assert listed.status_code == 200, f"cycle {i}: {listed.text}"
                gone = await server.client.delete(f"{V}/environments/{env_id}")
                assert gone.status_code == 200, f"cycle {i}: {gone.text}"

        await asyncio.gather(*(cycle(i) for i in range(cycles)))
        assert (await server.client.get(f"{V}/environments")).json().get("environments", []) == []
        left = leftovers(docker_client, server.tenant)
    assert left == {"containers": [], "volumes": [], "networks": []}, left
    print(f"{cycles} cycles in {time.monotonic() - started:.0f} s")

"""The warm pool (issue 8, "Warm pool"): new environments get a started sandbox whose runner waits.

Through the public API: the environment takes a pool sandbox (by label and container id), its
sources and variables reach it, a tool runs, the pool refills, no two environments share a
container, stop and resume keep `/workspace`, deleting destroys the container and its volume, and a
restarted server keeps assigned pool sandboxes and reaps the unassigned ones a dead process left.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import docker
import pytest

from orchestrator.environments.pool import POOL_LABEL, WarmPool
from orchestrator.reconcile import Reconciler
from orchestrator.sandbox import ExecRequest, SandboxInfo, SandboxSpec
from tests.integration.lifecycle.conftest import Server, V, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

SCRIPT = """
turns:
  - tool_calls: [{name: run_code, arguments: {language: bash, code: "%s"}}]
  - text: "said {result:run_code}"
"""


def pool_of(server: Server) -> WarmPool:
    pool = server.environments.pool
    assert pool is not None
    return pool


def pooled(docker_client: docker.DockerClient, server: Server) -> dict[str, str]:
    """Pool containers of this server's store: container id -> the environment id it was made for."""
    labels = [f"{k}={v}" for k, v in server.environments.labels.items()]
    found = docker_client.api.containers(all=True, filters={"label": [*labels, POOL_LABEL]})
    return {str(c["Id"]): c["Labels"][POOL_LABEL] for c in found}  # one listing, no inspect per container


@pytest.fixture
async def store_label(docker_client: docker.DockerClient) -> AsyncIterator[dict[str, str]]:
    """Filled by the test with its store label; whatever is left with it is removed afterwards."""
    labels: dict[str, str] = {}
    yield labels
    if labels:
        filters = {"label": [f"{k}={v}" for k, v in labels.items()]}
        for container in docker_client.containers.list(all=True, filters=filters):
            container.remove(force=True, v=True)
        for volume in docker_client.volumes.list(filters=filters):
            volume.remove(force=True)


async def ask(
    server: Server, env_id: str | dict[str, Any], command: str, tmp: Path, agent: str = "default"
) -> dict[str, Any]:
    """One interaction of `agent` that runs `command` with bash in the environment; returns it done."""
    script = tmp / f"s{abs(hash(command))}.yaml"
    script.write_text(SCRIPT % command.replace('"', '\\"'))
    done = await server.client.post(
        f"{V}/interactions",
        json={
            "agent": agent,
            "agent_config": {"type": "antigravity", "model": f"scripted:{script.stem}"},
            "input": "go",
            "environment": env_id,
        },
    )
    assert done.status_code == 200, done.text
    body: dict[str, Any] = done.json()
    assert body["status"] == "completed", body
    return body


def said(body: dict[str, Any]) -> str:
    """The text of the interaction's last model output."""
    last = [step for step in body["steps"] if step.get("type") == "model_output"][-1]
    return "".join(part.get("text", "") for part in last.get("content", [])).strip()


async def sh(server: Server, sandbox_id: str, script: str) -> str:
    result = await server.environments.backend.exec(
        ExecRequest(sandbox_id=sandbox_id, cmd=("bash", "-c", script), timeout_s=30)
    )
    assert result.exit_code == 0, result.stderr.decode()
    return result.stdout.decode()


async def row(server: Server, env_id: str) -> Any:
    record = await server.services.store.environments.get(server.tenant, env_id)
    assert record is not None
    return record


async def test_new_environments_get_pool_sandboxes_with_their_settings(
    start: Any, docker_client: docker.DockerClient, store_label: dict[str, str], tmp_path: Path
) -> None:
    async with start(pool_size=2, idle_stop_s=0, scripts_dir=tmp_path) as server:
        store_label.update(server.environments.labels)
        pool = pool_of(server)
        await wait_for(lambda: pool.ready == 2, "the pool to fill", timeout_s=60)
        waiting = pooled(docker_client, server)
        assert len(waiting) == 2

        inline = {
            "type": "remote",
            "sources": [{"type": "inline", "target": "data/hello.txt", "content": "from the sources"}],
            "env": {"GREETING": "hello pool", "API_KEY": {"credential": "key"}},
        }
        body = await ask(server, inline, 'cat /workspace/data/hello.txt; echo " $GREETING"', tmp_path)
        assert said(body) == "said from the sources hello pool", body
        env_id = body["environment_id"]
        assert env_id in waiting.values(), "the environment took a ready slot's id"
        sandbox_id = (await row(server, env_id)).sandbox_id
        assert waiting.get(sandbox_id) == env_id, "the row names the pool container made for it"
        container = docker_client.containers.get(sandbox_id)
        assert container.labels["dev.warren.environment"] == env_id
        assert await sh(server, sandbox_id, 'echo "$GREETING"') == "hello pool\n", "docker exec sees it"
        login = await server.environments.backend.exec(
            ExecRequest(sandbox_id=sandbox_id, cmd=("bash", "-il", "-c", 'echo "$GREETING"'), timeout_s=30)
        )
        assert login.stdout == b"hello pool\n", "and the login shell `warren attach` starts"
        container_env = await sh(server, sandbox_id, "env")
        assert "WARREN_RUNNER_TOKEN" not in container_env, "no token in the container"
        assert "WARREN_POOL_SECRET" not in container_env, "nor the pool secret (the runner claims it)"
        assert "SSL_CERT_FILE=/etc/warren-ca/bundle.pem" in container_env, "it trusts the Warren CA"
        assert (await sh(server, sandbox_id, "head -1 /etc/warren-ca/warren-ca.pem")).startswith("-----BEGIN")
        assert (await sh(server, sandbox_id, 'echo "$API_KEY"')).startswith("wcred_"), "a placeholder"

        await wait_for(lambda: pool.ready == 2, "the pool to refill", timeout_s=60)
        other_id = (await server.client.post(f"{V}/environments", json={})).json()["id"]
        other = await ask(server, other_id, "echo other > /workspace/mine.txt; ls /workspace", tmp_path)
        assert said(other).startswith("said mine.txt")
        other_sandbox = (await row(server, other_id)).sandbox_id
        assert other_sandbox != sandbox_id and other_sandbox in pooled(docker_client, server)
        assert "mine.txt" not in await sh(server, sandbox_id, "ls /workspace")

        # Stop and resume: the runner starts again, asks again, and gets a fresh token.
        await sh(server, sandbox_id, "echo kept > /workspace/kept.txt")
        assert await server.environments.stop(server.tenant, env_id)
        assert docker_client.containers.get(sandbox_id).status == "exited"
        again = await ask(server, env_id, 'cat /workspace/kept.txt; echo "$GREETING"', tmp_path)
        assert said(again) == "said kept\nhello pool"
        assert (await row(server, env_id)).sandbox_id == sandbox_id

        # Deleting destroys the container and its workspace volume.
        volume = container.labels["dev.warren.workspace-volume"]
        for gone in (env_id, other_id):
            assert (await server.client.delete(f"{V}/environments/{gone}")).status_code == 200
        assert sandbox_id not in pooled(docker_client, server)
        assert other_sandbox not in pooled(docker_client, server)
        assert not docker_client.volumes.list(filters={"name": volume})
        assert len(pooled(docker_client, server)) == 2  # only the ready slots
    labels = [f"{k}={v}" for k, v in store_label.items()]
    assert docker_client.containers.list(all=True, filters={"label": labels}) == [], "shutdown empties it"


async def test_restart_keeps_assigned_pool_sandboxes_and_reaps_a_dead_process_slots(
    start: Any, docker_client: docker.DockerClient, store_label: dict[str, str], tmp_path: Path
) -> None:
    async with start(pool_size=2, idle_stop_s=0, scripts_dir=tmp_path) as server:
        store_label.update(server.environments.labels)
        pool = pool_of(server)
        await wait_for(lambda: pool.ready == 2, "the pool to fill", timeout_s=60)
        inline = {"type": "remote", "env": {"WHO": "kept"}}
        env_id = (await ask(server, inline, "echo before > before.txt", tmp_path))["environment_id"]
        sandbox_id = (await row(server, env_id)).sandbox_id
        await wait_for(lambda: pool.ready == 2, "the pool to refill", timeout_s=60)
        left = set(pooled(docker_client, server)) - {sandbox_id}

        async def crash() -> None:  # what kill -9 leaves: the ready slots stay behind
            return None

        pool.close = crash  # type: ignore[method-assign]

    async with start(pool_size=0, idle_stop_s=0, orphan_grace_s=3600, scripts_dir=tmp_path) as server:
        assert set(pooled(docker_client, server)) == left | {sandbox_id}, "nothing reaped in the grace period"

    async with start(pool_size=0, idle_stop_s=0, orphan_grace_s=0, scripts_dir=tmp_path) as server:
        assert set(pooled(docker_client, server)) == {sandbox_id}, "the dead process's slots are reaped"
        body = await ask(server, env_id, 'cat /workspace/before.txt; echo "$WHO"', tmp_path)
        assert said(body) == "said before\nkept"
        # A restarted pool sandbox asks this process for its assignment (a fresh token).
        assert await server.environments.stop(server.tenant, env_id)
        body = await ask(server, env_id, 'cat /workspace/before.txt; echo "$WHO"', tmp_path)
        assert said(body) == "said before\nkept"
        assert (await row(server, env_id)).sandbox_id == sandbox_id
        assert (await server.client.delete(f"{V}/environments/{env_id}")).status_code == 200
        assert pooled(docker_client, server) == {}


async def test_forks_and_busy_pools_fall_back_to_cold_sandboxes(
    start: Any, docker_client: docker.DockerClient, store_label: dict[str, str], tmp_path: Path
) -> None:
    async with start(pool_size=1, idle_stop_s=0, scripts_dir=tmp_path) as server:
        store_label.update(server.environments.labels)
        pool = pool_of(server)
        await wait_for(lambda: pool.ready == 1, "the pool to fill", timeout_s=60)
        ids = [(await server.client.post(f"{V}/environments", json={})).json()["id"] for _ in range(2)]
        await asyncio.gather(*(ask(server, i, "echo hi > /workspace/a.txt", tmp_path) for i in ids))
        sandboxes = [(await row(server, i)).sandbox_id for i in ids]
        assert len(set(sandboxes)) == 2
        assert sum(s in pooled(docker_client, server) for s in sandboxes) == 1, "one warm, one cold"
        fork = await server.client.post(f"{V}/environments", json={"from_environment": ids[0]})
        assert fork.status_code == 200, fork.text
        fork_sandbox = await server.environments.sandbox(server.tenant, fork.json()["id"])
        assert fork_sandbox not in pooled(docker_client, server)
        assert await sh(server, fork_sandbox, "cat /workspace/a.txt") == "hi\n"
        for env_id in [*ids, fork.json()["id"]]:
            assert (await server.client.delete(f"{V}/environments/{env_id}")).status_code == 200


async def test_a_taken_slot_is_replaced_later_unless_the_pool_is_empty(
    start: Any, docker_client: docker.DockerClient, store_label: dict[str, str], tmp_path: Path
) -> None:
    """While a slot is still ready, the refill waits `refill_delay_s` (it would compete with the
    hand-over for CPU); a pool left empty refills at once."""
    async with start(pool_size=2, idle_stop_s=0, scripts_dir=tmp_path) as server:
        store_label.update(server.environments.labels)
        pool = pool_of(server)
        await wait_for(lambda: pool.ready == 2, "the pool to fill", timeout_s=60)
        pool.refill_delay_s = 3600.0
        first = (await server.client.post(f"{V}/environments", json={})).json()["id"]
        await asyncio.sleep(3)  # a pool slot is made in about a second here
        assert pool.ready == 1 and len(pooled(docker_client, server)) == 2, "no refill while one is ready"
        second = (await server.client.post(f"{V}/environments", json={})).json()["id"]
        await wait_for(lambda: pool.ready == 2, "the empty pool to refill at once", timeout_s=60)
        for env_id in (first, second):
            assert (await server.client.delete(f"{V}/environments/{env_id}")).status_code == 200


async def test_a_reaper_pass_leaves_a_slot_whose_container_the_engine_is_still_making(
    start: Any, docker_client: docker.DockerClient, store_label: dict[str, str], tmp_path: Path
) -> None:
    """The engine has made the container but not yet answered with its id: a reaper pass listing the
    engine then (grace 0) must not take it for a stray (it did, in a CI run with two test workers)."""
    async with start(pool_size=1, idle_stop_s=0, scripts_dir=tmp_path) as server:
        store_label.update(server.environments.labels)
        pool = pool_of(server)
        await wait_for(lambda: pool.ready == 1, "the pool to fill", timeout_s=60)
        backend = pool.site.backend
        create, made, answer = backend.create, asyncio.Event(), asyncio.Event()

        async def slow_answer(spec: SandboxSpec) -> SandboxInfo:
            info = await create(spec)
            made.set()
            await answer.wait()
            return info

        backend.create = slow_answer  # type: ignore[method-assign]
        try:
            env_id = (await server.client.post(f"{V}/environments", json={})).json()["id"]  # empties it
            await asyncio.wait_for(made.wait(), timeout=60)
            report = await Reconciler(server.services.store, server.environments, grace_s=0).reap()
        finally:
            answer.set()
            backend.create = create  # type: ignore[method-assign]
        assert report.destroyed == 0
        await wait_for(lambda: pool.ready == 1, "the slot being made to be ready", timeout_s=60)
        assert len(pooled(docker_client, server)) == 2, "the reserved slot and the one made meanwhile"
        assert (await server.client.delete(f"{V}/environments/{env_id}")).status_code == 200


GUARD = "---\nname: guard\ndescription: Refuses every command.\n---\nNo commands here.\n"
DENY = {
    "g": {
        "pre_tool_execution": [
            {
                "matcher": "^run_code$",
                "hooks": [{"command": 'echo \'{"decision": "deny", "reason": "guarded"}\''}],
            }
        ]
    }
}


async def test_a_slot_given_an_agents_own_skills_forgets_the_bundled_ones_it_read_while_waiting(
    start: Any, docker_client: docker.DockerClient, store_label: dict[str, str], tmp_path: Path
) -> None:
    """A pool runner reads `/skills` (the bundled skills) while it waits; a hand-over that selects
    the agent's own skills says so, and the first call already obeys the selected skill's hook."""
    async with start(pool_size=1, idle_stop_s=0, scripts_dir=tmp_path) as server:
        store_label.update(server.environments.labels)
        pool = pool_of(server)
        await wait_for(lambda: pool.ready == 1, "the pool to fill", timeout_s=60)
        waiting = pooled(docker_client, server)
        skill = {"name": "guard", "files": {"SKILL.md": GUARD, "hooks.json": json.dumps(DENY)}}
        made = await server.client.post(f"{V}/agents", json={"id": "guarded", "skills": [skill]})
        assert made.status_code == 200, made.text
        body = await ask(server, {"type": "remote"}, "echo ran", tmp_path, agent="guarded")
        assert body["environment_id"] in waiting.values(), "it took the waiting slot"
        assert "denied by hook /skills/guard/hooks.json:g: guarded" in said(body), said(body)
        assert (await server.client.delete(f"{V}/environments/{body['environment_id']}")).status_code == 200

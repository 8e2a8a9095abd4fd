"""An in-process app with real sandboxes and a fast lifecycle loop, one fresh tenant per test."""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import httpx
import pytest
from fastapi import FastAPI

from orchestrator.api.deps import Services
from orchestrator.compose import build_app
from orchestrator.config import Settings
from orchestrator.environments.service import EnvironmentService
from orchestrator.environments.site import store_labels
from orchestrator.sandbox.backend import LABEL_PREFIX
from orchestrator.store import Store

V = "/v1beta"
TENANT_LABEL = f"{LABEL_PREFIX}tenant"


@dataclass
class Server:
    """A started app, a client per tenant, and its settings."""

    app: FastAPI
    client: httpx.AsyncClient
    other: httpx.AsyncClient
    tenant: str

    @property
    def services(self) -> Services:
        services: Services = self.app.state.services
        return services

    @property
    def environments(self) -> EnvironmentService:
        assert self.services.environments is not None
        return self.services.environments


Start = Callable[..., Any]


def leftovers(docker_client: docker.DockerClient, tenant: str) -> dict[str, list[str]]:
    """Containers, volumes and networks still labelled with `tenant`."""
    filters = {"label": f"{TENANT_LABEL}={tenant}"}
    return {
        "containers": [c.name for c in docker_client.containers.list(all=True, filters=filters)],
        "volumes": [v.name for v in docker_client.volumes.list(filters=filters)],
        "networks": [n.name for n in docker_client.networks.list(filters=filters)],
    }


def remove_all(docker_client: docker.DockerClient, tenant: str, database_url: str | None = None) -> None:
    """Remove whatever a test left with its tenant's label, or with its store's (containers first,
    then volumes). Warm-pool slots belong to no tenant yet: only the store label finds one a test's
    server left behind (CI runs ended with two or three of them still running)."""
    labels = [f"{TENANT_LABEL}={tenant}"]
    if database_url is not None:
        (store,) = store_labels(database_url).items()
        labels.append("=".join(store))
    for label in labels:
        for container in docker_client.containers.list(all=True, filters={"label": label}):
            container.remove(force=True, v=True)
        for volume in docker_client.volumes.list(filters={"label": label}):
            volume.remove(force=True)


@pytest.fixture
def data_dir() -> Any:
    """A short data folder (runner sockets live under it and need paths < 108 bytes)."""
    with tempfile.TemporaryDirectory(prefix="wl-", dir="/tmp") as folder:
        yield Path(folder)


@pytest.fixture
async def start(
    data_dir: Path, sandbox_image: str, docker_client: docker.DockerClient
) -> AsyncIterator[Callable[..., Any]]:
    """`async with start(**settings) as server:` runs the app on `data_dir`; restartable on the same store."""
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    url = f"sqlite+aiosqlite:///{data_dir / 'warren.db'}"
    async with await Store.open(url) as store:
        _, key = await store.keys.create_key(tenant, "lifecycle")
        _, other_key = await store.keys.create_key(f"{tenant}-other", "other")

    @asynccontextmanager
    async def run(**overrides: Any) -> AsyncIterator[Server]:
        settings = Settings(data_dir=data_dir, sandbox_image=sandbox_image, **overrides)
        app = build_app(settings)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app),
                base_url="http://t",
                headers={"x-goog-api-key": key},
                timeout=60,
            ) as client,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app),
                base_url="http://t",
                headers={"x-goog-api-key": other_key},
                timeout=60,
            ) as other,
        ):
            yield Server(app, client, other, tenant)

    run.tenant = tenant  # type: ignore[attr-defined]
    yield run
    await asyncio.to_thread(remove_all, docker_client, tenant, url)


async def wait_for(check: Callable[[], Any], what: str, timeout_s: float = 15.0) -> Any:
    """Poll `check` (sync or async) until it returns something truthy, or fail saying what was awaited."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    last: Any = None
    while loop.time() < deadline:
        last = check()
        if asyncio.iscoroutine(last):
            last = await last
        if last:
            return last
        await asyncio.sleep(0.2)
    raise AssertionError(f"waited {timeout_s} s for {what}; last answer {last!r}")

"""Two apps on one PostgreSQL database, each with its own data folder, as two `warren serve`
processes would be (one tenant's key, scripted models from `scripts`)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from fastapi import FastAPI

from orchestrator.compose import build_app
from orchestrator.config import Settings
from orchestrator.store import Store
from tests.support.postgres import PostgresServer
from tests.unit.api_app.conftest import client

__all__ = ["two_replicas"]


@contextlib.asynccontextmanager
async def two_replicas(
    postgres: PostgresServer, tmp_path: Path, scripts: dict[str, str]
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient, str, list[FastAPI]]]:
    """Clients of replicas A and B, the database's URL and both apps (running their lifespans)."""
    url = await postgres.create_database()
    folder = tmp_path / "scripts"
    folder.mkdir()
    for name, text in scripts.items():
        (folder / f"{name}.yaml").write_text(text)
    async with await Store.open(url) as store:
        _, key = await store.keys.create_key("tenant-a", "a")
    apps = [
        build_app(Settings(data_dir=tmp_path / name, database_url=url, sandboxes=False, scripts_dir=folder))
        for name in ("a", "b")
    ]
    async with (
        apps[0].router.lifespan_context(apps[0]),
        apps[1].router.lifespan_context(apps[1]),
        client(apps[0], key) as a,
        client(apps[1], key) as b,
    ):
        yield a, b, url, apps
    await postgres.drop_database(url.rsplit("/", 1)[1])

"""Fixtures for the in-process app tests: the real app on a fresh SQLite store, two tenants' clients."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from orchestrator.api.deps import Services
from orchestrator.compose import build_app
from orchestrator.config import Settings
from orchestrator.store import Store

COUNTED_TABLES = ("agents", "environments", "interactions", "steps", "events", "idempotency_keys")
"""Every table a create route may write to."""


@dataclass
class App:
    """A started app and one authenticated client per tenant."""

    app: FastAPI
    a: httpx.AsyncClient
    b: httpx.AsyncClient

    @property
    def services(self) -> Services:
        """The services the lifespan built."""
        services: Services = self.app.state.services
        return services

    async def row_counts(self) -> dict[str, int]:
        """Rows in every table a create may write, for "nothing was written" checks."""
        counts: dict[str, int] = {}
        async with self.services.store.db.read() as session:
            for table in COUNTED_TABLES:
                counts[table] = int(
                    (await session.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()
                )
        return counts

    async def settled_counts(self) -> dict[str, int]:
        """`row_counts` once background work has stopped writing (two reads 50 ms apart agree)."""
        last = await self.row_counts()
        for _ in range(100):
            await asyncio.sleep(0.05)
            now = await self.row_counts()
            if now == last:
                return now
            last = now
        raise AssertionError(f"the store never settled: {last}")


async def make_keys(data_dir: Path) -> tuple[str, str]:
    """Create one API key for `tenant-a` and one for `tenant-b` in the app's SQLite file."""
    data_dir.mkdir(parents=True, exist_ok=True)
    async with await Store.open(f"sqlite+aiosqlite:///{data_dir / 'warren.db'}") as store:
        _, key_a = await store.keys.create_key("tenant-a", "a")
        _, key_b = await store.keys.create_key("tenant-b", "b")
    return key_a, key_b


def client(app: FastAPI, key: str) -> httpx.AsyncClient:
    """An in-process client of `app` sending `key`."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app), base_url="http://t", headers={"x-goog-api-key": key}, timeout=30
    )


async def start_app(settings: Settings) -> AsyncIterator[App]:
    """Run the app's lifespan and yield it with both tenants' clients."""
    key_a, key_b = await make_keys(settings.data_dir)
    app = build_app(settings)
    async with app.router.lifespan_context(app), client(app, key_a) as a, client(app, key_b) as b:
        yield App(app, a, b)


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[App]:
    """The app without sandboxes (environment routes answer 400) and a small body cap of 64 KiB."""
    settings = Settings(data_dir=tmp_path / "data", sandboxes=False, max_body_bytes=64 * 1024)
    async for started in start_app(settings):
        yield started

"""Fixtures for the security tests: the real app in-process, on a fresh SQLite store, two tenants."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from orchestrator.config import Settings
from tests.unit.api_app.conftest import App, start_app


@pytest.fixture
async def sandbox_api(tmp_path: Path, sandbox_image: str) -> AsyncIterator[App]:
    """The app with real sandboxes (needs the Docker engine); every environment is deleted afterwards."""
    settings = Settings(data_dir=tmp_path / "data", sandboxes=True, sandbox_image=sandbox_image)
    async for started in start_app(settings):
        try:
            yield started
        finally:
            for c in (started.a, started.b):
                listed = (await c.get("/v1beta/environments")).json().get("environments", [])
                for env in listed:
                    await c.delete(f"/v1beta/environments/{env['id']}")

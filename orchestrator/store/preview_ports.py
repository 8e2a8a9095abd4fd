"""Preview ports: which sandbox ports of an environment a tenant opened for preview URLs.

A port is closed until a row says otherwise, so a process that starts listening inside a sandbox is
never reachable from outside by itself. Rows are per tenant, like every table.
"""

from __future__ import annotations

import builtins

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from orchestrator.store.db import Database
from orchestrator.store.models import PreviewPortRow, utcnow

__all__ = ["PreviewPortRepository"]


class PreviewPortRepository:
    """Open, close and list an environment's preview ports; every call is scoped to one tenant."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def open(self, tenant: str, environment_id: str, port: int) -> None:
        """Open `port` (opening an open port changes nothing)."""
        if await self.is_open(tenant, environment_id, port):
            return
        row = PreviewPortRow(tenant=tenant, environment_id=environment_id, port=port, created=utcnow())
        try:
            async with self._db.write() as session:
                session.add(row)
        except IntegrityError:
            return  # opened meanwhile by another request

    async def is_open(self, tenant: str, environment_id: str, port: int) -> bool:
        """Whether the tenant opened `port` of this environment."""
        async with self._db.read() as session:
            return await session.get(PreviewPortRow, (tenant, environment_id, port)) is not None

    async def list(self, tenant: str, environment_id: str) -> builtins.list[int]:
        """The environment's open ports, ascending."""
        query = (
            select(PreviewPortRow.port)
            .where(PreviewPortRow.tenant == tenant, PreviewPortRow.environment_id == environment_id)
            .order_by(PreviewPortRow.port)
        )
        async with self._db.read() as session:
            return [int(port) for port in (await session.scalars(query)).all()]

    async def close(self, tenant: str, environment_id: str, port: int | None = None) -> bool:
        """Close `port` (or every port of the environment); False when nothing was open."""
        query = delete(PreviewPortRow).where(
            PreviewPortRow.tenant == tenant, PreviewPortRow.environment_id == environment_id
        )
        if port is not None:
            query = query.where(PreviewPortRow.port == port)
        async with self._db.write() as session:
            result = await session.execute(query)
        return bool(getattr(result, "rowcount", 0))

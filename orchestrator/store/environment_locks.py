"""Per-environment locks that hold across replicas: PostgreSQL session advisory locks.

Every change to an environment's sandbox (made, started, paused, stopped, destroyed) happens under
that environment's lock, so none undoes a sandbox another just made. One process does it with an
asyncio lock (`EnvironmentService`); replicas sharing a database also hold `pg_advisory_lock` on a
connection of this module's own small autocommit pool for the change (an engine call or a few), then
`pg_advisory_unlock`. The process's asyncio lock is taken first, so only other replicas are waited
for here. A connection whose unlock did not run (a cancel, a failure) is invalidated rather than
returned to the pool with the lock still on it: closing it releases the lock, as a dead process's
closed connections release its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from orchestrator.store.db import Database

__all__ = ["EnvironmentLocks"]

_LOCK = text("SELECT pg_advisory_lock(hashtextextended(:key, 0))")
_UNLOCK = text("SELECT pg_advisory_unlock(hashtextextended(:key, 0))")


class EnvironmentLocks:
    """Locks by (tenant, environment) shared by every replica on one PostgreSQL database.

    Args:
        db: the store's database, whose URL the lock pool connects to.
        pool_size: connections kept open; up to `max_overflow` more while many changes run at once.
    """

    def __init__(self, db: Database, pool_size: int = 2, max_overflow: int = 30) -> None:
        self._db = db
        self._sizes = pool_size, max_overflow
        self._engine: AsyncEngine | None = None

    @asynccontextmanager
    async def hold(self, tenant: str, environment_id: str) -> AsyncIterator[None]:
        """Hold the environment's lock for the block, waiting while another replica holds it."""
        params = {"key": f"warren-environment:{tenant}:{environment_id}"}
        async with self._pool().connect() as conn:
            unlocked = False
            try:
                await conn.execute(_LOCK, params)
                try:
                    yield
                finally:
                    await conn.execute(_UNLOCK, params)
                    unlocked = True
            finally:
                if not unlocked:
                    await conn.invalidate()

    def _pool(self) -> AsyncEngine:
        if self._engine is None:
            size, overflow = self._sizes
            self._engine = create_async_engine(
                self._db.url, pool_size=size, max_overflow=overflow, isolation_level="AUTOCOMMIT"
            )
        return self._engine

    async def close(self) -> None:
        """Close the pool's connections (releasing any lock still held)."""
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None

"""Sandbox starts in flight, in PostgreSQL, so a tenant's sandbox cap holds across replicas.

A replica about to make or resume one of a tenant's sandboxes takes the tenant's advisory lock in a
transaction, reads the tenant's starts in flight on every replica, lets the cap decide, and records
its own; the commit releases the lock, so two replicas competing for the last place take turns and
the second sees the first. A start's row is deleted when it ends, by which time the environment's
row says its sandbox runs (the cap counts that instead). A replica that died mid-start leaves a row
that stops counting after `STALE`, on the database's clock.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy import delete, func, select, text

from orchestrator.store.db import Database
from orchestrator.store.replica_rows import SandboxStartRow

__all__ = ["STALE", "SandboxStarts"]

STALE = timedelta(minutes=10)
"""Longer than any start takes (an image's sources seeded, a container made and started)."""
_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")


class SandboxStarts:
    """The starts in flight of every replica on one PostgreSQL database."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def begin(
        self, tenant: str, environment_id: str, admit: Callable[[set[str]], Awaitable[None]]
    ) -> str:
        """Admit and record one start of `environment_id`'s sandbox; the id `end` takes.

        `admit` gets the environments of `tenant` whose sandboxes other starts (on any replica) are
        making now, and raises to refuse; it runs under the tenant's lock, which `begin` holds until
        the start is recorded.
        """
        async with self._db.write() as session:
            await session.execute(_LOCK, {"key": f"warren-sandbox-cap:{tenant}"})
            fresh = SandboxStartRow.started_at > func.now() - STALE
            rows = await session.scalars(
                select(SandboxStartRow.environment_id).where(SandboxStartRow.tenant == tenant, fresh)
            )
            await admit(set(rows))
            start_id = secrets.token_hex(12)
            session.add(SandboxStartRow(id=start_id, tenant=tenant, environment_id=environment_id))
        return start_id

    async def end(self, start_id: str) -> None:
        """The start ended (made, resumed, or failed): it no longer counts."""
        async with self._db.write() as session:
            await session.execute(delete(SandboxStartRow).where(SandboxStartRow.id == start_id))

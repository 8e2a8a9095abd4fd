"""Retention: stored interactions live for a period (default 55 days), then go with their steps and events.

`run_retention` is the loop the server starts as a task in its lifespan; it also forgets
idempotency keys after a day, since retries come within minutes, and rate buckets idle for a day.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy import delete, select

from orchestrator.store.db import Database
from orchestrator.store.idempotency import IdempotencyKeys
from orchestrator.store.models import InteractionRow, utcnow
from orchestrator.store.rate_buckets import RateBuckets

__all__ = ["DEFAULT_IDEMPOTENCY_TTL", "DEFAULT_RETENTION", "purge_expired", "run_retention"]

DEFAULT_RETENTION = timedelta(days=55)
"""How long a stored interaction is kept (DESIGN.md section 6)."""
DEFAULT_IDEMPOTENCY_TTL = timedelta(days=1)
"""How long an `Idempotency-Key` is remembered."""
RATE_BUCKET_IDLE = timedelta(days=1)
"""A key's shared rate bucket untouched this long goes (it has refilled; a new one starts full)."""

_log = logging.getLogger(__name__)


async def purge_expired(
    db: Database, older_than: timedelta = DEFAULT_RETENTION, *, batch_size: int = 500
) -> int:
    """Delete every tenant's interactions created more than `older_than` ago; return how many.

    Works in batches of `batch_size`, each its own short transaction, so a large purge never holds
    the SQLite write lock for long. Steps and events go with their interaction (ON DELETE CASCADE).
    """
    cutoff = utcnow() - older_than
    total = 0
    while True:
        async with db.write() as session:
            ids = (
                await session.scalars(
                    select(InteractionRow.id).where(InteractionRow.created < cutoff).limit(batch_size)
                )
            ).all()
            if ids:
                await session.execute(delete(InteractionRow).where(InteractionRow.id.in_(ids)))
        total += len(ids)
        if len(ids) < batch_size:
            return total


async def run_retention(
    db: Database,
    every_s: float = 3600.0,
    older_than: timedelta = DEFAULT_RETENTION,
    *,
    idempotency_ttl: timedelta = DEFAULT_IDEMPOTENCY_TTL,
) -> None:
    """Purge every `every_s` **seconds** until cancelled; a failed round is logged and retried next time."""
    keys, buckets = IdempotencyKeys(db), RateBuckets(db)
    while True:
        try:
            purged = await purge_expired(db, older_than)
            forgotten = await keys.purge_older_than(utcnow() - idempotency_ttl)
            await buckets.purge_idle(RATE_BUCKET_IDLE)
            if purged or forgotten:
                _log.info("retention: deleted %d interactions and %d idempotency keys", purged, forgotten)
        except Exception:
            _log.exception("retention round failed; retrying in %.0f s", every_s)
        await asyncio.sleep(every_s)

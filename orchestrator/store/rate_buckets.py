"""`RateBuckets`: per-key request token buckets in PostgreSQL, so replicas share one budget per key.

Why a token bucket in one row per key, not per-second windows (`rate_windows`, a count per key and
second with the previous second weighted in): the bucket is the in-memory limiter's own rule, so
`burst` keeps its meaning (300 at once, then 100 a second), which a one-second window cannot say
(it would allow `rate` a second and no burst above it, or `burst` every second); it stays exact
rather than a weighted estimate; and it keeps one row per key, so nothing needs sweeping every
minute. A request is one `INSERT ... ON CONFLICT DO UPDATE ... RETURNING`: the row lock orders the
replicas' requests of one key, and the refill is computed from the database's clock
(`statement_timestamp()`), never a replica's. A statement that started before another one of the
same key but locked the row after it refills nothing (`GREATEST(0, ...)`) and keeps the later stamp,
so no token is made twice.

One round trip: the statements run on their own small autocommit pool without a pre-ping (the
store's pool pings and wraps each use in `BEGIN`/`COMMIT`, four more round trips), and asyncpg keeps
the statement prepared per connection. A dead connection fails one request, whose caller then falls
back to its own bucket (`api/shared_ratelimit.py`); the pool replaces the connection.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from orchestrator.store.db import Database
from orchestrator.store.models import RateBucketRow, utcnow

__all__ = ["RateBuckets"]

_TAKE = text(
    """
    INSERT INTO rate_buckets AS b (key_id, tokens, stamp, granted)
    VALUES (:key_id, CAST(:burst AS double precision) - 1, statement_timestamp(), true)
    ON CONFLICT (key_id) DO UPDATE SET (tokens, granted, stamp) = (
        SELECT CASE WHEN r.tokens >= 1 THEN r.tokens - 1 ELSE r.tokens END, r.tokens >= 1,
               GREATEST(b.stamp, statement_timestamp())
        FROM (
            SELECT LEAST(
                CAST(:burst AS double precision),
                b.tokens + CAST(:rate AS double precision)
                    * GREATEST(0, EXTRACT(EPOCH FROM statement_timestamp() - b.stamp))
            ) AS tokens
        ) AS r
    )
    RETURNING tokens, granted
    """
)
"""Refill by the time since the row's stamp (capped at `burst`), then spend one token if there is one."""


class RateBuckets:
    """The shared buckets; only on PostgreSQL (SQLite's one process keeps them in memory).

    Args:
        db: the store's database, whose URL the autocommit pool connects to.
        pool_size: connections kept for the limiter (more open under load, up to twice as many more).
    """

    def __init__(self, db: Database, pool_size: int = 4) -> None:
        self._db = db
        self._pool_size = pool_size
        self._engine: AsyncEngine | None = None

    async def take(self, key_id: str, rate_per_s: float, burst: int) -> float:
        """Spend one request of `key_id`'s bucket: 0.0 when allowed, else seconds until one is free.

        Raises:
            sqlalchemy.exc.SQLAlchemyError, OSError: the database could not be reached or failed.
        """
        params = {"key_id": key_id, "rate": float(rate_per_s), "burst": float(burst)}
        async with self._autocommit().connect() as conn:
            tokens, granted = (await conn.execute(_TAKE, params)).one()
        return 0.0 if granted else (1.0 - float(tokens)) / rate_per_s

    async def purge_idle(self, older_than: timedelta) -> int:
        """Delete buckets untouched for `older_than` (full again by then at any sane rate); how many."""
        query = delete(RateBucketRow).where(RateBucketRow.stamp < utcnow() - older_than)
        async with self._db.write() as session:
            result = await session.execute(query)
        return int(getattr(result, "rowcount", 0))

    async def close(self) -> None:
        """Close the autocommit pool (the store's own closes with the `Database`)."""
        if self._engine is not None:
            engine, self._engine = self._engine, None
            await engine.dispose()

    def _autocommit(self) -> AsyncEngine:
        if self._engine is None:
            self._engine = create_async_engine(
                self._db.url,
                isolation_level="AUTOCOMMIT",
                pool_pre_ping=False,
                pool_size=self._pool_size,
                max_overflow=2 * self._pool_size,
            )
        return self._engine

"""Token accounting per tenant, per API key and per UTC day, for quotas and reports.

Counters are bumped with one upsert (`INSERT … ON CONFLICT DO UPDATE`), so concurrent interactions
of one key never lose an increment.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from orchestrator.store.db import Database
from orchestrator.store.models import TokenUsageRow, utcnow
from orchestrator.store.records import Record

__all__ = ["DayUsage", "TokenUsage", "UsageTotals"]

_COUNTERS = ("input_tokens", "output_tokens", "thought_tokens", "total_tokens")
_WIRE_FIELDS = {
    "input_tokens": "total_input_tokens",
    "output_tokens": "total_output_tokens",
    "thought_tokens": "total_thought_tokens",
    "total_tokens": "total_tokens",
}
"""Our counter name -> the wire Usage field it adds up."""


class UsageTotals(Record):
    """Sums over a span of days."""

    interactions: int = 0
    """Interactions counted."""
    input_tokens: int = 0
    """Sum of `total_input_tokens`."""
    output_tokens: int = 0
    """Sum of `total_output_tokens`."""
    thought_tokens: int = 0
    """Sum of `total_thought_tokens`."""
    total_tokens: int = 0
    """Sum of `total_tokens`."""


class DayUsage(UsageTotals):
    """The sums of one UTC day."""

    day: date
    """The UTC day."""


class TokenUsage:
    """Add to and read the usage counters."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(
        self,
        tenant: str,
        usage: Mapping[str, Any],
        *,
        api_key_id: str | None = None,
        interactions: int = 0,
        day: date | None = None,
    ) -> None:
        """Add a wire Usage object (one model call's, or an interaction's delta) to today's counters.

        Pass `interactions=1` once per finished interaction to count it.
        """
        values: dict[str, Any] = {
            "tenant": tenant,
            "api_key_id": api_key_id or "",
            "day": day or utcnow().date(),
            "interactions": interactions,
        }
        for column, wire in _WIRE_FIELDS.items():
            values[column] = int(usage.get(wire) or 0)
        insert = postgresql.insert if self._db.dialect == "postgresql" else sqlite.insert
        stmt = insert(TokenUsageRow).values(values)
        stmt = stmt.on_conflict_do_update(
            index_elements=["tenant", "api_key_id", "day"],
            set_={
                name: getattr(TokenUsageRow, name) + getattr(stmt.excluded, name)
                for name in ("interactions", *_COUNTERS)
            },
        )
        async with self._db.write() as session:
            await session.execute(stmt)

    async def totals(
        self,
        tenant: str,
        *,
        api_key_id: str | None = None,
        since: date | None = None,
        until: date | None = None,
    ) -> UsageTotals:
        """Sums for the tenant (or one of its keys) over the days `since`..`until`, both included."""
        columns = [
            func.coalesce(func.sum(getattr(TokenUsageRow, n)), 0) for n in ("interactions", *_COUNTERS)
        ]
        stmt = select(*columns).where(TokenUsageRow.tenant == tenant)
        if api_key_id is not None:
            stmt = stmt.where(TokenUsageRow.api_key_id == api_key_id)
        if since is not None:
            stmt = stmt.where(TokenUsageRow.day >= since)
        if until is not None:
            stmt = stmt.where(TokenUsageRow.day <= until)
        async with self._db.read() as session:
            row = (await session.execute(stmt)).one()
        return UsageTotals(**{n: int(v) for n, v in zip(("interactions", *_COUNTERS), row, strict=True)})

    async def per_day(self, tenant: str, since: date) -> list[DayUsage]:
        """The tenant's sums for each day from `since` on that has any, oldest first (all its keys)."""
        names = ("interactions", *_COUNTERS)
        columns = [func.sum(getattr(TokenUsageRow, n)) for n in names]
        stmt = (
            select(TokenUsageRow.day, *columns)
            .where(TokenUsageRow.tenant == tenant, TokenUsageRow.day >= since)
            .group_by(TokenUsageRow.day)
            .order_by(TokenUsageRow.day)
        )
        async with self._db.read() as session:
            rows = (await session.execute(stmt)).all()
        return [
            DayUsage(day=row[0], **{n: int(v or 0) for n, v in zip(names, row[1:], strict=True)})
            for row in rows
        ]

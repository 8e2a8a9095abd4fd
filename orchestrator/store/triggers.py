"""Triggers: scheduled agent interactions, stored per tenant with the state the firing loop keeps."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from orchestrator.errors import QuotaExceeded
from orchestrator.store.db import Database
from orchestrator.store.errors import AlreadyExistsError, NotFoundError
from orchestrator.store.models import TriggerExecutionRow, TriggerRow
from orchestrator.store.paging import fetch_page
from orchestrator.store.records import Page, Record

__all__ = ["TriggerRecord", "TriggerRepository", "TriggerStatus"]

TriggerStatus = Literal["active", "paused", "error"]


class TriggerRecord(Record):
    """A stored trigger."""

    tenant: str
    id: str
    spec: dict[str, Any]
    """The create request as accepted: interaction, schedule, time_zone and the optional fields."""
    status: str
    consecutive_failure_count: int
    next_run_time: datetime | None
    last_run_time: datetime | None
    last_pause_time: datetime | None
    last_resume_time: datetime | None
    previous_interaction_id: str | None
    """The interaction the latest execution created."""
    created: datetime
    updated: datetime


class TriggerRepository:
    """Create, read, list, change and delete triggers; every call but `due` is scoped to one tenant."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self, tenant: str, id: str, spec: dict[str, Any], next_run_time: datetime, now: datetime, limit: int
    ) -> TriggerRecord:
        """Store an active trigger, unless the tenant already has `limit` of them.

        Raises:
            QuotaExceeded: the tenant has `limit` triggers.
            AlreadyExistsError: the id is taken.
        """
        row = TriggerRow(
            tenant=tenant,
            id=id,
            spec=spec,
            status="active",
            consecutive_failure_count=0,
            next_run_time=next_run_time,
            created=now,
            updated=now,
        )
        try:
            async with self._db.write() as session:
                count = await session.scalar(
                    select(func.count()).select_from(TriggerRow).where(TriggerRow.tenant == tenant)
                )
                if (count or 0) >= limit:
                    raise QuotaExceeded(
                        f"this tenant already has {limit} triggers (WARREN_TRIGGER_MAX_PER_TENANT); "
                        "delete one first"
                    )
                session.add(row)
        except IntegrityError as exc:
            raise AlreadyExistsError("trigger", id) from exc
        return TriggerRecord.model_validate(row)

    async def get(self, tenant: str, id: str) -> TriggerRecord | None:
        """The trigger, or None when this tenant has none with that id."""
        async with self._db.read() as session:
            row = await session.get(TriggerRow, (tenant, id))
            return None if row is None else TriggerRecord.model_validate(row)

    async def list(
        self,
        tenant: str,
        *,
        status: str | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> Page[TriggerRecord]:
        """One page of the tenant's triggers (optionally of one status), oldest first.

        Raises:
            InvalidPageTokenError: `page_token` is not one this listing issued.
        """
        stmt = select(TriggerRow).where(TriggerRow.tenant == tenant)
        if status is not None:
            stmt = stmt.where(TriggerRow.status == status)
        async with self._db.read() as session:
            rows, token = await fetch_page(
                session, stmt, TriggerRow.created, TriggerRow.id, page_size=page_size, page_token=page_token
            )
            return Page(items=[TriggerRecord.model_validate(r) for r in rows], next_page_token=token)

    async def change(self, tenant: str, id: str, edit: Callable[[TriggerRow], None]) -> TriggerRecord:
        """Apply `edit` to the locked row in one transaction (it must only set attributes).

        Raises:
            NotFoundError: no such trigger for this tenant.
        """
        async with self._db.write() as session:
            row = await session.get(TriggerRow, (tenant, id), with_for_update=True)
            if row is None:
                raise NotFoundError("trigger", id)
            edit(row)
            await session.flush()
            return TriggerRecord.model_validate(row)

    async def delete(self, tenant: str, id: str) -> None:
        """Delete the trigger and its executions (their interactions stay).

        Raises:
            NotFoundError: no such trigger for this tenant.
        """
        async with self._db.write() as session:
            gone = await session.scalar(
                delete(TriggerRow)
                .where(TriggerRow.tenant == tenant, TriggerRow.id == id)
                .returning(TriggerRow.id)
            )
            if gone is None:
                raise NotFoundError("trigger", id)
            await session.execute(
                delete(TriggerExecutionRow).where(
                    TriggerExecutionRow.tenant == tenant, TriggerExecutionRow.trigger_id == id
                )
            )

    async def due(self, now: datetime, limit: int) -> builtins.list[TriggerRecord]:
        """Active triggers of every tenant whose next run time has come, soonest first."""
        stmt = (
            select(TriggerRow)
            .where(TriggerRow.status == "active", TriggerRow.next_run_time <= now)
            .order_by(TriggerRow.next_run_time)
            .limit(limit)
        )
        async with self._db.read() as session:
            return [TriggerRecord.model_validate(r) for r in (await session.scalars(stmt)).all()]

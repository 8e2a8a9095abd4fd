"""Trigger executions, and the claim that makes each scheduled time of a trigger fire exactly once.

A scheduled run is claimed by inserting its row with `slot` = the scheduled time: the unique key
(tenant, trigger_id, slot) lets one transaction win, whichever process or restart tries. The same
transaction moves the trigger's `next_run_time` on, so the loser does not see the time as due again.
"""

from __future__ import annotations

import builtins
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from orchestrator.store.db import Database
from orchestrator.store.models import TriggerExecutionRow, TriggerRow
from orchestrator.store.paging import fetch_page
from orchestrator.store.records import Page, Record
from orchestrator.store.triggers import TriggerRecord

__all__ = ["ExecutionRecord", "TriggerExecutions"]

ENDED = ("completed", "failed", "skipped", "timed_out")
"""The execution statuses that are final."""


class ExecutionRecord(Record):
    """One run of a trigger."""

    id: str
    tenant: str
    trigger_id: str
    status: str
    interaction_id: str | None
    environment_id: str | None
    error: dict[str, Any] | None
    """`{"message": ...}` when it failed, timed out or was skipped."""
    slot: datetime | None
    scheduled_time: datetime
    start_time: datetime | None
    end_time: datetime | None
    created: datetime


def _row(trigger: TriggerRecord, when: datetime, now: datetime, slot: datetime | None) -> TriggerExecutionRow:
    return TriggerExecutionRow(
        id=f"texec_{secrets.token_hex(8)}",
        tenant=trigger.tenant,
        trigger_id=trigger.id,
        status="in_progress",
        slot=slot,
        scheduled_time=when,
        start_time=now,
        created=now,
    )


class TriggerExecutions:
    """Claims, starts, ends and lists executions."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def claim(
        self,
        trigger: TriggerRecord,
        fire: datetime,
        missed: builtins.list[datetime],
        next_run: datetime,
        now: datetime,
    ) -> ExecutionRecord | None:
        """Claim the scheduled time `fire` (and record `missed` ones as skipped); None if already claimed.

        Also None when the trigger stopped being active or its schedule moved since it was read.
        """
        row = _row(trigger, fire, now, fire)
        try:
            async with self._db.write() as session:
                current = await session.get(TriggerRow, (trigger.tenant, trigger.id), with_for_update=True)
                if (
                    current is None
                    or current.status != "active"
                    or current.next_run_time != trigger.next_run_time
                ):
                    return None
                for when in missed:
                    skipped = _row(trigger, when, now, when)
                    skipped.status, skipped.end_time = "skipped", now
                    skipped.error = {"message": "a later scheduled time of this trigger was due as well"}
                    session.add(skipped)
                session.add(row)
                current.next_run_time, current.last_run_time, current.updated = next_run, now, now
                await session.flush()
        except IntegrityError:
            return None
        return ExecutionRecord.model_validate(row)

    async def start(self, trigger: TriggerRecord, now: datetime) -> ExecutionRecord:
        """Record a run started by hand (no slot: it claims no scheduled time)."""
        row = _row(trigger, now, now, None)
        async with self._db.write() as session:
            session.add(row)
            await session.execute(
                update(TriggerRow)
                .where(TriggerRow.tenant == trigger.tenant, TriggerRow.id == trigger.id)
                .values(last_run_time=now, updated=now)
            )
        return ExecutionRecord.model_validate(row)

    async def attach(
        self, execution: ExecutionRecord, interaction_id: str, environment_id: str | None
    ) -> None:
        """Note the interaction the execution created, on it and as the trigger's latest one."""
        async with self._db.write() as session:
            await session.execute(
                update(TriggerExecutionRow)
                .where(TriggerExecutionRow.id == execution.id)
                .values(interaction_id=interaction_id, environment_id=environment_id)
            )
            await session.execute(
                update(TriggerRow)
                .where(TriggerRow.tenant == execution.tenant, TriggerRow.id == execution.trigger_id)
                .values(previous_interaction_id=interaction_id)
            )

    async def finish(
        self, execution_id: str, status: str, error: str | None, now: datetime
    ) -> tuple[ExecutionRecord, TriggerRecord | None] | None:
        """End a running execution and count the trigger's consecutive failures; None if already ended.

        A failure that reaches the trigger's `max_consecutive_failures` sets its status to `error`.
        """
        async with self._db.write() as session:
            row = await session.get(TriggerExecutionRow, execution_id, with_for_update=True)
            if row is None or row.status != "in_progress":
                return None
            row.status, row.end_time = status, now
            row.error = None if error is None else {"message": error}
            trigger = await session.get(TriggerRow, (row.tenant, row.trigger_id), with_for_update=True)
            if trigger is not None:
                _count(trigger, status == "completed", now)
            await session.flush()
            ended = ExecutionRecord.model_validate(row)
            return ended, None if trigger is None else TriggerRecord.model_validate(trigger)

    async def running(self, limit: int) -> builtins.list[ExecutionRecord]:
        """Executions of every tenant still in progress, oldest first."""
        stmt = (
            select(TriggerExecutionRow)
            .where(TriggerExecutionRow.status == "in_progress")
            .order_by(TriggerExecutionRow.created)
            .limit(limit)
        )
        async with self._db.read() as session:
            return [ExecutionRecord.model_validate(r) for r in (await session.scalars(stmt)).all()]

    async def list(
        self, tenant: str, trigger_id: str, *, page_size: int | None = None, page_token: str | None = None
    ) -> Page[ExecutionRecord]:
        """One page of a trigger's executions, oldest first.

        Raises:
            InvalidPageTokenError: `page_token` is not one this listing issued.
        """
        stmt = select(TriggerExecutionRow).where(
            TriggerExecutionRow.tenant == tenant, TriggerExecutionRow.trigger_id == trigger_id
        )
        async with self._db.read() as session:
            rows, token = await fetch_page(
                session,
                stmt,
                TriggerExecutionRow.created,
                TriggerExecutionRow.id,
                page_size=page_size,
                page_token=page_token,
            )
            return Page(items=[ExecutionRecord.model_validate(r) for r in rows], next_page_token=token)


def _count(trigger: TriggerRow, succeeded: bool, now: datetime) -> None:
    """A success resets the failure count; a failure adds one and may stop the trigger (`error`)."""
    trigger.updated = now
    if succeeded:
        trigger.consecutive_failure_count = 0
        return
    trigger.consecutive_failure_count += 1
    limit = int(trigger.spec.get("max_consecutive_failures") or 0)
    if limit and trigger.consecutive_failure_count >= limit and trigger.status == "active":
        trigger.status, trigger.next_run_time = "error", None

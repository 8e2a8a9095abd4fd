"""Interactions: one turn of work each, with server-made, unguessable ids.

Steps and events live in `steps.py`; deleting an interaction deletes them too (ON DELETE CASCADE).
"""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection, delete, insert, select

from orchestrator.store.approval_answers import insert_answer
from orchestrator.store.db import Database
from orchestrator.store.errors import NotFoundError
from orchestrator.store.leases import insert_lease
from orchestrator.store.models import InteractionRow, StepRow, utcnow
from orchestrator.store.paging import fetch_page
from orchestrator.store.prepared import Prepared
from orchestrator.store.records import Page, Record
from orchestrator.store.step_records import step_type
from orchestrator.store.tokens import new_id

__all__ = ["InteractionCreate", "InteractionRecord", "InteractionRepository", "InteractionUpdate"]


class InteractionCreate(BaseModel):
    """What the API knows when it accepts an interaction."""

    model_config = ConfigDict(extra="forbid")

    request: dict[str, Any]
    """The create request body as received (validated by the API)."""
    status: str = "in_progress"
    """Initial wire status."""
    agent: str | None = None
    """Agent form: the agent id."""
    model: str | None = None
    """Model form: the model name."""
    environment_id: str | None = None
    """The environment it runs in, when already known."""
    previous_interaction_id: str | None = None
    """The interaction this one continues."""
    api_key_id: str | None = None
    """The key that created it, for usage accounting per key."""
    steps: list[dict[str, Any]] = Field(default_factory=list)
    """Wire steps stored atomically with the interaction (e.g. its `user_input`), from seq 0."""
    settles: str | None = None
    """The paused interaction whose approval request this one answers: recorded once
    (`approval_answers`), so a second answer's create fails."""


class InteractionUpdate(BaseModel):
    """The fields to change; unset fields keep their value."""

    model_config = ConfigDict(extra="forbid")

    status: str | None = None
    """A new wire status."""
    usage: dict[str, Any] | None = None
    """The wire Usage object, replacing the stored one."""
    errors: list[dict[str, Any]] | None = None
    """The wire `errors` list (`[{code, message}]`); set None explicitly to clear it."""
    environment_id: str | None = None
    """The environment the scheduler picked or created."""


class InteractionRecord(Record):
    """A stored interaction, without its steps (`StepReader.list_steps`)."""

    id: str
    """Server-made id, `int_` and 32 hex digits."""
    tenant: str
    """The owner."""
    api_key_id: str | None
    """The key that created it."""
    agent: str | None
    """Agent form: the agent id."""
    model: str | None
    """Model form: the model name."""
    environment_id: str | None
    """The environment it runs in."""
    previous_interaction_id: str | None
    """The interaction it continues."""
    status: str
    """Wire status."""
    request: dict[str, Any]
    """The create request body."""
    usage: dict[str, Any]
    """Wire Usage object; empty until the first model call is accounted."""
    errors: list[dict[str, Any]] | None
    """Wire `errors` list, when it failed."""
    warren_usage: dict[str, Any] | None = None
    """What its sandbox used while it ran (`orchestrator.sandbox.usage`); agent form only."""
    created: datetime
    """When it was accepted (UTC)."""
    updated: datetime
    """When its row, steps or events last changed (UTC)."""


_INSERT_INTERACTION = Prepared(insert(InteractionRow))  # compiled once: every create runs it
_INSERT_STEPS = Prepared(insert(StepRow))
_SELECT_INTERACTION = select(*(getattr(InteractionRow, name) for name in InteractionRecord.model_fields))


class InteractionRepository:
    """Create, read, list, update and delete interactions; every call is scoped to one tenant."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self, tenant: str, new: InteractionCreate, lease: tuple[str, float] | None = None
    ) -> InteractionRecord:
        """Store a new interaction, and its initial steps, under a fresh id; `lease` (replica id,
        seconds: PostgreSQL replicas only) leases it to its creator in the same transaction.

        Raises:
            ApprovalAnsweredError: `new.settles` was answered by another interaction; nothing is stored.
        """
        now = utcnow()
        values: dict[str, Any] = {
            "id": new_id("int"),
            "tenant": tenant,
            **new.model_dump(exclude={"steps", "settles"}),
            "usage": {},
            "errors": None,
            "next_step_seq": len(new.steps),
            "next_event_seq": 0,
            "warren_usage": None,  # the prepared insert names every column
            "created": now,
            "updated": now,
        }
        steps = [
            {"interaction_id": values["id"], "seq": seq, "tenant": tenant, "type": step_type(s), "payload": s}
            for seq, s in enumerate(new.steps)
        ]

        def insert_rows(conn: Connection) -> None:  # one round trip: this is every interaction's first write
            _INSERT_INTERACTION.executemany(conn, [values])
            _INSERT_STEPS.executemany(conn, [{**step, "created": now} for step in steps])
            if new.settles is not None:
                insert_answer(conn, new.settles, values["id"])
            if lease is not None:
                insert_lease(conn, values["id"], *lease)

        await self._db.run_write(insert_rows)
        counters = ("next_step_seq", "next_event_seq")
        return InteractionRecord.model_validate({k: v for k, v in values.items() if k not in counters})

    async def get(self, tenant: str, id: str) -> InteractionRecord | None:
        """The interaction, or None when this tenant has none with that id."""
        stmt = _SELECT_INTERACTION.where(InteractionRow.id == id, InteractionRow.tenant == tenant)
        row = await self._db.run_read(lambda conn: conn.execute(stmt).mappings().one_or_none())
        return None if row is None else InteractionRecord.model_validate(dict(row))

    async def list(
        self,
        tenant: str,
        *,
        environment_id: str | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
        status: str | None = None,
        agent: str | None = None,
        newest_first: bool = False,
    ) -> Page[InteractionRecord]:
        """One page of the tenant's interactions, oldest first (or newest first), optionally only
        those in one environment, of one status or of one agent.

        Raises:
            InvalidPageTokenError: `page_token` is not one this listing issued.
        """
        stmt = select(InteractionRow).where(InteractionRow.tenant == tenant)
        for column, wanted in (
            (InteractionRow.environment_id, environment_id),
            (InteractionRow.status, status),
            (InteractionRow.agent, agent),
        ):
            if wanted is not None:
                stmt = stmt.where(column == wanted)
        async with self._db.read() as session:
            rows, token = await fetch_page(
                session,
                stmt,
                InteractionRow.created,
                InteractionRow.id,
                page_size=page_size,
                page_token=page_token,
                newest_first=newest_first,
            )
            return Page(items=[InteractionRecord.model_validate(r) for r in rows], next_page_token=token)

    async def latest_agent(self, tenant: str, environment_id: str) -> str | None:
        """The agent of the environment's most recent agent interaction (one indexed row), or None."""
        stmt = (
            select(InteractionRow.agent)
            .where(
                InteractionRow.tenant == tenant,
                InteractionRow.environment_id == environment_id,
                InteractionRow.agent.is_not(None),
                InteractionRow.agent != "",
            )
            .order_by(InteractionRow.created.desc(), InteractionRow.id.desc())
            .limit(1)
        )
        return await self._db.run_read(lambda conn: conn.execute(stmt).scalar_one_or_none())

    async def continuation(self, tenant: str, environment_id: str, previous_id: str) -> str | None:
        """The id of an interaction in `environment_id` that continues `previous_id`, if any (an
        approval request is answered once); the environment index keeps it one tenant's rows."""
        stmt = (
            select(InteractionRow.id)
            .where(
                InteractionRow.tenant == tenant,
                InteractionRow.environment_id == environment_id,
                InteractionRow.previous_interaction_id == previous_id,
            )
            .limit(1)
        )
        async with self._db.read() as session:
            found = (await session.execute(stmt)).scalar_one_or_none()
        return None if found is None else str(found)

    async def update(self, tenant: str, id: str, change: InteractionUpdate) -> InteractionRecord:
        """Apply the fields set in `change` (status, usage, errors, environment).

        Raises:
            NotFoundError: no such interaction for this tenant.
        """
        async with self._db.write() as session:
            row = await session.get(InteractionRow, id, with_for_update=True)
            if row is None or row.tenant != tenant:
                raise NotFoundError("interaction", id)
            for field, value in change.model_dump(exclude_unset=True).items():
                setattr(row, field, value)
            row.updated = utcnow()
            await session.flush()
            return InteractionRecord.model_validate(row)

    async def delete(self, tenant: str, id: str) -> None:
        """Delete the interaction with its steps and events.

        Raises:
            NotFoundError: no such interaction for this tenant.
        """
        async with self._db.write() as session:
            gone = await session.scalar(
                delete(InteractionRow)
                .where(InteractionRow.tenant == tenant, InteractionRow.id == id)
                .returning(InteractionRow.id)
            )
            if gone is None:
                raise NotFoundError("interaction", id)

    async def unfinished(
        self, statuses: tuple[str, ...] = ("queued", "in_progress")
    ) -> builtins.list[InteractionRecord]:
        """Every tenant's interactions still marked running: for the scheduler's start-up reconcile.

        This is a cross-tenant read; never expose it through a tenant's API.
        """
        stmt = select(InteractionRow).where(InteractionRow.status.in_(statuses))
        async with self._db.read() as session:
            rows = (await session.scalars(stmt.order_by(InteractionRow.created))).all()
            return [InteractionRecord.model_validate(r) for r in rows]

"""Replicas and interaction leases: which `warren serve` process on a shared PostgreSQL runs what.

Every time is the database's clock (`now()`), so replicas never compare their own clocks. A lease
is claimed with one `INSERT ... ON CONFLICT DO UPDATE ... WHERE expires_at < now()`: PostgreSQL
re-checks the condition under the row lock, so of two claimers exactly one gets the row back. A
replica renews all of its leases in one statement with each heartbeat (not one write per
interaction), so a lease lapses exactly when its holder stops beating. Only a server on PostgreSQL
uses this; on SQLite one process owns everything and nothing here runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, literal, select, true, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import Interval

from orchestrator.store.db import Database
from orchestrator.store.models import InteractionRow
from orchestrator.store.replica_rows import InteractionLeaseRow, ReplicaRow

__all__ = ["UNFINISHED", "Beat", "LeaseLostError", "Leases", "ending_release", "insert_lease"]

UNFINISHED = ("queued", "in_progress")
"""The statuses of an interaction some replica must be running."""
_FORGET_REPLICAS_S = 3600.0
"""A replica row this long without a heartbeat is deleted (it is long dead)."""
_NOBODY = ""
"""The replica of a lapsed lease made only to carry a cancel request (`request_cancel`)."""


def _in(seconds: float) -> ColumnElement[datetime]:
    """`now() + seconds`, on the database's clock."""
    return func.now() + literal(timedelta(seconds=seconds), Interval())


def insert_lease(conn: Connection, interaction_id: str, replica_id: str, ttl_s: float) -> None:
    """Lease a new interaction to its creator, inside the transaction that inserts it."""
    conn.execute(
        insert(InteractionLeaseRow).values(
            interaction_id=interaction_id, replica_id=replica_id, expires_at=_in(ttl_s)
        )
    )


class LeaseLostError(RuntimeError):
    """The replica no longer holds the interaction's lease: another one took it over, so this
    replica must not store the interaction's ending (the transaction that tried is rolled back)."""


def ending_release(
    interaction_id: str, replica_id: str, then: Callable[[Connection], None] | None = None
) -> Callable[[Connection], None]:
    """Drop the lease inside the transaction that stores the interaction's ending (then write
    `then`'s rows); raises `LeaseLostError`, rolling that transaction back, when another replica
    holds the lease now."""
    held = InteractionLeaseRow
    stmt = (
        delete(held)
        .where(held.interaction_id == interaction_id, held.replica_id == replica_id)
        .returning(held.interaction_id)
    )

    def release(conn: Connection) -> None:
        if conn.execute(stmt).first() is None:
            raise LeaseLostError(f"interaction {interaction_id} is leased to another replica")
        if then is not None:
            then(conn)

    return release


@dataclass(frozen=True)
class Beat:
    """What a heartbeat found."""

    held: set[str]
    """The interactions the replica still holds (one missing was taken over while it stalled past
    its lease, or deleted or ended through another replica)."""
    cancel: set[str]
    """Those whose run must stop here: a cancel was requested through another replica, or the
    interaction was deleted through one (its lease went in this beat)."""


class Leases:
    """Heartbeats of replicas and the leases they hold (PostgreSQL only).

    Args:
        db: the database.
    """

    def __init__(self, db: Database) -> None:
        self._db = db

    async def beat(self, replica_id: str, host: str, ttl_s: float) -> Beat:
        """Register or refresh the replica and renew its leases for `ttl_s` seconds; the renewal
        also reads which of them another replica asked to cancel (no statement of its own)."""
        row = insert(ReplicaRow).values(id=replica_id, host=host, heartbeat_at=func.now())
        lease = InteractionLeaseRow
        async with self._db.write() as session:
            await session.execute(
                row.on_conflict_do_update(index_elements=["id"], set_={"heartbeat_at": func.now()})
            )
            await session.execute(
                delete(ReplicaRow).where(ReplicaRow.heartbeat_at < _in(-_FORGET_REPLICAS_S))
            )
            running = select(InteractionRow.id).where(
                InteractionRow.id == lease.interaction_id, InteractionRow.status.in_(UNFINISHED)
            )
            gone = await session.scalars(  # deleted (or ended) through another replica: nothing to hold
                delete(lease)
                .where(lease.replica_id.in_((replica_id, _NOBODY)), ~running.exists())
                .returning(lease.interaction_id)
            )
            stopped = set(gone.all())
            renewed = await session.execute(
                update(lease)
                .where(lease.replica_id == replica_id)
                .values(expires_at=_in(ttl_s))
                .returning(lease.interaction_id, lease.cancel_requested)
            )
            held = {id: cancel for id, cancel in renewed.all()}
            return Beat(set(held), stopped | {id for id, cancel in held.items() if cancel})

    async def request_cancel(self, interaction_id: str) -> bool:
        """Ask the replica holding the unfinished interaction's lease to cancel its run (its next
        heartbeat reads it); False when the interaction is not unfinished. One without a lease
        (its replica shut down) gets a lapsed one, so whoever claims it next cancels it."""
        lease = InteractionLeaseRow
        source = select(InteractionRow.id, literal(_NOBODY), func.now(), true()).where(
            InteractionRow.id == interaction_id, InteractionRow.status.in_(UNFINISHED)
        )
        stmt = (
            insert(lease)
            .from_select(["interaction_id", "replica_id", "expires_at", "cancel_requested"], source)
            .on_conflict_do_update(index_elements=["interaction_id"], set_={"cancel_requested": True})
            .returning(lease.interaction_id)
        )
        async with self._db.write() as session:
            return await session.scalar(stmt) is not None

    async def live(self, dead_after_s: float) -> dict[str, str]:
        """Replicas heard from in the last `dead_after_s` seconds: id -> host."""
        stmt = select(ReplicaRow.id, ReplicaRow.host).where(ReplicaRow.heartbeat_at >= _in(-dead_after_s))
        async with self._db.read() as session:
            return {id: host for id, host in (await session.execute(stmt)).all()}

    async def claim(self, interaction_id: str, replica_id: str, ttl_s: float) -> bool:
        """Take the interaction's lease if it has none, it lapsed, or the replica holds it already."""
        new = insert(InteractionLeaseRow).values(
            interaction_id=interaction_id, replica_id=replica_id, expires_at=_in(ttl_s)
        )
        held = InteractionLeaseRow
        stmt = new.on_conflict_do_update(
            index_elements=["interaction_id"],
            set_={"replica_id": new.excluded.replica_id, "expires_at": new.excluded.expires_at},
            where=(held.expires_at < func.now()) | (held.replica_id == new.excluded.replica_id),
        ).returning(held.replica_id)
        async with self._db.write() as session:
            return await session.scalar(stmt) == replica_id

    async def release(self, interaction_id: str, replica_id: str) -> None:
        """The interaction ended here: drop its lease (only if this replica still holds it)."""
        held = InteractionLeaseRow
        async with self._db.write() as session:
            await session.execute(
                delete(held).where(held.interaction_id == interaction_id, held.replica_id == replica_id)
            )

    async def orphaned(self, limit: int = 100) -> list[str]:
        """Unfinished interactions whose lease lapsed (or that never had one), oldest first."""
        lease = InteractionLeaseRow
        stmt = (
            select(InteractionRow.id)
            .outerjoin(lease, lease.interaction_id == InteractionRow.id)
            .where(InteractionRow.status.in_(UNFINISHED))
            .where(lease.interaction_id.is_(None) | (lease.expires_at < func.now()))
            .order_by(InteractionRow.created)
            .limit(limit)
        )
        async with self._db.read() as session:
            return list((await session.scalars(stmt)).all())

    async def retire(self, replica_id: str) -> None:
        """Clean shutdown: drop the replica and its leases, so another replica takes over at once."""
        async with self._db.write() as session:
            await session.execute(
                delete(InteractionLeaseRow).where(InteractionLeaseRow.replica_id == replica_id)
            )
            await session.execute(delete(ReplicaRow).where(ReplicaRow.id == replica_id))

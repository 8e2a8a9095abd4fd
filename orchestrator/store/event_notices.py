"""Wake-ups for streams that follow an interaction another process runs (replicas on PostgreSQL).

Each stored batch of events sends `NOTIFY warren_events, '<interaction id>'` in its own transaction
(`StepLog.append_batch`), so the notice goes out when the rows are visible. One `LISTEN` connection
per process turns notices into wake-ups of the streams waiting for that interaction; the stream then
reads the new rows from the store, so order and resumption are the store's. A notice can be lost (the
connection drops, a stream starts waiting just after one): waits are bounded, so the cost of a lost
notice is one poll interval. On SQLite there is nothing to listen to and a wait is that poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

__all__ = ["CHANNEL", "EventNotices"]

CHANNEL = "warren_events"
log = logging.getLogger("orchestrator.store")


def _set(event: asyncio.Event, _conn: object) -> None:
    event.set()


class EventNotices:
    """Waits for "new events of interaction X" notices, across processes on PostgreSQL.

    Args:
        url: the store's SQLAlchemy URL; the listener connects only when it is PostgreSQL and only
            once something waits.
    """

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        self._dsn = (
            parsed.set(drivername="postgresql").render_as_string(hide_password=False)
            if parsed.get_backend_name() == "postgresql"
            else None
        )
        self._waiting: dict[str, set[asyncio.Event]] = {}
        self._listener: asyncio.Task[None] | None = None

    async def wait(self, interaction_id: str, timeout_s: float) -> None:
        """Return at a notice for `interaction_id`, or after `timeout_s` without one."""
        if self._dsn is not None and self._listener is None:
            self._listener = asyncio.create_task(self._listen(self._dsn))
        woken = asyncio.Event()
        self._waiting.setdefault(interaction_id, set()).add(woken)
        try:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout_s):
                    await woken.wait()
        finally:
            waiters = self._waiting.get(interaction_id)
            if waiters is not None:
                waiters.discard(woken)
                if not waiters:
                    del self._waiting[interaction_id]

    def _notified(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        for woken in self._waiting.get(payload, ()):
            woken.set()

    async def _listen(self, dsn: str) -> None:
        """Hold one LISTEN connection from the first wait on; reconnect after a pause when it drops."""
        while True:
            try:
                conn = await asyncpg.connect(dsn, timeout=10)
            except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
                log.warning("event notices: cannot listen (%s); streams poll until it can", exc)
                await asyncio.sleep(5)
                continue
            lost = asyncio.Event()
            try:
                conn.add_termination_listener(functools.partial(_set, lost))
                await conn.add_listener(CHANNEL, self._notified)
                await lost.wait()
                log.warning("event notices: listener lost; reconnecting")
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("event notices: listener lost (%s)", exc)
            finally:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(conn.close(), 5)
            await asyncio.sleep(1)

    async def close(self) -> None:
        """Stop listening (the store is closing)."""
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listener

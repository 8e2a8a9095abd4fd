"""The turns running in this process, and what a runner's request about one of them finds.

A runner names its interaction in every request. The turn may be running here (the request is
served, and the runner counts as heard from), about to be resumed after a restart or left behind
by a shutting-down server (the runner is told to retry, or to keep working), or unknown (the runner
is told to stop). The table also holds, per interaction, the event that releases the runner's
`finish` once the interaction's final state is stored.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable

from agents.protocol import Control, WorkItem
from orchestrator.channel.errors import ChannelBusy, ChannelError
from orchestrator.channel.turn import Turn

__all__ = ["TurnTable"]


class TurnTable:
    """Running turns by interaction id, the ones expected back, and their commit events."""

    def __init__(self) -> None:
        self.running: dict[str, Turn] = {}
        self._expected: set[str] = set()
        self._committed: dict[str, asyncio.Event] = {}
        self.detached = False
        """Server shutdown: turns left running stay resumable, and their runners keep working."""

    def open(self, turn: Turn) -> None:
        """A turn starts (or resumes) here."""
        interaction_id = turn.work.interaction_id
        self.running[interaction_id] = turn
        self._expected.discard(interaction_id)
        self._committed[interaction_id] = asyncio.Event()

    def close(self, interaction_id: str) -> None:
        """The turn ended here (finished, failed, cancelled or detached)."""
        self.running.pop(interaction_id, None)

    def expect(self, interaction_ids: Iterable[str]) -> None:
        """These turns will be resumed: their runners' requests get "retry" until they open."""
        self._expected.update(interaction_ids)

    def commit(self, interaction_id: str) -> None:
        """The interaction's final state is stored: release the runner's `finish` call."""
        self._expected.discard(interaction_id)
        event = self._committed.pop(interaction_id, None)
        if event is not None:
            event.set()

    def committed(self, interaction_id: str) -> asyncio.Event | None:
        """What the runner's `finish` waits for, if the interaction's ending is not stored yet."""
        return self._committed.get(interaction_id)

    def _resuming(self, interaction_id: str) -> bool:
        return self.detached or interaction_id in self._expected

    def find(self, environment_id: str, interaction_id: str) -> Turn:
        """The turn a runner's request names; `ChannelBusy` (retry) or `ChannelError` (stop) if none."""
        turn = self.running.get(interaction_id)
        if turn is None and self._resuming(interaction_id):
            raise ChannelBusy(f"interaction {interaction_id!r} is being resumed; retry")
        if turn is None or turn.environment_id != environment_id:
            raise ChannelError(f"interaction {interaction_id!r} is not running in this environment")
        turn.seen = time.monotonic()
        return turn

    def control(self, environment_id: str, interaction_id: str) -> Control:
        """Whether the runner should stop working on the interaction."""
        turn = self.running.get(interaction_id)
        if turn is None and self._resuming(interaction_id):
            return Control(cancel=False)  # shutting down or resuming: the runner keeps working
        if turn is None or turn.environment_id != environment_id:
            return Control(cancel=True)  # unknown to us: the runner should stop working on it
        turn.seen = time.monotonic()
        return Control(cancel=turn.cancel.is_set())

    def take(self, work: WorkItem) -> bool:
        """Whether a queued turn still runs (a runner's poll takes it); skip it otherwise."""
        turn = self.running.get(work.interaction_id)
        if turn is None:  # cancelled while queued, or finished meanwhile
            return False
        turn.seen = time.monotonic()
        return True

    def tokens_of(self, tenant: str) -> int:
        """Tokens the tenant's running turns used so far."""
        return sum(
            turn.recorder.usage.total_tokens for turn in self.running.values() if turn.tenant == tenant
        )

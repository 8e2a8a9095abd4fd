"""Records one interaction as it happens: wire steps, SSE events and usage, stored in batches.

Every step and event goes to the live log at once (SSE subscribers are served from memory) and to
the store in one batch per step boundary, batches written in order in the background. A model
turn's `step.start` / `step.delta` / `step.stop` events and assembled steps are made by
`turn_steps`; the recorder numbers, keeps and stores them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from agents.model_types import ModelResponse, StreamEvent, Usage
from orchestrator.interactions.live import Event, LiveLog
from orchestrator.interactions.turn_steps import add_usage, assembled_steps, stream_turn

__all__ = ["Persist", "Recorder"]

Step = dict[str, Any]
Persist = Callable[[list[Step], list[Event], Usage | None], Awaitable[None]]
"""Stores a batch of new steps and events, and the interaction's usage so far when it changed."""


class Recorder:
    """Steps and events of one interaction.

    Args:
        log: the interaction's live log.
        persist: stores a batch of new steps and events (and the usage so far, when it changed, so a
            process that resumes the interaction after a restart counts on from it).
        first_index: index of the next step (after any stored input steps).
        inputs: those input steps, so the whole interaction can be answered from memory.
    """

    def __init__(
        self, log: LiveLog, persist: Persist, first_index: int, inputs: list[Step] | None = None
    ) -> None:
        self.log = log
        self._persist = persist
        self.index = first_index
        self._pending_steps: list[Step] = []
        self._tail: asyncio.Future[None] | None = None
        self.inputs: list[Step] = list(inputs or [])
        """The input steps stored with the interaction (indices `0..first_index-1`)."""
        self.steps: list[Step] = []
        """Every step recorded so far in this process (after the stored input steps)."""
        self.usage = Usage()
        """Tokens of every model turn of this interaction (seed it when resuming one)."""
        self.warren_usage: dict[str, float] | None = None
        """What its sandbox used (agent form), stored with the ending (`interactions.sandbox_watch`)."""
        self._usage_changed = False
        self.mcp_names: dict[str, tuple[str, str]] = {}
        """The interaction's MCP tools by model-facing name: their calls are `mcp_server_tool_call`s."""

    async def event(self, event_type: str, **payload: Any) -> Event:
        """Append one SSE event to the live log."""
        return await self.log.append(event_type, **payload)

    async def step(self, step: Step, *, flush: bool = True) -> int:
        """Record a whole step at once (tool results, input): start carries it, stop ends it.

        Args:
            flush: hand it to the store now; a caller recording several passes False and flushes once.
        """
        index = self.index
        self.index += 1
        await self.event("step.start", index=index, step=step)
        await self.event("step.stop", index=index)
        self._pending_steps.append(step)
        self.steps.append(step)
        if flush:
            await self.flush()
        return index

    async def flush(self) -> None:
        """Hand new steps and events to the store, in order, without waiting for the commit.

        Live readers are served from memory, so a step boundary need not wait for the database:
        batches are written one after another in the background, and `settle` waits for them.
        """
        usage = self.usage if self._usage_changed else None
        steps, events = self.drain()
        if steps or events or usage is not None:
            self._tail = asyncio.ensure_future(self._write_after(self._tail, steps, events, usage))

    async def _write_after(
        self,
        previous: asyncio.Future[None] | None,
        steps: list[Step],
        events: list[Event],
        usage: Usage | None,
    ) -> None:
        if previous is not None:
            await previous  # batches must commit in order: event ids are consecutive in the store
        await self._persist(steps, events, usage)

    async def settle(self) -> None:
        """Wait until every batch handed over so far is stored (raises if one failed)."""
        if self._tail is not None:
            await asyncio.shield(self._tail)

    def drain(self) -> tuple[list[Step], list[Event]]:
        """Take the steps and events not yet stored, for a caller that stores them (and the usage) itself."""
        steps, self._pending_steps = self._pending_steps, []
        self._usage_changed = False
        return steps, self.log.unflushed()

    async def model_turn(self, stream: AsyncIterator[StreamEvent], *, flush: bool = True) -> ModelResponse:
        """Consume a model stream, emitting steps as it goes (`turn_steps`); returns the final response.

        Args:
            flush: store the turn's steps and events at its end; a caller that ends the
                interaction right after passes False and stores them with the final status.
        """
        turn_start = self.index
        response = await stream_turn(self, stream)
        assembled = assembled_steps(response, self.mcp_names)
        self._pending_steps += assembled
        self.steps += assembled
        self.index = turn_start + len(assembled)  # stored indices follow the assembled steps
        self.usage = add_usage(self.usage, response.usage)
        self._usage_changed = True
        if flush:
            await self.flush()
        return response

"""Records one interaction as it happens: wire steps, SSE events, usage.

Model output arrives as a stream of neutral events; the recorder turns it into `step.start` /
`step.delta` / `step.stop` events (live, for SSE subscribers) and assembled steps (for `get`), and
hands both to the store in one batch per step boundary.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from agents.model_types import (
    ModelResponse,
    ResponseDone,
    StreamEvent,
    TextDelta,
    ThoughtDelta,
    ToolCallEvent,
    ToolCallPart,
    Usage,
    UsageEvent,
)
from orchestrator.interactions.history import CODE_TOOL, arguments_json
from orchestrator.interactions.live import Event, LiveLog

__all__ = ["Persist", "Recorder"]

Step = dict[str, Any]
Persist = Callable[[list[Step], list[Event], Usage | None], Awaitable[None]]
"""Stores a batch of new steps and events, and the interaction's usage so far when it changed."""


def call_step(call: ToolCallPart) -> Step:
    """The wire step of a model's tool call (`run_code` is a code execution on the wire)."""
    if call.name == CODE_TOOL:
        step: Step = {"type": "code_execution_call", "id": call.id, "arguments": dict(call.arguments)}
    else:
        step = {"type": "function_call", "id": call.id, "name": call.name, "arguments": dict(call.arguments)}
    if call.signature:
        step["signature"] = call.signature
    return step


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
        self._usage_changed = False

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
        """Consume a model stream, emitting steps as it goes; returns the final response.

        Args:
            flush: store the turn's steps and events at its end; a caller that ends the
                interaction right after passes False and stores them with the final status.
        """
        turn_start = self.index
        open_kind: str | None = None
        open_index = -1
        texts: dict[str, str] = {"thought": "", "model_output": ""}

        async def close() -> None:
            nonlocal open_kind
            if open_kind is not None:
                await self.event("step.stop", index=open_index)
                open_kind = None

        async def ensure(kind: str) -> None:
            nonlocal open_kind, open_index
            if open_kind != kind:
                await close()
                open_kind, open_index = kind, self.index
                self.index += 1
                initial: Step = {"type": "thought"} if kind == "thought" else {"type": kind, "content": []}
                await self.event("step.start", index=open_index, step=initial)

        response: ModelResponse | None = None
        async for item in stream:
            if isinstance(item, ThoughtDelta):
                await ensure("thought")
                texts["thought"] += item.text
                delta = {"type": "thought_summary", "content": {"type": "text", "text": item.text}}
                await self.event("step.delta", index=open_index, delta=delta)
            elif isinstance(item, TextDelta):
                await ensure("model_output")
                texts["model_output"] += item.text
                await self.event("step.delta", index=open_index, delta={"type": "text", "text": item.text})
            elif isinstance(item, ToolCallEvent):
                await close()
                await self._tool_call(item.call)
            elif isinstance(item, UsageEvent):
                continue
            elif isinstance(item, ResponseDone):
                response = item.response
        await close()
        if response is None:
            raise RuntimeError("the model stream ended without a final response")
        assembled = _assembled_steps(response)
        self._pending_steps += assembled
        self.steps += assembled
        self.index = turn_start + len(assembled)  # stored indices follow the assembled steps
        self.usage = _add(self.usage, response.usage)
        self._usage_changed = True
        if flush:
            await self.flush()
        return response

    async def _tool_call(self, call: ToolCallPart) -> None:
        index = self.index
        self.index += 1
        step = call_step(call)
        initial = {**step, "arguments": {}}
        await self.event("step.start", index=index, step=initial)
        if step["type"] == "code_execution_call":
            await self.event("step.delta", index=index, delta={"type": "code_execution_call", **_args(step)})
        else:
            delta = {"type": "arguments_delta", "arguments": arguments_json(call.arguments)}
            await self.event("step.delta", index=index, delta=delta)
        await self.event("step.stop", index=index)


def _args(step: Step) -> dict[str, Any]:
    return {"arguments": step["arguments"]}


def _assembled_steps(response: ModelResponse) -> list[Step]:
    """The steps `get` returns for one model turn: thoughts, text and calls in the model's order."""
    steps: list[Step] = []
    for part in response.parts:
        if part.type == "thought":
            thought: Step = {"type": "thought", "summary": [{"type": "text", "text": part.text}]}
            if part.signature:
                thought["signature"] = part.signature
            steps.append(thought)
        elif part.type == "text":
            if steps and steps[-1]["type"] == "model_output":
                steps[-1]["content"][0]["text"] += part.text
            else:
                steps.append({"type": "model_output", "content": [{"type": "text", "text": part.text}]})
        else:
            steps.append(call_step(part))
    return steps


def _add(a: Usage, b: Usage) -> Usage:
    return Usage(
        input_tokens=a.input_tokens + b.input_tokens,
        output_tokens=a.output_tokens + b.output_tokens,
        thought_tokens=a.thought_tokens + b.thought_tokens,
        total_tokens=a.total_tokens + b.total_tokens,
    )

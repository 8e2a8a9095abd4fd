"""One turn handed to a runner: its state while it runs, and where a resumed one stood.

A `Turn` is what the hub keeps per running interaction (the conversation the model has seen, its
answers and the calls they made, the results stored, the cancel flag, when the runner was last
heard). `Resumed` is the same ledger rebuilt from stored steps after a restart, so a retried step is
answered from the store instead of from a second model call.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from agents.model_types import Message, ModelResponse, TextPart, ThoughtPart, ToolCallPart
from agents.protocol import FinishReport, WorkItem
from orchestrator.channel.context import ModelContext
from orchestrator.channel.ports import ServerTools, TurnRecorder, Verdict
from orchestrator.observability import tracing

__all__ = ["Resumed", "Turn", "answers_of"]

_ANSWER_PARTS = (TextPart, ThoughtPart, ToolCallPart)


@dataclass
class Resumed:
    """Where a turn stood when the process that ran it died: rebuilt from the stored steps."""

    answers: list[ModelResponse]
    """The model's answers already stored in this interaction, one per step, in order."""
    reported: set[str]
    """Call ids whose results are already stored."""


@dataclass
class Turn:
    """A turn handed to a runner and not yet finished."""

    environment_id: str
    tenant: str
    model: str
    recorder: TurnRecorder
    work: WorkItem
    conversation: list[Message]
    finished: asyncio.Future[FinishReport]
    answers: list[ModelResponse] = field(default_factory=list)
    reported: set[str] = field(default_factory=set)
    issued: dict[str, str] = field(default_factory=dict)
    """Built-in tool calls the model made in this turn (call id -> tool name): the only results stored."""
    context: ModelContext | None = None
    cancel: asyncio.Event = field(default_factory=asyncio.Event)
    started: float = field(default_factory=time.monotonic)
    seen: float = field(default_factory=time.monotonic)
    """When the runner last asked anything about this turn (monotonic seconds)."""
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    trace: tracing.Context = field(default_factory=tracing.current)
    """The interaction's trace context where the turn began: steps and tool calls join it."""
    verdict: Verdict | None = None
    """Why the sandbox cut a failed tool call short, asked after each step that reports one."""
    server_tools: ServerTools | None = None
    """Tools the hub runs itself (`mcp_server`); their calls never reach the runner."""


def answers_of(
    conversation: Iterable[Message], server_tool: Callable[[str], bool] | None = None
) -> list[ModelResponse]:
    """The model's answers in a stored conversation, as responses a retried step can replay.

    With `server_tool` (the names the hub ran itself), an answer is what the runner was given: the
    hub's calls left out, and a model message that called only those (the hub asked the model again
    without the runner) is no answer at all.
    """
    answers = []
    for message in conversation:
        if message.role != "model":
            continue
        parts = [p for p in message.parts if isinstance(p, _ANSWER_PARTS)]
        if server_tool is not None:
            calls = [p for p in parts if isinstance(p, ToolCallPart)]
            ran_here = [c for c in calls if server_tool(c.name)]
            if ran_here and len(ran_here) == len(calls):
                continue
            parts = [p for p in parts if not (isinstance(p, ToolCallPart) and server_tool(p.name))]
        answers.append(ModelResponse(parts=parts))
    return answers

"""What the channel needs from the rest of the orchestrator, as small ports it owns.

The hub records a turn through a `TurnRecorder` and asks the composition root's callables for a
runner credential, the tenant's token quota and a sandbox revival. The interactions package drives
the hub and its `Recorder` satisfies `TurnRecorder` structurally, so the channel never imports
`interactions` and the two packages do not form a cycle.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Protocol

from agents.model_types import (
    ModelResponse,
    StreamEvent,
    ToolCallPart,
    ToolDeclaration,
    ToolResultPart,
    Usage,
)

__all__ = ["Issuer", "QuotaCheck", "Reviver", "ServerTools", "Step", "TurnRecorder", "Verdict"]

Step = dict[str, Any]
"""One wire step (the JSON of `spec/managed-agents-wire.md`), as the recorder stores it."""

Reviver = Callable[[], Awaitable[bool]]
"""Starts the environment's sandbox again if it no longer runs (its runner died with it); returns
whether it did."""
Issuer = Callable[[], Awaitable[str]]
"""Makes the credential a claim hands out (and makes every older one stop working)."""
Verdict = Callable[[], Awaitable[tuple[str, str] | None]]
"""Asked when a step reports a failed tool call: `(code, message)` when the sandbox shows why it died
(out of memory, process limit, disk full), which ends the interaction; None lets the model go on."""
QuotaCheck = Callable[[str, int], Awaitable[str | None]]
"""`(tenant, tokens its running turns used so far)` -> why the tenant may not make another model
call (its token quota is used up), or None."""


class TurnRecorder(Protocol):
    """Records one interaction's steps, events and usage, and stores them in batches."""

    @property
    def usage(self) -> Usage:
        """Tokens of every model turn of the interaction so far."""
        ...

    async def model_turn(self, stream: AsyncIterator[StreamEvent]) -> ModelResponse:
        """Record a model call's stream as events and steps, stored at its end; the assembled answer."""
        ...

    async def step(self, step: Step, *, flush: bool = True) -> int:
        """Record one step; `flush=False` keeps it pending until the next flush."""
        ...

    async def flush(self) -> None:
        """Hand what is pending to the store."""
        ...

    async def settle(self) -> None:
        """Wait until everything handed to the store is committed."""
        ...


class ServerTools(Protocol):
    """Tools the orchestrator runs itself during an agent's turn (`mcp_server` tools): the model is
    offered them beside the runner's, and the hub runs their calls before the runner sees the answer,
    so the runner, and the sandbox, never hold what they need (an MCP server's headers)."""

    @property
    def declarations(self) -> list[ToolDeclaration]:
        """What the model is offered."""
        ...

    def owns(self, name: str) -> bool:
        """Whether a call of `name` is run here, not by the runner."""
        ...

    async def run(self, call: ToolCallPart) -> tuple[Step, ToolResultPart]:
        """Run one call the model made: the wire result step, and the model's result; never raises
        for the tool's or its server's faults."""
        ...

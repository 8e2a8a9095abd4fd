"""Server-sent events (spec section 9): the JSON payloads, discriminated by `event_type`, and framing."""

from __future__ import annotations

import json
from typing import Annotated, Literal

from pydantic import Field

from .common import WireModel, to_wire
from .deltas import Delta
from .error_body import Error
from .interactions import InteractionStatus, ServiceTier
from .scalars import Timestamp
from .steps import Step
from .usage import Usage

__all__ = [
    "ErrorEvent",
    "EventInteraction",
    "InteractionCompletedEvent",
    "InteractionCreatedEvent",
    "InteractionSSEEvent",
    "InteractionStatusUpdate",
    "StepDelta",
    "StepDeltaMetadata",
    "StepStart",
    "StepStop",
    "encode_sse",
]


class EventInteraction(WireModel):
    """The interaction snapshot inside `interaction.created` and `interaction.completed`."""

    id: str
    """The interaction's id."""
    status: InteractionStatus
    """Where it stands."""
    object: Literal["interaction"] | None = None
    """Always `interaction` when set."""
    model: str | None = None
    """The model, for the model form."""
    agent: str | None = None
    """The agent, for the agent form."""
    created: Timestamp | None = None
    """When it was created."""
    updated: Timestamp | None = None
    """When it last changed."""
    service_tier: ServiceTier | None = None
    """The service tier."""
    steps: list[Step] | None = None
    """The assembled steps, if sent."""
    usage: Usage | None = None
    """Tokens used so far."""
    continuation_token: str | None = None
    """Only with `requires_continuation`."""


class _Event(WireModel):
    event_id: str | None = None
    """This event's id; `get(..., last_event_id=...)` resumes after it."""


class InteractionCreatedEvent(_Event):
    """The interaction exists; always the first event."""

    event_type: Literal["interaction.created"] = "interaction.created"
    """Always `interaction.created`."""
    interaction: EventInteraction
    """The new interaction."""


class InteractionStatusUpdate(_Event):
    """The interaction's status changed."""

    event_type: Literal["interaction.status_update"] = "interaction.status_update"
    """Always `interaction.status_update`."""
    interaction_id: str
    """The interaction."""
    status: InteractionStatus
    """The new status."""
    usage: Usage | None = None
    """Tokens used so far."""
    continuation_token: str | None = None
    """Only with `requires_continuation`."""


class StepStart(_Event):
    """A step opens at `index`."""

    event_type: Literal["step.start"] = "step.start"
    """Always `step.start`."""
    index: int
    """The step's position in the interaction."""
    step: Step
    """The step with its initial fields."""


class StepDeltaMetadata(WireModel):
    """Extra information on a delta."""

    total_usage: Usage | None = None
    """Tokens used so far by the interaction."""


class StepDelta(_Event):
    """An increment of the step open at `index`."""

    event_type: Literal["step.delta"] = "step.delta"
    """Always `step.delta`."""
    index: int
    """The step it applies to."""
    delta: Delta
    """The increment."""
    metadata: StepDeltaMetadata | None = None
    """Usage so far."""


class StepStop(_Event):
    """The step at `index` is complete."""

    event_type: Literal["step.stop"] = "step.stop"
    """Always `step.stop`."""
    index: int
    """The step that closed."""
    usage: Usage | None = None
    """Tokens used so far by the interaction."""
    step_usage: Usage | None = None
    """Tokens used by this step."""


class InteractionCompletedEvent(_Event):
    """The interaction reached a resting status; always the last event before `[DONE]`."""

    event_type: Literal["interaction.completed"] = "interaction.completed"
    """Always `interaction.completed`."""
    interaction: EventInteraction
    """The final snapshot: `completed`, `requires_action`, `failed`, `cancelled`, ..."""


class ErrorEvent(_Event):
    """A fault during the stream; the SDK yields it rather than raising."""

    event_type: Literal["error"] = "error"
    """Always `error`."""
    error: Error | None = None
    """What went wrong."""


InteractionSSEEvent = Annotated[
    InteractionCreatedEvent
    | InteractionStatusUpdate
    | StepStart
    | StepDelta
    | StepStop
    | InteractionCompletedEvent
    | ErrorEvent,
    Field(discriminator="event_type"),
]
"""One SSE payload, discriminated by `event_type`."""


def encode_sse(event: WireModel | None) -> str:
    """Frame one event as SSE text: `event:`/`id:` lines for generic clients, then `data:` and a blank line.

    Pass None for the closing `data: [DONE]` frame. The SDK reads only the JSON on the `data:` line.
    """
    if event is None:
        return "data: [DONE]\n\n"
    payload = to_wire(event)
    lines = []
    if isinstance(payload.get("event_type"), str):
        lines.append(f"event: {payload['event_type']}")
    event_id = payload.get("event_id")
    if isinstance(event_id, str) and not any(c in event_id for c in "\r\n\x00"):
        lines.append(f"id: {event_id}")
    lines.append("data: " + json.dumps(payload, separators=(",", ":"), ensure_ascii=False))
    return "\n".join(lines) + "\n\n"

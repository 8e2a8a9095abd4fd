"""What the step log stores and returns: one step, one SSE event, and where a batch landed.

Kept apart from the log's reads and writes so the interaction repository (which stores an
interaction's first steps with it) can name a step's kind without importing the log.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple

from orchestrator.store.records import Record

__all__ = ["EventRecord", "FirstNumbers", "StepRecord", "event_type", "step_type"]


class FirstNumbers(NamedTuple):
    """Where a batch landed: the numbers of its first step and first event, and its time."""

    step: int
    event: int
    created: datetime


class StepRecord(Record):
    """One stored step."""

    interaction_id: str
    """The interaction it belongs to."""
    seq: int
    """Its position in the interaction, from 0."""
    type: str
    """The wire step `type`, copied from the payload."""
    payload: dict[str, Any]
    """The whole wire Step object."""
    created: datetime
    """When it was appended (UTC)."""


class EventRecord(Record):
    """One stored SSE event."""

    interaction_id: str
    """The interaction it belongs to."""
    seq: int
    """Its position in the interaction's event log, from 0; the API derives `event_id` from it."""
    event_type: str
    """The wire `event_type`, copied from the payload."""
    payload: dict[str, Any]
    """The event JSON as sent (the API adds `event_id`)."""
    created: datetime
    """When it was appended (UTC)."""


def step_type(step: Mapping[str, Any]) -> str:
    """The wire step's `type`, kept in its own column.

    Raises:
        ValueError: the step has no string `type`.
    """
    return _kind(step, "type")


def event_type(event: Mapping[str, Any]) -> str:
    """The SSE event's `event_type`, kept in its own column.

    Raises:
        ValueError: the event has no string `event_type`.
    """
    return _kind(event, "event_type")


def _kind(obj: Mapping[str, Any], field: str) -> str:
    value = obj.get(field)
    if not isinstance(value, str) or not value:
        raise ValueError(f"missing string `{field}`")
    return value

"""Triggers on the wire (google-genai 3.6.1 `types/triggers`): create, update, Trigger, executions."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from .common import WireModel, field_error
from .interactions import CreateInteraction
from .scalars import ResourceId, Timestamp

__all__ = [
    "CreateTrigger",
    "Trigger",
    "TriggerExecution",
    "TriggerExecutionList",
    "TriggerList",
    "UpdateTrigger",
]

DisplayName = Annotated[str, Field(max_length=512)]


class CreateTrigger(WireModel):
    """The body of `POST /{v}/triggers`."""

    interaction: CreateInteraction
    """The agent interaction to create at each scheduled time (always in the background)."""
    schedule: str = Field(min_length=1, max_length=200)
    """A 5-field cron expression; at most once a minute."""
    time_zone: str = Field(min_length=1, max_length=64)
    """The IANA time zone the schedule is read in."""
    display_name: DisplayName | None = None
    """A name for people."""
    environment_id: ResourceId | None = None
    """The environment each execution's interaction runs in."""
    execution_timeout_seconds: int = Field(default=3600, ge=1, le=86400)
    """An execution still running after this long is cancelled and ends `timed_out`."""
    max_consecutive_failures: int = Field(default=5, ge=1, le=1000)
    """This many failed executions in a row set the trigger's status to `error`."""

    @model_validator(mode="after")
    def _background_only(self) -> CreateTrigger:
        if self.interaction.stream:
            raise field_error(self, ("interaction", "stream"), "a trigger's interaction cannot stream")
        if self.interaction.background is False:
            raise field_error(
                self, ("interaction", "background"), "a trigger's interaction runs in the background"
            )
        return self


class UpdateTrigger(WireModel):
    """The body of `PATCH /{v}/triggers/{id}`: rename, pause or resume."""

    display_name: DisplayName | None = None
    """The new display name."""
    status: Literal["active", "paused", "error"] | None = None
    """`paused` stops scheduled runs; `active` resumes (also out of `error`); `error` is the server's."""


class Trigger(WireModel):
    """A trigger as the API answers it."""

    id: str
    interaction: dict[str, object]
    schedule: str
    time_zone: str
    display_name: str | None = None
    environment_id: str | None = None
    execution_timeout_seconds: int | None = None
    max_consecutive_failures: int | None = None
    status: Literal["active", "paused", "error"]
    consecutive_failure_count: int
    next_run_time: Timestamp | None = None
    last_run_time: Timestamp | None = None
    last_pause_time: Timestamp | None = None
    last_resume_time: Timestamp | None = None
    previous_interaction_id: str | None = None
    """The interaction the latest execution created."""
    create_time: Timestamp
    update_time: Timestamp


class TriggerList(WireModel):
    """A page of triggers."""

    triggers: list[Trigger]
    next_page_token: str | None = None


class TriggerExecution(WireModel):
    """One run of a trigger."""

    id: str
    trigger_id: str
    status: Literal["in_progress", "completed", "failed", "skipped", "timed_out"]
    interaction_id: str | None = None
    environment_id: str | None = None
    error: str | None = None
    scheduled_time: Timestamp | None = None
    start_time: Timestamp | None = None
    end_time: Timestamp | None = None


class TriggerExecutionList(WireModel):
    """A page of a trigger's executions."""

    trigger_executions: list[TriggerExecution]
    next_page_token: str | None = None

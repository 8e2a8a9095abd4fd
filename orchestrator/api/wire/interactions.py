"""Interactions (spec section 7): the create request in both forms, its input, and the resource."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Tag, model_validator

from .agents import AntigravityAgentConfig, EnvironmentRef
from .common import WireModel, by_json_kind, field_error
from .content import CONTENT_TYPES, Content
from .error_body import Error
from .generation import GenerationConfig, ResponseFormats, SafetySetting, WebhookConfig
from .scalars import ModelName, Timestamp
from .steps import Step
from .tools import Tool
from .usage import Modality, Usage, WarrenUsage

__all__ = [
    "CreateInteraction",
    "Interaction",
    "InteractionInput",
    "InteractionStatus",
    "ServiceTier",
]

InteractionStatus = Literal[
    "in_progress",
    "requires_action",
    "completed",
    "failed",
    "cancelled",
    "incomplete",
    "budget_exceeded",
    "queued",
    "idle",
    "requires_continuation",
]
"""Where an interaction stands."""
ServiceTier = Literal["flex", "standard", "priority", "deferred"]
"""The requested service tier."""


def _type_of(item: Any) -> Any:
    return item.get("type") if isinstance(item, dict) else getattr(item, "type", None)


def _input_kind(value: Any) -> str | None:
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict | BaseModel):
        return "content"
    if isinstance(value, list | tuple):
        if value and all(_type_of(item) in CONTENT_TYPES for item in value):
            return "contents"
        return "steps"
    return None


InteractionInput = Annotated[
    Annotated[str, Tag("string")]
    | Annotated[Content, Tag("content")]
    | Annotated[list[Content], Tag("contents")]
    | Annotated[list[Step], Tag("steps")],
    by_json_kind("a string, a content object, or an array of content blocks or of steps", _input_kind),
]
"""`input`: a string, one content block, an array of content blocks, or an array of steps.

An array whose items are all content blocks is content (the SDK wraps such arrays as one `user_input`
step, so a server sees them mostly from other clients); any other array is read as steps.
"""


class CreateInteraction(WireModel):
    """The body of `POST /{v}/interactions`: exactly one of `model` (model form) or `agent` (agent form)."""

    model: ModelName | None = None
    """The model form: the model to call, e.g. `gemini:gemini-3-pro`."""
    agent: str | None = None
    """The agent form: the agent to run, e.g. `default` or a custom agent's id."""
    agent_config: AntigravityAgentConfig | None = None
    """Agent form only: model override and token budget."""
    input: InteractionInput | None = None
    """What the user sends; optional when continuing with `continuation_token`."""
    previous_interaction_id: str | None = None
    """Continue this stored interaction's conversation (and environment)."""
    system_instruction: str | None = None
    """Instructions placed before the conversation."""
    tools: list[Tool] | None = None
    """The tools the model may use."""
    environment: EnvironmentRef | None = None
    """The sandbox: an inline environment config or an existing environment's id."""
    background: bool | None = None
    """Answer at once with `in_progress`; the client polls or streams with `get`."""
    stream: bool | None = None
    """Answer with a server-sent event stream."""
    store: bool | None = None
    """Keep the interaction for `get` and `previous_interaction_id` (default true)."""
    service_tier: ServiceTier | None = None
    """The requested service tier."""
    response_format: ResponseFormats | None = None
    """The output format: one object or an array."""
    response_modalities: list[Modality] | None = None
    """Deprecated: the output modalities; use `response_format`."""
    response_mime_type: str | None = None
    """Deprecated: the output media type; use `response_format`."""
    generation_config: GenerationConfig | None = None
    """Model form only: sampling and output settings."""
    safety_settings: list[SafetySetting] | None = None
    """Harm thresholds."""
    labels: dict[str, str] | None = None
    """Free-form labels for billing and search."""
    webhook_config: WebhookConfig | None = None
    """Where to report the interaction's end."""
    cached_content: str | None = None
    """Deprecated, model form only: a cached-content resource."""
    continuation_token: str | None = None
    """Sent by the SDK to continue a `requires_continuation` interaction."""

    @model_validator(mode="after")
    def _one_form(self) -> CreateInteraction:
        if self.model is not None and self.agent is not None:
            raise field_error(self, ("agent",), "cannot be combined with 'model'; send exactly one of them")
        if self.model is None and self.agent is None:
            raise field_error(self, ("agent",), "one of 'agent' or 'model' is required")
        if self.model is not None and self.agent_config is not None:
            raise field_error(self, ("agent_config",), "only allowed with 'agent', not with 'model'")
        if self.agent is not None:
            for name in ("generation_config", "cached_content"):
                if getattr(self, name) is not None:
                    raise field_error(self, (name,), "only allowed with 'model', not with 'agent'")
        return self


class Interaction(WireModel):
    """An interaction: one turn of work and the steps it produced."""

    id: str
    """The interaction's id."""
    status: InteractionStatus
    """Where it stands."""
    model: str | None = None
    """The model, for the model form."""
    agent: str | None = None
    """The agent, for the agent form."""
    agent_config: AntigravityAgentConfig | None = None
    """The agent config it ran with."""
    created: Timestamp | None = None
    """When it was created."""
    updated: Timestamp | None = None
    """When it last changed."""
    steps: list[Step] | None = None
    """The steps of this turn, in order."""
    usage: Usage | None = None
    """Tokens used."""
    warren_usage: WarrenUsage | None = None
    """Warren's extension: what its sandbox used (agent form)."""
    environment: EnvironmentRef | None = None
    """The environment as requested."""
    environment_id: str | None = None
    """The environment it ran in."""
    previous_interaction_id: str | None = None
    """The interaction it continues."""
    system_instruction: str | None = None
    """Echo of the request."""
    tools: list[Tool] | None = None
    """Echo of the request."""
    generation_config: GenerationConfig | None = None
    """Echo of the request."""
    response_format: ResponseFormats | None = None
    """Echo of the request."""
    service_tier: ServiceTier | None = None
    """Echo of the request."""
    labels: dict[str, str] | None = None
    """Echo of the request."""
    safety_settings: list[SafetySetting] | None = None
    """Echo of the request."""
    webhook_config: WebhookConfig | None = None
    """Echo of the request."""
    input: InteractionInput | None = None
    """The input, only with `include_input=true`."""
    errors: list[Error] | None = None
    """Diagnostic faults, e.g. why it `failed`."""
    continuation_token: str | None = None
    """Only with `requires_continuation`."""

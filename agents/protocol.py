"""The runner <-> orchestrator channel: HTTP over the environment's Unix socket.

The orchestrator imports this module; it imports nothing from the orchestrator. Every endpoint takes
one request model and answers one response model, all defined here.

    GET  /runner/v1/work?wait_s=N   -> WorkItem (200) or nothing yet (204)   long poll for the next turn
    POST /runner/v1/model           ModelCall -> ModelCallResult              one model call via the gateway
    POST /runner/v1/tool-result     ToolResultReport -> Ack                   one executed tool call
    POST /runner/v1/finish          FinishReport -> Ack                       how the turn ended
    GET  /runner/v1/control?interaction_id=ID -> Control                      cancel requested?

Every request carries `Authorization: Bearer <per-environment token>`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from agents.model_types import (
    GenerationConfig,
    ImagePart,
    Message,
    ModelRequest,
    ModelResponse,
    ToolDeclaration,
)

__all__ = [
    "SOCKET_PATH",
    "Ack",
    "Budget",
    "Control",
    "FinishReport",
    "ModelCall",
    "ModelCallResult",
    "Outcome",
    "ToolResultReport",
    "WorkItem",
]

SOCKET_PATH = "/run/warren/orchestrator.sock"
"""Where the orchestrator's socket appears inside every sandbox."""
TOKEN_ENV = "WARREN_RUNNER_TOKEN"  # noqa: S105 (a variable name, not a secret)
"""Environment variable holding the per-environment token (not a model credential)."""
PREFIX = "/runner/v1"

Outcome = Literal["completed", "requires_action", "failed", "cancelled", "budget_exceeded"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Budget(_Model):
    """Limits on one interaction's loop; the first one reached ends it with `budget_exceeded`."""

    max_steps: int = 50
    """Most model calls in one interaction."""
    max_total_tokens: int | None = None
    """Most tokens (input + output) across the interaction's model calls."""
    max_wall_s: float = 1800.0
    """Most wall-clock seconds the loop may run."""


class WorkItem(_Model):
    """One turn of work for the runner: everything it needs to loop without asking again."""

    interaction_id: str
    """The interaction this turn belongs to."""
    system: str | None = None
    """The agent's system instruction (its base agents' first); the runner adds the skill index and a
    listing of the workspace."""
    messages: list[Message]
    """The conversation so far, ending with the new input."""
    tools: list[ToolDeclaration] = Field(default_factory=list)
    """The caller's client functions (the runner adds the built-ins' declarations itself)."""
    builtin_tools: list[str] = Field(default_factory=list)
    """Names of the built-in tools this agent may use (DESIGN.md section 3)."""
    client_tools: list[str] = Field(default_factory=list)
    """Names of client-side functions: calling one pauses the interaction as `requires_action`."""
    config: GenerationConfig = Field(default_factory=GenerationConfig)
    """Generation settings passed through to the model."""
    budget: Budget = Field(default_factory=Budget)
    """The loop's limits."""


class ModelCall(_Model):
    """Ask the orchestrator's gateway for the next model turn. The sandbox never holds a model key."""

    interaction_id: str
    """The interaction on whose behalf the call is made (steps are recorded there)."""
    request: ModelRequest
    """The neutral request."""


class ModelCallResult(_Model):
    """The model's answer, or word that the interaction was cancelled meanwhile."""

    response: ModelResponse | None = None
    """The neutral response; `None` when `cancelled`."""
    cancelled: bool = False
    """True when a cancel arrived; the runner stops at once."""
    error: str | None = None
    """Set when the model call failed for good (after retries); the runner finishes as `failed`."""


class ToolResultReport(_Model):
    """The result of one built-in tool call that the runner executed."""

    interaction_id: str
    """The interaction the call belongs to."""
    call_id: str
    """Id of the model's tool call."""
    name: str
    """Tool name."""
    output: str
    """Text result shown to the model."""
    is_error: bool = False
    """True when the tool failed; the model sees the error text."""
    images: list[ImagePart] = Field(default_factory=list)
    """Images for the model (screenshots, plots)."""
    files: list[str] = Field(default_factory=list)
    """Workspace paths the call created or changed."""
    duration_s: float = 0.0
    """How long the tool ran, in seconds."""


class FinishReport(_Model):
    """How the runner's loop ended for one interaction."""

    interaction_id: str
    """The interaction that ended."""
    outcome: Outcome
    """The ending."""
    error: str | None = None
    """What went wrong, for `failed` and `budget_exceeded`."""


class Ack(_Model):
    """Acknowledgement; `cancelled` tells the runner to stop early."""

    cancelled: bool = False
    """True when a cancel for this interaction is pending."""


class Control(_Model):
    """Control state of one interaction."""

    cancel: bool = False
    """True when the client cancelled the interaction."""

"""The runner <-> orchestrator channel: HTTP over the environment's Unix socket.

The orchestrator imports this module; it imports nothing from the orchestrator. Every endpoint takes
one request model and answers one response model, all defined here.

    GET  /runner/v1/work?wait_s=N   -> WorkItem (200) or nothing yet (204)   long poll for the next turn,
                                       or Park (202)                     or word of a pause
    POST /runner/v1/step            StepCall -> ModelCallResult               the last tool results, then
                                                                              the next model call
    POST /runner/v1/finish          FinishReport -> Ack                       how the turn ended
    GET  /runner/v1/control?interaction_id=ID -> Control                      cancel requested?
    POST /runner/v1/claim                   -> Claimed (200), refused (403)   the runner's credential
    POST /runner/v1/frames          Frame -> FrameAck                         the browser page, only
                                                                              while someone watches

Every request but `claim` carries `Authorization: Bearer <per-environment token>`. The token is
never in the sandbox's environment (where `docker exec` and every process would inherit it): the
orchestrator arms one claim just before it starts the sandbox, and the runner, its first process,
claims the token over the socket; any later claim is refused. The runner then makes itself
non-dumpable, so code of the same uid cannot read its memory or `/proc/<pid>/environ`.

The orchestrator, not the runner, decides what each model call carries: the system prompt is built
from the stored agent, the tools and generation settings are the agent's. The runner sends only
tool results (for calls the model made) and what only the sandbox can see (its workspace listing
and skill index), as bounded data the orchestrator renders.

One request per step keeps the loop's overhead low, and the orchestrator keeps the conversation, so
a step carries only what is new. A step is idempotent by its `turn` number: the orchestrator stores
the results and the model's answer before it replies, so a step retried after the orchestrator
restarted is answered from the store (no tool result stored twice, no tool call handed out twice).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from agents.model_types import GenerationConfig, ImagePart, ModelResponse, ToolCallPart, ToolDeclaration

__all__ = [
    "CA_SPKI_ENV",
    "EGRESS_SOCKET_ENV",
    "EGRESS_SOCKET_NAME",
    "FORWARDER_PORT",
    "POOLED_ENV",
    "SOCKET_ENV",
    "SOCKET_PATH",
    "Ack",
    "Budget",
    "Claimed",
    "Control",
    "FinishReport",
    "Frame",
    "FrameAck",
    "ModelCallResult",
    "Outcome",
    "Park",
    "SkillBrief",
    "StepCall",
    "StepContext",
    "ToolResultReport",
    "WorkItem",
]

SOCKET_PATH = "/run/warren/orchestrator.sock"
"""Where the orchestrator's socket appears inside every sandbox."""
SOCKET_ENV = "WARREN_SOCKET"
"""Environment variable naming the channel socket inside the sandbox (default `SOCKET_PATH`)."""
EGRESS_SOCKET_NAME = "egress.sock"
"""The egress proxy's socket file, beside the channel socket (`/run/warren/egress.sock` inside)."""
EGRESS_SOCKET_ENV = "WARREN_EGRESS_SOCKET"
"""Environment variable naming the egress socket inside the sandbox; the forwarder runs only when set."""
FORWARDER_PORT = 3128
"""The loopback port of the sandbox's forwarder, which `HTTP_PROXY`/`HTTPS_PROXY` point at."""
CA_SPKI_ENV = "WARREN_CA_SPKI"
"""Base64 SHA-256 of the Warren CA's public key: the agent's Chromium trusts chains holding that key."""
TOKEN_ENV = "WARREN_RUNNER_TOKEN"  # noqa: S105 (a variable name, not a secret)
"""Environment variable that must never reach model-run code (kept hidden from tools defensively:
the orchestrator no longer sets it; the runner claims its token over the socket)."""
POOLED_ENV = "WARREN_POOLED"
"""Set (to `1`) in a warm-pool sandbox: after its claim, the runner waits for its assignment."""
PREFIX = "/runner/v1"

# What one request may carry (issue 13, HIGH 5: a 400 MiB step grew the orchestrator by 1.1 GB). The
# orchestrator refuses a larger body with 413 as it streams, and a model past a field's cap with 422.
MAX_STEP_BYTES = 16 << 20
"""Bytes of one `step` or `finish` body. A model API takes about 20 MB of inline images per call, so
a step with more is useless; three 4 MiB screenshots (base64) and their text fit."""
MAX_OUTPUT_CHARS = 1 << 20
"""Characters of one tool result's text (the runner cuts its tools' output at 20,000 by default)."""
MAX_IMAGES = 32
"""Images one tool result may carry (plots a cell displayed, screenshots)."""
MAX_IMAGE_BYTES = 8 << 20
"""Bytes of one image (the file tools attach images up to 5 MiB; model APIs take 5-20 MB)."""
MAX_RESULTS = 128
"""Tool results one step or finish may report: the calls of one model answer."""
MAX_FILES = 1000
"""Workspace paths one tool result may name."""
MAX_ID_CHARS = 256
"""Characters of an interaction id, a call id or a tool name."""
MAX_ERROR_CHARS = 64 * 1024
"""Characters of the error text a runner reports with `finish`."""
MAX_FRAME_BYTES = 512 * 1024
"""Bytes of one frame of the agent's browser page (a JPEG at most 1024 px wide is about 100 KiB)."""
MAX_FRAME_CHARS = 4 * -(-MAX_FRAME_BYTES // 3)
"""Characters of one frame in base64."""

Outcome = Literal["completed", "requires_action", "failed", "cancelled", "budget_exceeded", "incomplete"]


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


class Claimed(_Model):
    """The runner's credential, handed out once per sandbox start."""

    token: str
    """The bearer token of every later request (a warm-pool sandbox's: of its `assignment` call)."""


class Park(_Model):
    """The idle sandbox is about to be paused with its memory (a gVisor checkpoint, which cannot
    save a connection to a host socket): close every channel connection and stay off the channel
    for up to `for_s` seconds, or until the sandbox was frozen and restored meanwhile."""

    for_s: float = Field(gt=0, le=60)
    """The longest the runner stays off the channel (the pause did not happen if it is still running)."""


class ApprovalRule(_Model):
    """A built-in tool call that must wait for a person's approval (`agent_config.require_approval`)."""

    tool: str = Field(max_length=256)
    """A regular expression searched in the tool's name."""
    arguments: str | None = Field(None, max_length=1024)
    """A regular expression searched in each of the call's string arguments; None: any call."""
    reason: str | None = Field(None, max_length=2000)
    """What the approval request says; None: which rule matched."""


class CarriedCall(_Model):
    """A call of the previous interaction's last model answer that waited for approval, or came after
    one that did: the runner settles these first, in order."""

    call: ToolCallPart
    """The model's call, as it made it."""
    decision: Literal["approved", "denied"] | None = None
    """The client's answer for the call that asked; None for the calls after it (checked as usual)."""
    reason: str | None = Field(None, max_length=2000)
    """Why it was denied, for the model."""


class ApprovalRequest(_Model):
    """The call the loop stopped before, waiting for a person's approval."""

    call_id: str = Field(max_length=MAX_ID_CHARS)
    """The model's call that must be approved."""
    reason: str = Field(max_length=2300)
    """Why approval is needed (the rule's reason, or the hook's)."""


class WorkItem(_Model):
    """One turn of work for the runner. The conversation stays with the orchestrator: the runner
    sends only what is new (tool results) with each step."""

    interaction_id: str
    """The interaction this turn belongs to."""
    system: str | None = None
    """The agent's system instruction (its base agents' first). The orchestrator composes the model
    request from it; the runner has no say in it."""
    tools: list[ToolDeclaration] = Field(default_factory=list)
    """The caller's client functions (the orchestrator adds the built-ins' declarations)."""
    builtin_tools: list[str] = Field(default_factory=list)
    """Names of the built-in tools this agent may use (DESIGN.md section 3)."""
    client_tools: list[str] = Field(default_factory=list)
    """Names of client-side functions: calling one pauses the interaction as `requires_action`."""
    config: GenerationConfig = Field(default_factory=GenerationConfig)
    """Generation settings of every model call (applied by the orchestrator)."""
    budget: Budget = Field(default_factory=Budget)
    """The loop's limits."""
    first_turn: int = Field(0, ge=0)
    """The step to start at: more than 0 when a restarted server hands over a turn whose earlier
    steps are stored (a runner that is still in the turn keeps its own count and skips this copy)."""
    hooks_fail_closed: bool = False
    """The operator's `WARREN_HOOKS_FAIL_CLOSED`: a tool hook that fails refuses its call (default:
    the hook is skipped, as Google's agents do)."""
    approval_rules: list[ApprovalRule] = Field(default_factory=list, max_length=64)
    """Calls that wait for a person's approval: the loop pauses as `requires_action` before one."""
    carried: list[CarriedCall] = Field(default_factory=list, max_length=MAX_RESULTS)
    """Calls left by the previous interaction's approval pause, settled before the first step."""


class ModelCallResult(_Model):
    """The model's answer, or word that the loop must end (cancel, budget, failure)."""

    response: ModelResponse | None = None
    """The neutral response; `None` when the loop must end."""
    cancelled: bool = False
    """True when a cancel arrived; the runner stops at once."""
    error: str | None = None
    """Set when the step failed for good (model error after retries, budget); the runner finishes
    with `ending` (default `failed`)."""
    ending: Outcome | None = None
    """How the loop must end when `error` is set, e.g. `budget_exceeded` (the orchestrator enforces
    the budgets: the sandbox is not trusted to)."""
    need_context: bool = False
    """The orchestrator lacks this interaction's context (it restarted): send the step again with it."""


def _image_fits(image: ImagePart) -> ImagePart:
    """Refuse an image past `MAX_IMAGE_BYTES` (the field holds the decoded bytes)."""
    if len(image.data) > MAX_IMAGE_BYTES:
        raise ValueError(f"image data is {len(image.data)} bytes; the limit is {MAX_IMAGE_BYTES}")
    return image


class ToolResultReport(_Model):
    """The result of one built-in tool call that the runner executed."""

    interaction_id: str = Field(max_length=MAX_ID_CHARS)
    """The interaction the call belongs to."""
    call_id: str = Field(max_length=MAX_ID_CHARS)
    """Id of the model's tool call."""
    name: str = Field(max_length=MAX_ID_CHARS)
    """Tool name."""
    output: str = Field(max_length=MAX_OUTPUT_CHARS)
    """Text result shown to the model."""
    is_error: bool = False
    """True when the tool failed; the model sees the error text."""
    images: list[Annotated[ImagePart, AfterValidator(_image_fits)]] = Field(
        default_factory=list, max_length=MAX_IMAGES
    )
    """Images for the model (screenshots, plots)."""
    files: list[Annotated[str, Field(max_length=4096)]] = Field(default_factory=list, max_length=MAX_FILES)
    """Workspace paths the call created or changed."""
    duration_s: float = 0.0
    """How long the tool ran, in seconds."""


class SkillBrief(_Model):
    """One skill of the sandbox's `/skills` index."""

    name: str = Field(max_length=64, pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
    """The skill's name (its folder)."""
    description: str = Field(max_length=1024)
    """Its SKILL.md description."""


class StepContext(_Model):
    """What only the sandbox can see, as data; the runner reads it once per turn of work.

    The orchestrator renders it under fixed headings after the agent's instruction: the runner
    cannot set the system prompt, the tools or the generation settings (extra fields are refused).
    """

    skills: list[SkillBrief] = Field(default_factory=list, max_length=256)
    """The skills mounted at `/skills`, then the workspace's `.agents/skills` (names and descriptions)."""
    workspace: list[Annotated[str, Field(max_length=4096)]] = Field(default_factory=list, max_length=256)
    """Up to 200 workspace paths, two levels deep, folders ending in `/` (`...` when cut short)."""
    instructions: str | None = Field(default=None, max_length=33 * 1024)
    """The workspace's `AGENTS.md` and `.agents/AGENTS.md`, each under its path (at most 32 KiB read)."""


class StepCall(_Model):
    """One step of the loop: the previous model call's tool results, then the next model call."""

    interaction_id: str = Field(max_length=MAX_ID_CHARS)
    """The interaction on whose behalf the step runs (steps are recorded there)."""
    turn: int = Field(ge=0, le=1 << 20)
    """0-based number of this model call in the turn of work: makes a retried step idempotent."""
    results: list[ToolResultReport] = Field(default_factory=list, max_length=MAX_RESULTS)
    """Results of the built-in tool calls of model call `turn - 1`, in call order."""
    context: StepContext | None = None
    """Sent with turn 0, and again when the orchestrator asks (`need_context`)."""


class FinishReport(_Model):
    """How the runner's loop ended for one interaction."""

    interaction_id: str = Field(max_length=MAX_ID_CHARS)
    """The interaction that ended."""
    outcome: Outcome
    """The ending."""
    error: str | None = Field(None, max_length=MAX_ERROR_CHARS)
    """What went wrong, for `failed` and `budget_exceeded`."""
    turn: int = Field(0, ge=0, le=1 << 20)
    """How many model calls the loop made (the next step's `turn`)."""
    results: list[ToolResultReport] = Field(default_factory=list, max_length=MAX_RESULTS)
    """Results of the last model call's built-in tool calls not yet reported (e.g. before a client
    function pauses the loop)."""
    approval: ApprovalRequest | None = None
    """With `requires_action`: the call the loop stopped before, waiting for approval."""


class Ack(_Model):
    """Acknowledgement; `cancelled` tells the runner to stop early."""

    cancelled: bool = False
    """True when a cancel for this interaction is pending."""


class Control(_Model):
    """Control state of one interaction."""

    cancel: bool = False
    """True when the client cancelled the interaction."""
    watched: bool = False
    """True when someone watches the environment's browser: the runner streams its page's frames."""


class Frame(_Model):
    """One frame of the agent's browser page, sent only while someone watches (at most a few a second).

    The orchestrator never decodes it: it checks the size and the JPEG start, keeps the latest frame
    of each environment in memory, and relays it to the watchers as an `image/jpeg`."""

    jpeg_b64: str = Field(max_length=MAX_FRAME_CHARS, pattern=r"^/9j/[A-Za-z0-9+/]*={0,2}$")
    """The JPEG, base64 (a JPEG starts with FF D8 FF, `/9j/` in base64)."""
    url: str = Field("", max_length=4096)
    """The page's URL when the frame was painted."""
    timestamp: float = 0.0
    """When the page painted it, in seconds since the Unix epoch."""


class FrameAck(_Model):
    """The answer to a frame."""

    watched: bool = False
    """False once nobody watches: the runner stops its screencast until a control poll says otherwise."""


# ---- the warm pool ---------------------------------------------------------------------------------
#
#     GET  /runner/v1/assignment?wait_s=N  -> Assignment (200), not yet (204), none (410)
#
# A warm-pool sandbox (`WARREN_POOLED=1`) is started before any environment exists: its runner
# claims the slot's secret (`claim`, as every runner does) and sends it as the bearer of this call.
# It long-polls its assignment, applies the variables to its own environment before any tool
# starts, switches to the runner token it was given, and then serves turns as usual. The first
# assignment carries the interaction's first turn when one follows at once (the sandbox was taken
# for an agent interaction): the runner runs it without a `GET /work`. A restarted pool sandbox
# (stop, resume) claims a fresh runner token and asks again with it.


class Assignment(_Model):
    """The settings of the environment a warm-pool sandbox now belongs to."""

    env: dict[str, str]
    """Variables the runner sets in its own environment before starting anything: the environment's
    `env` and the proxy variables of an allowlist (never a credential)."""
    token: str | None = None
    """The environment's runner token, for a slot's first assignment (kept in the runner's memory,
    never in its environment); None keeps the token the runner claimed."""
    skills_changed: bool = False
    """`/skills` was filled with the environment's own selection at the hand-over: what the runner
    read of it while it waited is stale (otherwise it shows the bundled skills it showed then)."""
    work: WorkItem | None = None
    """The turn the slot was taken for, when it was queued within a moment of the hand-over: the
    runner runs it before its first `GET /work` (one round trip through the sandbox fewer on a warm
    start's path). None: poll for work as usual."""

"""The neutral model request and response (DESIGN.md section 4), shared by the runner and the gateway.

It lives in `agents` because the runner builds requests and reads responses in this format; the
orchestrator's gateway translates it to and from each vendor's wire format.

The runner and the API speak only these models; each provider translates them to and from its
vendor's format, so swapping `gemini:` for `openai:` changes nothing above the gateway.
Every variant carries a literal `type`, so lists of parts and streams of events are
discriminated unions that round-trip through JSON unchanged (the runner sends them over a socket).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "FinishReason",
    "GenerationConfig",
    "ImagePart",
    "JsonValue",
    "Message",
    "MessagePart",
    "ModelRequest",
    "ModelResponse",
    "ResponseDone",
    "ResponsePart",
    "SafetySetting",
    "StreamEvent",
    "TextDelta",
    "TextPart",
    "ThinkingLevel",
    "ThoughtDelta",
    "ThoughtPart",
    "ToolCallEvent",
    "ToolCallPart",
    "ToolChoice",
    "ToolDeclaration",
    "ToolResultPart",
    "Usage",
    "UsageEvent",
]

JsonValue = dict[str, Any] | list[Any] | str | int | float | bool | None
"""Any JSON value: what a tool result may carry besides plain text."""

FinishReason = Literal["stop", "tool_calls", "max_tokens", "safety", "other"]
"""Why the model stopped, mapped from each vendor's own vocabulary."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", ser_json_bytes="base64", val_json_bytes="base64")


class TextPart(_Model):
    """Plain text, from the user or the model."""

    type: Literal["text"] = "text"
    """Discriminator."""
    text: str
    """The text itself."""
    signature: str | None = None
    """Opaque signature some vendors attach to model text (Gemini 3); sent back unchanged."""


class ImagePart(_Model):
    """An image given to the model inline (a screenshot, a plot)."""

    type: Literal["image"] = "image"
    """Discriminator."""
    mime_type: str
    """IANA type of `data`, e.g. `image/png`."""
    data: bytes
    """The raw image bytes (base64 in JSON)."""


class ThoughtPart(_Model):
    """The model's visible reasoning, kept in the history because vendors require it back."""

    type: Literal["thought"] = "thought"
    """Discriminator."""
    text: str
    """The thought summary or thinking text; may be empty when only a signature was issued."""
    signature: str | None = None
    """Opaque vendor signature (Gemini `thoughtSignature`, Anthropic thinking `signature`); it must
    round-trip byte for byte or the vendor rejects the history."""


class ToolCallPart(_Model):
    """The model asks for one tool to be run."""

    type: Literal["tool_call"] = "tool_call"
    """Discriminator."""
    id: str
    """Call id; the matching `ToolResultPart.call_id` carries it back."""
    name: str
    """Name of a declared tool."""
    arguments: dict[str, Any] = Field(default_factory=dict)
    """Arguments, already parsed from JSON (streamed fragments are assembled first)."""
    signature: str | None = None
    """Opaque vendor signature on the call (Gemini 3 puts the thought signature here)."""


class ToolResultPart(_Model):
    """What a tool returned, fed back to the model in the next user message."""

    type: Literal["tool_result"] = "tool_result"
    """Discriminator."""
    call_id: str
    """The `ToolCallPart.id` this answers."""
    name: str
    """The tool's name (Gemini matches results by name as well as id)."""
    output: JsonValue = ""
    """The result: text, or any JSON value."""
    images: list[ImagePart] = Field(default_factory=list)
    """Images the tool produced (a browser screenshot), shown to the model with the result."""
    is_error: bool = False
    """True when the tool failed; `output` then explains why."""


MessagePart = Annotated[
    TextPart | ImagePart | ThoughtPart | ToolCallPart | ToolResultPart, Field(discriminator="type")
]
"""Any part of a conversation message."""

ResponsePart = Annotated[TextPart | ThoughtPart | ToolCallPart, Field(discriminator="type")]
"""Any part a model may produce."""


class Message(_Model):
    """One turn of the conversation."""

    role: Literal["user", "model"]
    """`user` (input and tool results) or `model` (text, thoughts and tool calls)."""
    parts: list[MessagePart] = Field(default_factory=list)
    """The turn's content, in order."""


class ToolDeclaration(_Model):
    """A tool the model may call."""

    name: str
    """Model-facing name, e.g. `run_code`."""
    description: str = ""
    """What the tool does; the model reads this to choose it."""
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})
    """JSON schema of the arguments object."""


ThinkingLevel = Literal["minimal", "low", "medium", "high", "xhigh"]
"""How much the model reasons (the Interactions API's levels); each provider maps them its own way."""


class ToolChoice(_Model):
    """How the model may call tools: a mode, optionally restricted to some tool names."""

    mode: Literal["auto", "any", "none", "validated"] = "auto"
    """`auto` (may call), `any` (must call), `none` (must not), `validated` (Gemini: calls checked
    against their schemas)."""
    tools: list[str] | None = None
    """When set, only these declared tools may be called."""


class SafetySetting(_Model):
    """A blocking threshold for one harm category, in the Interactions API's lower-case names."""

    category: str
    """The harm category, e.g. `harassment`."""
    threshold: str
    """What to block, e.g. `block_only_high`."""
    method: str | None = None
    """How harm is scored (`severity` or `probability`); `None` is the vendor's default."""


class GenerationConfig(_Model):
    """Sampling and output settings; `None` leaves the vendor's default.

    A provider that cannot honour a setting says so in `ModelProvider.unsupported`, before the
    request is accepted: a setting is never silently dropped.
    """

    temperature: float | None = None
    """Sampling temperature."""
    max_output_tokens: int | None = None
    """Cap on generated tokens (Anthropic requires one; the provider fills a default)."""
    top_p: float | None = None
    """Nucleus sampling mass."""
    stop: list[str] = Field(default_factory=list)
    """Stop sequences."""
    response_schema: dict[str, Any] | None = None
    """JSON schema the answer must follow (structured output); implies `json_output`."""
    json_output: bool = False
    """The answer must be one JSON value (`response_mime_type: application/json`)."""
    seed: int | None = None
    """Sampling seed, for repeatable output."""
    tool_choice: ToolChoice | None = None
    """How the model may call tools; `None` is the vendor's default (auto)."""
    thinking_level: ThinkingLevel | None = None
    """How much the model reasons; `None` is the vendor's default."""
    safety_settings: list[SafetySetting] = Field(default_factory=list)
    """Harm thresholds (Gemini has them; others refuse them)."""

    @property
    def wants_json(self) -> bool:
        """True when the answer must be JSON (with or without a schema)."""
        return self.json_output or self.response_schema is not None

    thinking_budget: int | None = None
    """Tokens the model may spend thinking; `None` is the vendor default, 0 turns thinking off."""
    include_thoughts: bool = True
    """Ask the vendor to return thought summaries when it supports them."""


class ModelRequest(_Model):
    """Everything one model call needs: the neutral form every provider accepts."""

    system: str | None = None
    """System instruction."""
    messages: list[Message] = Field(default_factory=list)
    """The conversation so far, oldest first; the last is normally a user turn."""
    tools: list[ToolDeclaration] = Field(default_factory=list)
    """Tools the model may call."""
    config: GenerationConfig = Field(default_factory=GenerationConfig)
    """Sampling and output settings."""


class Usage(_Model):
    """Tokens one call consumed; the orchestrator sums these per interaction and per key."""

    input_tokens: int = 0
    """Prompt tokens (history, system and tools)."""
    output_tokens: int = 0
    """Visible output tokens, excluding thinking."""
    thought_tokens: int = 0
    """Thinking tokens, billed as output by the vendors."""
    total_tokens: int = 0
    """All of the above, as the vendor reports it (or their sum)."""

    def __add__(self, other: Usage) -> Usage:
        """Sum two usages, so accounting is `total = total + response.usage`."""
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            thought_tokens=self.thought_tokens + other.thought_tokens,
            total_tokens=self.total_tokens + other.total_tokens,
        )


class ModelResponse(_Model):
    """One model answer in neutral form."""

    parts: list[ResponsePart] = Field(default_factory=list)
    """Thoughts, text and tool calls in the order the model produced them."""
    usage: Usage = Field(default_factory=Usage)
    """Tokens this call consumed."""
    finish_reason: FinishReason = "stop"
    """Why the model stopped."""
    model: str = ""
    """The vendor's model name that answered."""

    @property
    def text(self) -> str:
        """All visible text joined: the answer a user sees."""
        return "".join(p.text for p in self.parts if isinstance(p, TextPart))

    @property
    def tool_calls(self) -> list[ToolCallPart]:
        """The tool calls in order."""
        return [p for p in self.parts if isinstance(p, ToolCallPart)]

    def as_message(self) -> Message:
        """This answer as a `model` turn, to append to the history (signatures included)."""
        return Message(role="model", parts=list(self.parts))


class TextDelta(_Model):
    """A piece of visible text as it streams."""

    type: Literal["text_delta"] = "text_delta"
    """Discriminator."""
    text: str
    """The new text; deltas concatenate to the final text."""


class ThoughtDelta(_Model):
    """A piece of thinking as it streams."""

    type: Literal["thought_delta"] = "thought_delta"
    """Discriminator."""
    text: str
    """The new thought text."""


class ToolCallEvent(_Model):
    """A complete tool call: streamed argument fragments are assembled before this is sent."""

    type: Literal["tool_call"] = "tool_call"
    """Discriminator."""
    call: ToolCallPart
    """The assembled call."""


class UsageEvent(_Model):
    """Token usage, once known (usually near the end of the stream)."""

    type: Literal["usage"] = "usage"
    """Discriminator."""
    usage: Usage
    """Usage so far for this call."""


class ResponseDone(_Model):
    """The last event of every stream: the whole answer, as `generate` would have returned it."""

    type: Literal["done"] = "done"
    """Discriminator."""
    response: ModelResponse
    """The complete response."""


StreamEvent = Annotated[
    TextDelta | ThoughtDelta | ToolCallEvent | UsageEvent | ResponseDone, Field(discriminator="type")
]
"""Any event of `ModelProvider.stream`."""

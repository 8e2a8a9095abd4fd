"""Steps (spec section 8): one typed action inside an interaction, discriminated by `type`."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from .common import WireModel
from .content import Content, ThoughtSummaryContent
from .results import CodeExecutionResult, ToolResult
from .server_steps import (
    FileSearchCallStep,
    FileSearchResultStep,
    GoogleMapsCallStep,
    GoogleMapsResultStep,
    GoogleSearchCallStep,
    GoogleSearchResultStep,
    MCPServerToolCallStep,
    MCPServerToolResultStep,
    ProcessingCallStep,
    ProcessingResultStep,
    RetrievalCallStep,
    RetrievalResultStep,
    ToolSearchCallStep,
    ToolSearchResultStep,
    URLContextCallStep,
    URLContextResultStep,
)

__all__ = [
    "STEP_TYPES",
    "CodeExecutionCallArguments",
    "CodeExecutionCallStep",
    "CodeExecutionResultStep",
    "FunctionCallStep",
    "FunctionResultStep",
    "ModelOutputStep",
    "Status",
    "Step",
    "ThoughtStep",
    "UserInputStep",
]


class Status(WireModel):
    """Why a model output failed: a google.rpc.Status."""

    code: int | None = None
    """A numeric status code."""
    message: str | None = None
    """What went wrong, for a developer."""
    details: list[dict[str, Any]] | None = None
    """Typed detail objects, each with an `@type`."""


class UserInputStep(WireModel):
    """The user's input for this turn."""

    type: Literal["user_input"] = "user_input"
    """Always `user_input`."""
    content: list[Content] | None = None
    """What the user sent."""


class ModelOutputStep(WireModel):
    """Content the model produced."""

    type: Literal["model_output"] = "model_output"
    """Always `model_output`."""
    content: list[Content] | None = None
    """The produced blocks; the SDK's `output_text` joins their text."""
    error: Status | None = None
    """Set when producing this output failed."""


class ThoughtStep(WireModel):
    """The model's reasoning, summarized."""

    type: Literal["thought"] = "thought"
    """Always `thought`."""
    signature: str | None = None
    """An opaque, base64-encoded signature to send back with the history."""
    summary: list[ThoughtSummaryContent] | None = None
    """A summary of the reasoning: text or images."""


class FunctionCallStep(WireModel):
    """The model calls a function: a client function (the interaction waits) or a built-in tool."""

    type: Literal["function_call"] = "function_call"
    """Always `function_call`."""
    id: str
    """The call's id; the matching `function_result` carries it as `call_id`."""
    name: str
    """The function's name."""
    arguments: dict[str, Any]
    """The arguments, a JSON object."""


class FunctionResultStep(WireModel):
    """The result of a function call, from the client or from a built-in tool."""

    type: Literal["function_result"] = "function_result"
    """Always `function_result`."""
    call_id: str
    """The `id` of the `function_call` this answers."""
    result: ToolResult
    """What the function returned: an object, a string or a list of content blocks."""
    name: str | None = None
    """The function's name."""
    is_error: bool | None = None
    """True when the function failed and `result` describes the failure."""


class CodeExecutionCallArguments(WireModel):
    """The code a code execution runs."""

    code: str | None = None
    """The source to run."""
    language: Literal["python", "bash"] | None = None
    """The language: a persistent Python kernel or a persistent bash session."""


class CodeExecutionCallStep(WireModel):
    """The model runs code in the sandbox."""

    type: Literal["code_execution_call"] = "code_execution_call"
    """Always `code_execution_call`."""
    id: str
    """The call's id; the result carries it as `call_id`."""
    arguments: CodeExecutionCallArguments
    """What to run."""
    signature: str | None = None
    """An opaque signature to send back with the history."""


class CodeExecutionResultStep(WireModel):
    """What running the code produced."""

    type: Literal["code_execution_result"] = "code_execution_result"
    """Always `code_execution_result`."""
    call_id: str
    """The `id` of the `code_execution_call` this answers."""
    result: CodeExecutionResult
    """The output: a string, or content blocks such as plots."""
    is_error: bool | None = None
    """True when the code failed."""
    signature: str | None = None
    """An opaque signature to send back with the history."""


Step = Annotated[
    UserInputStep
    | ModelOutputStep
    | ThoughtStep
    | FunctionCallStep
    | FunctionResultStep
    | CodeExecutionCallStep
    | CodeExecutionResultStep
    | GoogleSearchCallStep
    | GoogleSearchResultStep
    | URLContextCallStep
    | URLContextResultStep
    | MCPServerToolCallStep
    | MCPServerToolResultStep
    | FileSearchCallStep
    | FileSearchResultStep
    | GoogleMapsCallStep
    | GoogleMapsResultStep
    | RetrievalCallStep
    | RetrievalResultStep
    | ToolSearchCallStep
    | ToolSearchResultStep
    | ProcessingCallStep
    | ProcessingResultStep,
    Field(discriminator="type"),
]
"""One step, discriminated by `type`."""

STEP_TYPES = frozenset(
    {
        "user_input", "model_output", "thought", "function_call", "function_result", "code_execution_call",
        "code_execution_result", "google_search_call", "google_search_result", "url_context_call",
        "url_context_result", "mcp_server_tool_call", "mcp_server_tool_result", "file_search_call",
        "file_search_result", "google_maps_call", "google_maps_result", "retrieval_call", "retrieval_result",
        "tool_search_call", "tool_search_result", "processing_call", "processing_result",
    }
)  # fmt: skip
"""Every step `type` value."""

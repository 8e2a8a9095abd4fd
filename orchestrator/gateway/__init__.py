"""The model gateway: one neutral request and response in front of every model vendor.

    from orchestrator.gateway import ModelRequest, Message, TextPart, resolve
    provider = resolve("scripted:echo")  # or "gemini:gemini-3-pro", "openai:gpt-5", ...
    hello = Message(role="user", parts=[TextPart(text="hi")])
    response = await provider.generate(ModelRequest(messages=[hello]))

Model names are `provider:model` (see `registry.PROVIDERS`), or bare names the operator routes
(`routing.BareNames`: `gemini-3-flash-preview` goes to `gemini`). Vendor SDKs load only when used.
"""

from agents.model_types import (
    FinishReason,
    GenerationConfig,
    ImagePart,
    Message,
    MessagePart,
    ModelRequest,
    ModelResponse,
    ResponseDone,
    ResponsePart,
    StreamEvent,
    TextDelta,
    TextPart,
    ThoughtDelta,
    ThoughtPart,
    ToolCallEvent,
    ToolCallPart,
    ToolDeclaration,
    ToolResultPart,
    Usage,
    UsageEvent,
)
from orchestrator.gateway.errors import (
    GatewayError,
    ProviderError,
    ProviderTimeoutError,
    ScriptError,
    UnknownProviderError,
)
from orchestrator.gateway.provider import ModelProvider, ProviderCheck
from orchestrator.gateway.registry import PROVIDERS, ProviderRegistry, resolve, split_model_name
from orchestrator.gateway.retry import Retrier, RetryPolicy

__all__ = [
    "PROVIDERS",
    "FinishReason",
    "GatewayError",
    "GenerationConfig",
    "ImagePart",
    "Message",
    "MessagePart",
    "ModelProvider",
    "ModelRequest",
    "ModelResponse",
    "ProviderCheck",
    "ProviderError",
    "ProviderRegistry",
    "ProviderTimeoutError",
    "ResponseDone",
    "ResponsePart",
    "Retrier",
    "RetryPolicy",
    "ScriptError",
    "StreamEvent",
    "TextDelta",
    "TextPart",
    "ThoughtDelta",
    "ThoughtPart",
    "ToolCallEvent",
    "ToolCallPart",
    "ToolDeclaration",
    "ToolResultPart",
    "UnknownProviderError",
    "Usage",
    "UsageEvent",
    "resolve",
    "split_model_name",
]

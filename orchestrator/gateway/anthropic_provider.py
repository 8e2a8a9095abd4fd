"""The `anthropic` provider: Anthropic messages with tool use, thinking and streaming.

`ANTHROPIC_API_KEY` and `ANTHROPIC_BASE_URL` are the SDK's own settings. The SDK's retries are off
(`max_retries=0`). Streaming reads the raw event stream (`message_start`, `content_block_*`,
`message_delta`) and assembles tool inputs from their `input_json_delta` fragments.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from agents.model_types import (
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
    Usage,
    UsageEvent,
)
from orchestrator.gateway import anthropic_wire as wire
from orchestrator.gateway.errors import ProviderError, redact, vendor_message
from orchestrator.gateway.openai_wire import parse_arguments
from orchestrator.gateway.provider import ProviderCheck
from orchestrator.gateway.retry import Retrier, RetryPolicy, is_retryable_status, retry_after_s

if TYPE_CHECKING:
    import anthropic

__all__ = ["AnthropicProvider"]


def _block_part(block: Any) -> ResponsePart | None:
    kind = getattr(block, "type", None)
    if kind == "text":
        return TextPart(text=block.text)
    if kind == "thinking":
        return ThoughtPart(text=block.thinking, signature=block.signature or None)
    if kind == "tool_use":
        return ToolCallPart(id=block.id, name=block.name, arguments=dict(block.input or {}))
    return None


class AnthropicProvider:
    """Claude models behind the neutral format."""

    name = "anthropic"

    def __init__(
        self,
        model: str,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.model = model
        self._api_key = api_key
        self._base_url = base_url
        self._retrier = Retrier(policy)
        self._client_cache: anthropic.AsyncAnthropic | None = None

    def __repr__(self) -> str:
        return f"AnthropicProvider(model={self.model!r})"

    @property
    def _secrets(self) -> list[str | None]:
        return [self._api_key, os.environ.get("ANTHROPIC_API_KEY")]

    def _client(self) -> anthropic.AsyncAnthropic:
        """The SDK client, made on first use so a missing key is a call error, not an import one."""
        if self._client_cache is None:
            import anthropic

            key = self._api_key or os.environ.get("ANTHROPIC_API_KEY")
            if not key:
                raise ProviderError(self.name, None, "not configured: set ANTHROPIC_API_KEY")
            self._client_cache = anthropic.AsyncAnthropic(
                api_key=key,
                base_url=self._base_url,
                max_retries=0,
                timeout=self._retrier.policy.call_timeout_s + 5,
            )
        return self._client_cache

    def _translate(self, exc: BaseException) -> ProviderError:
        import anthropic

        if isinstance(exc, anthropic.APIStatusError):
            status = exc.status_code
            return ProviderError(
                self.name,
                status,
                redact(vendor_message(exc.body, exc.message), self._secrets),
                retryable=is_retryable_status(status),
                retry_after_s=retry_after_s(dict(exc.response.headers)),
            )
        detail = redact(str(exc) or type(exc).__name__, self._secrets)
        return ProviderError(self.name, None, f"connection failed: {detail}", retryable=True)

    async def generate(self, request: ModelRequest) -> ModelResponse:
        """One `messages.create` call, retried under the policy."""
        import anthropic

        client = self._client()
        params = wire.build_params(request, self.model)

        async def attempt() -> Any:
            try:
                return await client.messages.create(**params)
            except anthropic.APIError as exc:
                raise self._translate(exc) from None

        raw = await self._retrier.run(self.name, attempt)
        parts = [p for p in (_block_part(b) for b in raw.content) if p is not None]
        has_calls = any(isinstance(p, ToolCallPart) for p in parts)
        return ModelResponse(
            parts=parts,
            usage=wire.usage(raw.usage),
            finish_reason=wire.finish_reason(raw.stop_reason, has_calls),
            model=raw.model or self.model,
        )

    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]:
        """The raw SSE event stream as neutral events."""
        import anthropic

        client = self._client()
        params = {**wire.build_params(request, self.model), "stream": True}

        async def events() -> AsyncIterator[Any]:
            try:
                async for event in await client.messages.create(**params):
                    yield event
            except anthropic.APIError as exc:
                raise self._translate(exc) from None

        blocks: dict[int, dict[str, Any]] = {}
        parts: list[ResponsePart] = []
        start_usage: Any = None
        output_tokens: int | None = None
        stop_reason: str | None = None
        model = self.model
        async for event in self._retrier.stream(self.name, events):
            kind = event.type
            if kind == "message_start":
                start_usage, model = event.message.usage, event.message.model or model
            elif kind == "content_block_start":
                block = event.content_block
                blocks[event.index] = {"block": block, "text": [], "json": [], "signature": None}
            elif kind == "content_block_delta":
                slot, delta = blocks[event.index], event.delta
                if delta.type == "text_delta":
                    slot["text"].append(delta.text)
                    yield TextDelta(text=delta.text)
                elif delta.type == "thinking_delta":
                    slot["text"].append(delta.thinking)
                    yield ThoughtDelta(text=delta.thinking)
                elif delta.type == "signature_delta":
                    slot["signature"] = delta.signature
                elif delta.type == "input_json_delta":
                    slot["json"].append(delta.partial_json)
            elif kind == "content_block_stop":
                part = self._finish_block(blocks.pop(event.index))
                if part is not None:
                    parts.append(part)
                    if isinstance(part, ToolCallPart):
                        yield ToolCallEvent(call=part)
            elif kind == "message_delta":
                stop_reason = event.delta.stop_reason or stop_reason
                output_tokens = event.usage.output_tokens if event.usage else output_tokens
        usage = wire.usage(start_usage, output_tokens) if start_usage is not None else Usage()
        yield UsageEvent(usage=usage)
        has_calls = any(isinstance(p, ToolCallPart) for p in parts)
        response = ModelResponse(
            parts=parts, usage=usage, finish_reason=wire.finish_reason(stop_reason, has_calls), model=model
        )
        yield ResponseDone(response=response)

    @staticmethod
    def _finish_block(slot: dict[str, Any]) -> ResponsePart | None:
        block = slot["block"]
        kind = getattr(block, "type", None)
        if kind == "text":
            return TextPart(text=(block.text or "") + "".join(slot["text"]))
        if kind == "thinking":
            signature = slot["signature"] or getattr(block, "signature", None) or None
            return ThoughtPart(text=(block.thinking or "") + "".join(slot["text"]), signature=signature)
        if kind == "tool_use":
            fragments = "".join(slot["json"])
            arguments = parse_arguments(fragments) if fragments else dict(block.input or {})
            return ToolCallPart(id=block.id, name=block.name, arguments=arguments)
        return None

    async def check(self) -> ProviderCheck:
        """`GET /v1/models/{model}`: proves the key, the URL and the model name in one cheap call."""
        import anthropic

        checker = Retrier(RetryPolicy(max_attempts=1, call_timeout_s=15, deadline_s=15))
        try:
            client = self._client()

            async def attempt() -> Any:
                try:
                    return await client.models.retrieve(self.model)
                except anthropic.APIError as exc:
                    raise self._translate(exc) from None

            await checker.run(self.name, attempt)
        except ProviderError as exc:
            return ProviderCheck(provider=self.name, model=self.model, ok=False, detail=str(exc))
        return ProviderCheck(provider=self.name, model=self.model, ok=True, detail="model found")

"""The `anthropic` provider: Anthropic messages with tool use, thinking and streaming.

`ANTHROPIC_API_KEY` and `ANTHROPIC_BASE_URL` are the SDK's own settings. The SDK's retries are off
(`max_retries=0`). Streaming reads the raw event stream (`message_start`, `content_block_*`,
`message_delta`) and assembles tool inputs from their `input_json_delta` fragments.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from agents.model_types import ModelRequest, ModelResponse, StreamEvent, ToolCallPart
from orchestrator.gateway import anthropic_response as wire
from orchestrator.gateway.anthropic_request import build_params, unsupported
from orchestrator.gateway.anthropic_stream import assemble
from orchestrator.gateway.anthropic_structured import structured_stream, unwrap
from orchestrator.gateway.errors import ProviderError
from orchestrator.gateway.probe import probe
from orchestrator.gateway.provider import ProviderCheck, Unsupported
from orchestrator.gateway.retry import Retrier, RetryPolicy
from orchestrator.gateway.vendor_errors import connection_error, status_error, vendor_message

if TYPE_CHECKING:
    import anthropic

__all__ = ["AnthropicProvider"]


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
            message = vendor_message(exc.body, exc.message)
            return status_error(
                self.name, exc.status_code, message, dict(exc.response.headers), self._secrets
            )
        return connection_error(self.name, exc, self._secrets)

    def unsupported(self, request: ModelRequest) -> list[Unsupported]:
        """Messages has no seed and no safety settings; see `anthropic_request.unsupported` for the rest."""
        return unsupported(request)

    async def generate(self, request: ModelRequest) -> ModelResponse:
        """One `messages.create` call, retried under the policy."""
        import anthropic

        client = self._client()
        params = build_params(request, self.model)

        async def attempt() -> Any:
            try:
                return await client.messages.create(**params)
            except anthropic.APIError as exc:
                raise self._translate(exc) from None

        raw = await self._retrier.run(self.name, attempt)
        parts = [p for p in (wire.block_part(b) for b in raw.content) if p is not None]
        has_calls = any(isinstance(p, ToolCallPart) for p in parts)
        response = ModelResponse(
            parts=parts,
            usage=wire.usage(raw.usage),
            finish_reason=wire.finish_reason(raw.stop_reason, has_calls),
            model=raw.model or self.model,
        )
        return unwrap(response, request.config)

    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]:
        """The raw SSE event stream as neutral events."""
        import anthropic

        client = self._client()
        params = {**build_params(request, self.model), "stream": True}

        async def events() -> AsyncIterator[Any]:
            try:
                async for event in await client.messages.create(**params):
                    yield event
            except anthropic.APIError as exc:
                raise self._translate(exc) from None

        assembled = assemble(self._retrier.stream(self.name, events), self.model)
        async for event in structured_stream(assembled, request.config):
            yield event

    async def check(self) -> ProviderCheck:
        """`GET /v1/models/{model}`: proves the key, the URL and the model name in one cheap call."""
        import anthropic

        async def attempt() -> str:
            client = self._client()
            try:
                await client.models.retrieve(self.model)
            except anthropic.APIError as exc:
                raise self._translate(exc) from None
            return "model found"

        return await probe(self.name, self.model, attempt)

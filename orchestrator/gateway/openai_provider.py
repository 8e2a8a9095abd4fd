"""The `openai` provider: OpenAI chat completions, and every server that speaks them.

`OPENAI_API_KEY` and `OPENAI_BASE_URL` are the SDK's own settings, so a local model is one URL
away (`OPENAI_BASE_URL=http://localhost:11434/v1` for Ollama, `http://localhost:8000/v1` for vLLM,
then `openai:qwen3`); a local server needs no key. The SDK's retries are off (`max_retries=0`).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from agents.model_types import ModelRequest, ModelResponse, StreamEvent, ToolCallPart
from orchestrator.gateway import openai_response as wire
from orchestrator.gateway.errors import ProviderError
from orchestrator.gateway.openai_request import build_params, unsupported
from orchestrator.gateway.openai_stream import assemble
from orchestrator.gateway.probe import probe
from orchestrator.gateway.provider import ProviderCheck, Unsupported
from orchestrator.gateway.retry import Retrier, RetryPolicy
from orchestrator.gateway.vendor_errors import connection_error, status_error, vendor_message

if TYPE_CHECKING:
    import openai

__all__ = ["OpenAIProvider"]

_LOCAL_KEY = "no-key-needed"
"""Sent to a custom base URL when no key is set: local servers ignore it, the SDK insists on one."""


class OpenAIProvider:
    """OpenAI (or an OpenAI-compatible server) behind the neutral format."""

    name = "openai"

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
        self._base_url = base_url or os.environ.get("OPENAI_BASE_URL") or None
        self._retrier = Retrier(policy)
        self._client_cache: openai.AsyncOpenAI | None = None

    def __repr__(self) -> str:
        return f"OpenAIProvider(model={self.model!r}, base_url={self._base_url!r})"

    @property
    def _secrets(self) -> list[str | None]:
        return [self._api_key, os.environ.get("OPENAI_API_KEY")]

    def _client(self) -> openai.AsyncOpenAI:
        """The SDK client, made on first use so a missing key is a call error, not an import one."""
        if self._client_cache is None:
            import openai

            key = self._api_key or os.environ.get("OPENAI_API_KEY")
            if key is None and self._base_url is None:
                raise ProviderError(
                    self.name, None, "not configured: set OPENAI_API_KEY (or OPENAI_BASE_URL)"
                )
            self._client_cache = openai.AsyncOpenAI(
                api_key=key or _LOCAL_KEY,
                base_url=self._base_url,
                max_retries=0,
                timeout=self._retrier.policy.call_timeout_s + 5,
            )
        return self._client_cache

    def _translate(self, exc: BaseException) -> ProviderError:
        import openai

        if isinstance(exc, openai.APIStatusError):
            message = vendor_message(exc.body, exc.message)
            return status_error(
                self.name, exc.status_code, message, dict(exc.response.headers), self._secrets
            )
        return connection_error(self.name, exc, self._secrets)

    def _params(self, request: ModelRequest) -> dict[str, Any]:
        return build_params(request, self.model, official=self._base_url is None)

    def unsupported(self, request: ModelRequest) -> list[Unsupported]:
        """Chat completions has no safety settings and no `validated` tool mode."""
        return unsupported(request)

    async def generate(self, request: ModelRequest) -> ModelResponse:
        """One chat completion, retried under the policy."""
        import openai

        client = self._client()
        params = self._params(request)

        async def attempt() -> Any:
            try:
                return await client.chat.completions.create(**params)
            except openai.APIError as exc:
                raise self._translate(exc) from None

        raw = await self._retrier.run(self.name, attempt)
        choice = raw.choices[0] if raw.choices else None
        parts = wire.message_parts(choice.message if choice else None)
        has_calls = any(isinstance(p, ToolCallPart) for p in parts)
        return ModelResponse(
            parts=parts,
            usage=wire.usage(raw.usage),
            finish_reason=wire.finish_reason(choice.finish_reason if choice else None, has_calls),
            model=raw.model or self.model,
        )

    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]:
        """A streamed completion as neutral events; tool-call fragments are assembled first."""
        import openai

        client = self._client()
        params = {**self._params(request), "stream": True, "stream_options": {"include_usage": True}}

        async def chunks() -> AsyncIterator[Any]:
            try:
                async for chunk in await client.chat.completions.create(**params):
                    yield chunk
            except openai.APIError as exc:
                raise self._translate(exc) from None

        async for event in assemble(self._retrier.stream(self.name, chunks), self.model):
            yield event

    async def check(self) -> ProviderCheck:
        """`GET /models/{model}`: proves the key, the URL and the model name in one cheap call.

        Compatible servers without that route (vLLM and llama.cpp answer 404) are asked for
        `GET /models` instead, and the model must be in the list.
        """
        import openai

        async def attempt() -> str:
            client = self._client()
            try:
                try:
                    await client.models.retrieve(self.model)
                except openai.NotFoundError:
                    if self._base_url is None:
                        raise
                    return await self._listed(client)
            except openai.APIError as exc:
                raise self._translate(exc) from None
            return f"model found at {self._base_url or 'api.openai.com'}"

        return await probe(self.name, self.model, attempt)

    async def _listed(self, client: openai.AsyncOpenAI) -> str:
        """The model in a compatible server's `GET /models` (`qwen3` matches Ollama's `qwen3:latest`)."""
        served = [model.id async for model in client.models.list()]
        if self.model in served or f"{self.model}:latest" in served:
            return f"model listed at {self._base_url}"
        offered = ", ".join(served[:20]) or "none"
        raise ProviderError(
            self.name, 404, f"model {self.model!r} is not served at {self._base_url}; it serves: {offered}"
        )

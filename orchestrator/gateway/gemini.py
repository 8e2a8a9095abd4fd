"""The `gemini` provider, through google-genai (`client.aio.models.generate_content[_stream]`).

Configuration is the SDK's own: `GEMINI_API_KEY` / `GOOGLE_API_KEY`, `GOOGLE_GEMINI_BASE_URL`,
and Vertex AI through `GOOGLE_GENAI_USE_VERTEXAI`, `GOOGLE_CLOUD_PROJECT`, `GOOGLE_CLOUD_LOCATION`.
The SDK's retries are off (`attempts=1`); `Retrier` owns retrying.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from google.genai import errors as ge

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
from orchestrator.gateway import gemini_wire as wire
from orchestrator.gateway.errors import ProviderError, redact
from orchestrator.gateway.provider import ProviderCheck
from orchestrator.gateway.retry import Retrier, RetryPolicy, is_retryable_status, retry_after_s

if TYPE_CHECKING:
    from google import genai
    from google.genai import types as gt

__all__ = ["GeminiProvider"]

_KEY_VARS = ("GEMINI_API_KEY", "GOOGLE_API_KEY")


def _transport_errors() -> tuple[type[BaseException], ...]:
    """Connection-level exception classes of both HTTP stacks the SDK may use."""
    import httpx

    found: list[type[BaseException]] = [httpx.TransportError]
    try:
        import httpx2  # type: ignore[import-not-found,unused-ignore]

        found.append(httpx2.TransportError)
    except ImportError:  # pragma: no cover - depends on the installed SDK
        pass
    return tuple(found)


class GeminiProvider:
    """Gemini models (Gemini API or Vertex AI) behind the neutral format."""

    name = "gemini"

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
        self._client_cache: genai.Client | None = None
        self._catch: tuple[type[BaseException], ...] = (ge.APIError, *_transport_errors())

    def __repr__(self) -> str:
        return f"GeminiProvider(model={self.model!r})"

    @property
    def _secrets(self) -> list[str | None]:
        return [self._api_key, *(os.environ.get(v) for v in _KEY_VARS)]

    def _client(self) -> genai.Client:
        """The SDK client, made on first use so a missing key is a call error, not an import one."""
        if self._client_cache is None:
            from google import genai
            from google.genai import types as gt

            options = gt.HttpOptions(base_url=self._base_url, retry_options=gt.HttpRetryOptions(attempts=1))
            try:
                self._client_cache = genai.Client(api_key=self._api_key, http_options=options)
            except ValueError as exc:
                message = redact(str(exc), self._secrets)
                raise ProviderError(self.name, None, f"not configured: {message}") from None
        return self._client_cache

    def _translate(self, exc: BaseException) -> ProviderError:
        if isinstance(exc, ge.APIError):
            headers = getattr(exc.response, "headers", None)
            message = exc.message or exc.status or "no message"
            return ProviderError(
                self.name,
                exc.code,
                redact(message, self._secrets),
                retryable=is_retryable_status(exc.code),
                retry_after_s=retry_after_s(dict(headers) if headers is not None else None),
            )
        detail = redact(str(exc) or type(exc).__name__, self._secrets)
        return ProviderError(self.name, None, f"connection failed: {detail}", retryable=True)

    def _call_args(self, request: ModelRequest) -> dict[str, Any]:
        timeout_ms = int((self._retrier.policy.call_timeout_s + 5) * 1000)
        return {
            "model": self.model,
            "contents": wire.build_contents(request.messages),
            "config": wire.build_config(request, timeout_ms=timeout_ms),
        }

    async def generate(self, request: ModelRequest) -> ModelResponse:
        """One `generateContent` call, retried under the policy."""
        client = self._client()
        args = self._call_args(request)

        async def attempt() -> gt.GenerateContentResponse:
            try:
                return await client.aio.models.generate_content(**args)
            except self._catch as exc:
                raise self._translate(exc) from None

        raw = await self._retrier.run(self.name, attempt)
        parts: list[ResponsePart] = []
        candidate = raw.candidates[0] if raw.candidates else None
        for sdk_part in (candidate.content.parts if candidate and candidate.content else None) or []:
            neutral = wire.to_neutral(sdk_part)
            if neutral is not None:
                wire.merge_part(parts, neutral)
        return ModelResponse(
            parts=parts,
            usage=wire.usage(raw.usage_metadata),
            finish_reason=wire.finish_reason(candidate.finish_reason if candidate else None, parts),
            model=raw.model_version or self.model,
        )

    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]:
        """`streamGenerateContent` (SSE) as neutral events; retried only before the first chunk."""
        client = self._client()
        args = self._call_args(request)

        async def chunks() -> AsyncIterator[gt.GenerateContentResponse]:
            try:
                async for chunk in await client.aio.models.generate_content_stream(**args):
                    yield chunk
            except self._catch as exc:
                raise self._translate(exc) from None

        parts: list[ResponsePart] = []
        usage = Usage()
        finish: object = None
        model = self.model
        async for chunk in self._retrier.stream(self.name, chunks):
            candidate = chunk.candidates[0] if chunk.candidates else None
            for sdk_part in (candidate.content.parts if candidate and candidate.content else None) or []:
                neutral = wire.to_neutral(sdk_part)
                if neutral is None:
                    continue
                if isinstance(neutral, ThoughtPart) and neutral.text:
                    yield ThoughtDelta(text=neutral.text)
                elif isinstance(neutral, TextPart) and neutral.text:
                    yield TextDelta(text=neutral.text)
                elif isinstance(neutral, ToolCallPart):
                    yield ToolCallEvent(call=neutral)
                wire.merge_part(parts, neutral)
            if candidate is not None and candidate.finish_reason is not None:
                finish = candidate.finish_reason
            if chunk.usage_metadata is not None:
                usage = wire.usage(chunk.usage_metadata)
            model = chunk.model_version or model
        yield UsageEvent(usage=usage)
        response = ModelResponse(
            parts=parts, usage=usage, finish_reason=wire.finish_reason(finish, parts), model=model
        )
        yield ResponseDone(response=response)

    async def check(self) -> ProviderCheck:
        """`GET models/{model}`: proves the key, the URL and the model name in one cheap call."""
        checker = Retrier(RetryPolicy(max_attempts=1, call_timeout_s=15, deadline_s=15))
        try:
            client = self._client()

            async def attempt() -> gt.Model:
                try:
                    return await client.aio.models.get(model=self.model)
                except self._catch as exc:
                    raise self._translate(exc) from None

            found = await checker.run(self.name, attempt)
        except ProviderError as exc:
            return ProviderCheck(provider=self.name, model=self.model, ok=False, detail=str(exc))
        return ProviderCheck(
            provider=self.name, model=self.model, ok=True, detail=f"model {found.name or self.model} found"
        )

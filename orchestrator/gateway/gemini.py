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

from agents.model_types import ModelRequest, ModelResponse, ResponsePart, StreamEvent
from orchestrator.gateway import gemini_response as wire
from orchestrator.gateway.errors import ProviderError
from orchestrator.gateway.gemini_request import build_config, build_contents, unsupported
from orchestrator.gateway.gemini_stream import assemble
from orchestrator.gateway.probe import probe
from orchestrator.gateway.provider import ProviderCheck, Unsupported
from orchestrator.gateway.retry import Retrier, RetryPolicy
from orchestrator.gateway.vendor_errors import connection_error, redact, status_error

if TYPE_CHECKING:
    from google import genai
    from google.genai import types as gt

__all__ = ["GeminiProvider"]

_KEY_VARS = ("GEMINI_API_KEY", "GOOGLE_API_KEY")


def _transport_errors() -> tuple[type[BaseException], ...]:
    """Connection-level exception classes of every HTTP stack the SDK may use: the SDK's async client
    switches to aiohttp whenever aiohttp is importable (another package may have installed it)."""
    import httpx

    found: list[type[BaseException]] = [httpx.TransportError]
    try:
        import httpx2  # type: ignore[import-not-found,unused-ignore]

        found.append(httpx2.TransportError)
    except ImportError:  # pragma: no cover - depends on the installed SDK
        pass
    try:
        import aiohttp  # type: ignore[import-not-found,unused-ignore]

        found.append(aiohttp.ClientError)
    except ImportError:  # pragma: no cover - depends on what else is installed
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
            found = dict(headers) if headers is not None else None
            return status_error(self.name, exc.code, message, found, self._secrets)
        return connection_error(self.name, exc, self._secrets)

    def _call_args(self, request: ModelRequest) -> dict[str, Any]:
        timeout_ms = int((self._retrier.policy.call_timeout_s + 5) * 1000)
        return {
            "model": self.model,
            "contents": build_contents(request.messages),
            "config": build_config(request, timeout_ms=timeout_ms),
        }

    def unsupported(self, request: ModelRequest) -> list[Unsupported]:
        """Gemini honours every neutral setting, within the limits `gemini_request.unsupported` names."""
        vertex = os.environ.get("GOOGLE_GENAI_USE_VERTEXAI", "").lower() in ("1", "true")
        return unsupported(request, vertex=vertex)

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
        for sdk_part in wire.candidate_parts(candidate):
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

        async for event in assemble(self._retrier.stream(self.name, chunks), self.model):
            yield event

    async def check(self) -> ProviderCheck:
        """`GET models/{model}`: proves the key, the URL and the model name in one cheap call."""

        async def attempt() -> str:
            client = self._client()
            try:
                found = await client.aio.models.get(model=self.model)
            except self._catch as exc:
                raise self._translate(exc) from None
            return f"model {found.name or self.model} found"

        return await probe(self.name, self.model, attempt)

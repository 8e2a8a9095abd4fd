"""The `openai` provider: OpenAI chat completions, and every server that speaks them.

`OPENAI_API_KEY` and `OPENAI_BASE_URL` are the SDK's own settings, so a local model is one URL
away (`OPENAI_BASE_URL=http://localhost:11434/v1` for Ollama, `http://localhost:8000/v1` for vLLM,
then `openai:qwen3`); a local server needs no key. The SDK's retries are off (`max_retries=0`).
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
from orchestrator.gateway import openai_wire as wire
from orchestrator.gateway.errors import ProviderError, redact, vendor_message
from orchestrator.gateway.provider import ProviderCheck
from orchestrator.gateway.retry import Retrier, RetryPolicy, is_retryable_status, retry_after_s

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
            status = exc.status_code
            message = vendor_message(exc.body, exc.message)
            return ProviderError(
                self.name,
                status,
                redact(message, self._secrets),
                retryable=is_retryable_status(status),
                retry_after_s=retry_after_s(dict(exc.response.headers)),
            )
        detail = redact(str(exc) or type(exc).__name__, self._secrets)
        return ProviderError(self.name, None, f"connection failed: {detail}", retryable=True)

    def _params(self, request: ModelRequest) -> dict[str, Any]:
        return wire.build_params(request, self.model, official=self._base_url is None)

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
        parts: list[ResponsePart] = []
        message = choice.message if choice else None
        if message is not None:
            reasoning = wire.reasoning_of(message)
            if reasoning:
                parts.append(ThoughtPart(text=reasoning))
            if message.content:
                parts.append(TextPart(text=message.content))
            for call in message.tool_calls or []:
                function = getattr(call, "function", None)
                if function is not None:
                    parts.append(
                        ToolCallPart(
                            id=call.id, name=function.name, arguments=wire.parse_arguments(function.arguments)
                        )
                    )
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

        thought, text = [], []
        calls: dict[int, dict[str, Any]] = {}
        usage, finish, model = Usage(), None, self.model
        async for chunk in self._retrier.stream(self.name, chunks):
            model = chunk.model or model
            if chunk.usage is not None:
                usage = wire.usage(chunk.usage)
            for choice in chunk.choices or []:
                delta = choice.delta
                finish = choice.finish_reason or finish
                reasoning = wire.reasoning_of(delta)
                if reasoning:
                    thought.append(reasoning)
                    yield ThoughtDelta(text=reasoning)
                if delta.content:
                    text.append(delta.content)
                    yield TextDelta(text=delta.content)
                for frag in delta.tool_calls or []:
                    slot = calls.setdefault(frag.index, {"id": None, "name": "", "args": []})
                    slot["id"] = frag.id or slot["id"]
                    if frag.function is not None:
                        slot["name"] += frag.function.name or ""
                        slot["args"].append(frag.function.arguments or "")
        parts: list[ResponsePart] = []
        if thought:
            parts.append(ThoughtPart(text="".join(thought)))
        if text:
            parts.append(TextPart(text="".join(text)))
        for index in sorted(calls):
            slot = calls[index]
            call = ToolCallPart(
                id=slot["id"] or f"call_{index}",
                name=slot["name"],
                arguments=wire.parse_arguments("".join(slot["args"])),
            )
            parts.append(call)
            yield ToolCallEvent(call=call)
        yield UsageEvent(usage=usage)
        response = ModelResponse(
            parts=parts, usage=usage, finish_reason=wire.finish_reason(finish, bool(calls)), model=model
        )
        yield ResponseDone(response=response)

    async def check(self) -> ProviderCheck:
        """`GET /models/{model}`: proves the key, the URL and the model name in one cheap call.

        Compatible servers without that route (vLLM and llama.cpp answer 404) are asked for
        `GET /models` instead, and the model must be in the list.
        """
        import openai

        checker = Retrier(RetryPolicy(max_attempts=1, call_timeout_s=15, deadline_s=15))
        try:
            client = self._client()

            async def attempt() -> str:
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

            detail = await checker.run(self.name, attempt)
        except ProviderError as exc:
            return ProviderCheck(provider=self.name, model=self.model, ok=False, detail=str(exc))
        return ProviderCheck(provider=self.name, model=self.model, ok=True, detail=detail)

    async def _listed(self, client: openai.AsyncOpenAI) -> str:
        """The model in a compatible server's `GET /models` (`qwen3` matches Ollama's `qwen3:latest`)."""
        served = [model.id async for model in client.models.list()]
        if self.model in served or f"{self.model}:latest" in served:
            return f"model listed at {self._base_url}"
        offered = ", ".join(served[:20]) or "none"
        raise ProviderError(
            self.name, 404, f"model {self.model!r} is not served at {self._base_url}; it serves: {offered}"
        )

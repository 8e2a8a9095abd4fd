"""The provider seam and the registry that turns `provider:model` names into providers.

Providers share no code beyond the retry policy, so the seam is a `Protocol`. Vendor SDKs are
imported lazily by each factory: a deployment that only uses `scripted:` never loads them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from agents.model_types import ModelRequest, ModelResponse, StreamEvent
from orchestrator.gateway.errors import UnknownProviderError
from orchestrator.gateway.retry import RetryPolicy

__all__ = [
    "PROVIDERS",
    "ModelProvider",
    "ProviderCheck",
    "ProviderFactory",
    "ProviderRegistry",
    "resolve",
    "split_model_name",
]


class ProviderCheck(BaseModel):
    """The outcome of `ModelProvider.check`: a line of `warren models`."""

    model_config = ConfigDict(extra="forbid")

    provider: str
    """Provider name, e.g. `openai`."""
    model: str
    """Model name as configured."""
    ok: bool
    """True when the key and URL answered."""
    detail: str
    """What was checked, or why it failed (never a credential)."""


@runtime_checkable
class ModelProvider(Protocol):
    """One model behind one vendor API, speaking the gateway's neutral format."""

    name: str
    """Provider name (`gemini`, `openai`, `anthropic`, `scripted`)."""
    model: str
    """The vendor's model name (the part after `provider:`)."""

    async def generate(self, request: ModelRequest) -> ModelResponse:
        """Answer `request` in one piece. Raises `ProviderError` when the call fails for good."""
        ...

    def stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]:
        """Answer `request` as deltas, ending with one `ResponseDone` carrying the whole answer."""
        ...

    async def check(self) -> ProviderCheck:
        """One cheap call that proves the key and URL work; never raises for a vendor failure."""
        ...


ProviderFactory = Callable[[str, RetryPolicy | None], ModelProvider]
"""Builds a provider for a model name under an optional retry policy."""


def _scripted(model: str, policy: RetryPolicy | None) -> ModelProvider:
    from orchestrator.gateway.scripted import ScriptedProvider

    return ScriptedProvider(model)


def _gemini(model: str, policy: RetryPolicy | None) -> ModelProvider:
    from orchestrator.gateway.gemini import GeminiProvider

    return GeminiProvider(model, policy=policy)


def _openai(model: str, policy: RetryPolicy | None) -> ModelProvider:
    from orchestrator.gateway.openai_provider import OpenAIProvider

    return OpenAIProvider(model, policy=policy)


def _anthropic(model: str, policy: RetryPolicy | None) -> ModelProvider:
    from orchestrator.gateway.anthropic_provider import AnthropicProvider

    return AnthropicProvider(model, policy=policy)


PROVIDERS: dict[str, ProviderFactory] = {
    "anthropic": _anthropic,
    "gemini": _gemini,
    "openai": _openai,
    "scripted": _scripted,
}
"""Every provider Warren knows, by the prefix of a model name."""


def split_model_name(full_name: str) -> tuple[str, str]:
    """Split `gemini:gemini-3-pro` into (`gemini`, `gemini-3-pro`); only the first colon counts."""
    provider, sep, model = full_name.partition(":")
    if not sep or not provider or not model:
        raise UnknownProviderError(
            f"model name {full_name!r} must look like 'provider:model'; "
            f"providers: {', '.join(sorted(PROVIDERS))}"
        )
    return provider, model


class ProviderRegistry:
    """Resolves model names to providers, reusing one instance (and one HTTP client) per name."""

    def __init__(
        self, factories: dict[str, ProviderFactory] | None = None, policy: RetryPolicy | None = None
    ) -> None:
        self._factories = dict(PROVIDERS if factories is None else factories)
        self._policy = policy
        self._cache: dict[str, ModelProvider] = {}

    @property
    def names(self) -> list[str]:
        """The provider prefixes this registry accepts."""
        return sorted(self._factories)

    def resolve(self, full_name: str) -> ModelProvider:
        """The provider for `provider:model`. Raises `UnknownProviderError` naming the valid ones."""
        cached = self._cache.get(full_name)
        if cached is not None:
            return cached
        provider, model = split_model_name(full_name)
        factory = self._factories.get(provider)
        if factory is None:
            raise UnknownProviderError(
                f"unknown model provider {provider!r} in {full_name!r}; "
                f"valid providers: {', '.join(self.names)}"
            )
        instance = factory(model, self._policy)
        self._cache[full_name] = instance
        return instance


_default = ProviderRegistry()


def resolve(full_name: str) -> ModelProvider:
    """The process-wide provider for a model name such as `gemini:gemini-3-pro` or `scripted:echo`."""
    return _default.resolve(full_name)

"""Model names map to providers; unknown names fail with the list of valid providers."""

from __future__ import annotations

import pytest

from orchestrator.gateway import (
    ModelProvider,
    ProviderRegistry,
    UnknownProviderError,
    resolve,
    split_model_name,
)
from orchestrator.gateway.anthropic_provider import AnthropicProvider
from orchestrator.gateway.gemini import GeminiProvider
from orchestrator.gateway.openai_provider import OpenAIProvider
from orchestrator.gateway.scripted import ScriptedProvider


def test_names_map_to_providers() -> None:
    registry = ProviderRegistry()
    cases = {
        "gemini:gemini-3-pro": GeminiProvider,
        "openai:gpt-5": OpenAIProvider,
        "openai:qwen3:8b": OpenAIProvider,
        "anthropic:claude-sonnet-4-5": AnthropicProvider,
        "scripted:echo": ScriptedProvider,
    }
    for name, cls in cases.items():
        provider = registry.resolve(name)
        assert isinstance(provider, cls) and isinstance(provider, ModelProvider)
        assert provider.model == name.split(":", 1)[1]
    assert registry.resolve("openai:gpt-5") is registry.resolve("openai:gpt-5")


def test_only_the_first_colon_splits() -> None:
    assert split_model_name("openai:qwen3:8b") == ("openai", "qwen3:8b")


@pytest.mark.parametrize("name", ["mistral:large", "gpt-5", ":x", "openai:"])
def test_unknown_or_malformed_names_list_the_valid_providers(name: str) -> None:
    with pytest.raises(UnknownProviderError) as caught:
        resolve(name)
    assert "anthropic, gemini, openai, scripted" in str(caught.value)
    assert isinstance(caught.value, LookupError)


async def test_unconfigured_provider_fails_on_use_with_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
    check = await ProviderRegistry().resolve("anthropic:claude-sonnet-5").check()
    assert not check.ok and "ANTHROPIC_API_KEY" in check.detail
    check = await ProviderRegistry().resolve("openai:gpt-5").check()
    assert not check.ok and "OPENAI_API_KEY" in check.detail

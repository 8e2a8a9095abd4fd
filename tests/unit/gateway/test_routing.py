"""Bare model names (issue 22): the default provider's family and the operator's aliases, nothing else."""

from __future__ import annotations

import pytest

from orchestrator.config import Settings
from orchestrator.gateway import ProviderRegistry, UnknownProviderError
from orchestrator.gateway.registry import PROVIDERS
from orchestrator.gateway.routing import BareNames


def test_a_gemini_name_goes_to_the_default_provider_unchanged() -> None:
    provider = ProviderRegistry().resolve("gemini-3-flash-preview")
    assert type(provider).__name__ == "GeminiProvider"
    assert provider.model == "gemini-3-flash-preview"  # type: ignore[attr-defined]


def test_an_alias_names_any_provider_and_wins_over_the_family() -> None:
    registry = ProviderRegistry(
        bare=("gemini", {"gemini-3-flash-preview": "openai:qwen3:8b", "fast": "scripted:echo"})
    )
    provider = registry.resolve("gemini-3-flash-preview")
    assert type(provider).__name__ == "OpenAIProvider" and provider.model == "qwen3:8b"  # type: ignore[attr-defined]
    assert registry.resolve("fast").model == "echo"  # type: ignore[attr-defined]
    assert registry.bare_names.aliases == {
        "gemini-3-flash-preview": "openai:qwen3:8b",
        "fast": "scripted:echo",
    }


@pytest.mark.parametrize(
    ("default", "name", "routed"),
    [
        ("gemini", "gemma-3-27b-it", "gemini:gemma-3-27b-it"),
        ("openai", "gpt-5", "openai:gpt-5"),
        ("anthropic", "claude-sonnet-4-5", "anthropic:claude-sonnet-4-5"),
        ("gemini", "openai:gpt-5", "openai:gpt-5"),
    ],
)
def test_each_default_provider_serves_its_family(default: str, name: str, routed: str) -> None:
    assert BareNames(PROVIDERS, default).route(name) == routed


@pytest.mark.parametrize(
    ("default", "name"),
    [
        ("gemini", "gpt-5"),  # another family
        ("gemini", "sk-live-0123456789abcdef"),  # a pasted key
        ("gemini", "echo"),  # a script's name: bare names never reach `scripted`
        ("gemini", "demo"),
        ("", "gemini-3-flash-preview"),  # aliases only
        ("gemini", "gemini-" + "x" * 130),  # too long
        ("gemini", "gemini-3/../files"),
        ("gemini", "gemini 3"),
    ],
)
def test_a_bare_name_nothing_serves_is_refused_unquoted(default: str, name: str) -> None:
    with pytest.raises(UnknownProviderError) as caught:
        ProviderRegistry(bare=(default, {})).resolve(name)
    assert name not in str(caught.value) and "anthropic, gemini, openai, scripted" in str(caught.value)


@pytest.mark.parametrize(
    ("default", "aliases", "message"),
    [
        ("scripted", {}, "WARREN_DEFAULT_PROVIDER must be empty or one of: anthropic, gemini, openai"),
        ("mistral", {}, "WARREN_DEFAULT_PROVIDER"),
        ("gemini", {"fast": "gemini-3-flash"}, "WARREN_MODEL_ALIASES: alias 'fast': the target must be"),
        ("gemini", {"fast": "scripted:/etc/shadow"}, "WARREN_MODEL_ALIASES: alias 'fast'"),
        ("gemini", {"fast": "mistral:large"}, "WARREN_MODEL_ALIASES: alias 'fast'"),
        ("gemini", {"a:b": "openai:gpt-5"}, "WARREN_MODEL_ALIASES"),
    ],
)
def test_bad_settings_fail_at_start_naming_the_setting(
    default: str, aliases: dict[str, str], message: str
) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        ProviderRegistry(bare=(default, aliases))


def test_the_aliases_setting_is_parsed_strictly() -> None:
    settings = Settings(model_aliases=" fast = openai:gpt-5-mini , local=openai:qwen3:8b")
    assert settings.model_aliases == {"fast": "openai:gpt-5-mini", "local": "openai:qwen3:8b"}
    for bad, message in [
        ("fast", "WARREN_MODEL_ALIASES: 'fast' must be 'name=target'"),
        ("fast=", "must be 'name=target'"),
        ("=openai:gpt-5", "must be 'name=target'"),
        ("fast=openai:a,fast=openai:b", "'fast' is given twice"),
        ("fa st=openai:a", "must be 'name=target'"),
    ]:
        with pytest.raises(ValueError, match=message):
            Settings(model_aliases=bad)
    with pytest.raises(ValueError, match="default_provider"):
        Settings(default_provider="Gemini!")
    assert Settings(default_provider="").default_provider == ""

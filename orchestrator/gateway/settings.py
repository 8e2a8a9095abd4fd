"""What each provider is configured with, read from the same variables its SDK reads.

This never returns a credential: only whether one is set and the name of the variable that holds it.
`warren models` prints these rows, then runs each configured provider's `check()`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict

__all__ = ["DEFAULT_MODELS", "ProviderSettings", "provider_settings"]

DEFAULT_MODELS = {
    "gemini": "gemini-3-pro",
    "openai": "gpt-5",
    "anthropic": "claude-sonnet-4-5",
    "scripted": "echo",
}
"""The model `warren models` checks for a provider when none is named."""

_TRUE = {"1", "true", "yes", "on"}


class ProviderSettings(BaseModel):
    """One provider's configuration as the orchestrator's environment gives it."""

    model_config = ConfigDict(extra="forbid")

    provider: str
    """Provider name, the prefix of model names (`openai` in `openai:gpt-5`)."""
    configured: bool
    """True when a call could be attempted (a key, or a custom URL for OpenAI-compatible servers)."""
    mode: str
    """The API reached: `Gemini API`, `Vertex AI`, `OpenAI`, `OpenAI-compatible`, `Anthropic`, `offline`."""
    base_url: str | None
    """Where calls go; `None` for the offline `scripted` provider."""
    custom_url: bool
    """True when `base_url` comes from the environment rather than the vendor's default."""
    key_set: bool
    """Whether a key is set (the key itself is never read out)."""
    key_variable: str | None
    """The variable that holds the key in use, e.g. `OPENAI_API_KEY`."""
    default_model: str
    """The model checked when none is named."""
    hint: str
    """How to configure the provider, when it is not."""


def _first(env: Mapping[str, str], *names: str) -> str | None:
    return next((name for name in names if env.get(name)), None)


def _gemini(env: Mapping[str, str]) -> ProviderSettings:
    vertex = env.get("GOOGLE_GENAI_USE_VERTEXAI", "").strip().lower() in _TRUE
    if vertex:
        key_var = _first(env, "GOOGLE_API_KEY")
        location = env.get("GOOGLE_CLOUD_LOCATION") or "us-central1"
        url = env.get("GOOGLE_VERTEX_BASE_URL")
        return ProviderSettings(
            provider="gemini",
            configured=bool(env.get("GOOGLE_CLOUD_PROJECT") or key_var),
            mode="Vertex AI",
            base_url=url or f"https://{location}-aiplatform.googleapis.com",
            custom_url=url is not None,
            key_set=key_var is not None,
            key_variable=key_var,
            default_model=DEFAULT_MODELS["gemini"],
            hint="set GOOGLE_CLOUD_PROJECT (and application default credentials) or GOOGLE_API_KEY",
        )
    key_var = _first(env, "GOOGLE_API_KEY", "GEMINI_API_KEY")  # the SDK prefers GOOGLE_API_KEY
    url = env.get("GOOGLE_GEMINI_BASE_URL")
    return ProviderSettings(
        provider="gemini",
        configured=key_var is not None,
        mode="Gemini API",
        base_url=url or "https://generativelanguage.googleapis.com",
        custom_url=url is not None,
        key_set=key_var is not None,
        key_variable=key_var,
        default_model=DEFAULT_MODELS["gemini"],
        hint="set GEMINI_API_KEY (or GOOGLE_GENAI_USE_VERTEXAI=true for Vertex AI)",
    )


def _openai(env: Mapping[str, str]) -> ProviderSettings:
    key_var = _first(env, "OPENAI_API_KEY")
    url = env.get("OPENAI_BASE_URL") or None
    return ProviderSettings(
        provider="openai",
        configured=key_var is not None or url is not None,
        mode="OpenAI-compatible" if url else "OpenAI",
        base_url=url or "https://api.openai.com/v1",
        custom_url=url is not None,
        key_set=key_var is not None,
        key_variable=key_var,
        default_model=DEFAULT_MODELS["openai"],
        hint="set OPENAI_API_KEY, or OPENAI_BASE_URL for a local server (vLLM, Ollama, llama.cpp)",
    )


def _anthropic(env: Mapping[str, str]) -> ProviderSettings:
    key_var = _first(env, "ANTHROPIC_API_KEY")
    url = env.get("ANTHROPIC_BASE_URL") or None
    return ProviderSettings(
        provider="anthropic",
        configured=key_var is not None,
        mode="Anthropic",
        base_url=url or "https://api.anthropic.com",
        custom_url=url is not None,
        key_set=key_var is not None,
        key_variable=key_var,
        default_model=DEFAULT_MODELS["anthropic"],
        hint="set ANTHROPIC_API_KEY",
    )


def _scripted(env: Mapping[str, str]) -> ProviderSettings:
    return ProviderSettings(
        provider="scripted",
        configured=True,
        mode="offline",
        base_url=None,
        custom_url=False,
        key_set=False,
        key_variable=None,
        default_model=DEFAULT_MODELS["scripted"],
        hint="",
    )


def provider_settings(env: Mapping[str, str] | None = None) -> list[ProviderSettings]:
    """Every provider's settings, from `env` (default: this process's environment)."""
    source = os.environ if env is None else env
    return [make(source) for make in (_gemini, _openai, _anthropic, _scripted)]

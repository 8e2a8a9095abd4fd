"""Each provider's settings, read from the same environment variables its SDK reads.

The SDKs decide for themselves which key and URL to use, so this mirrors their rules (Gemini
prefers `GOOGLE_API_KEY`, Vertex AI needs a project, OpenAI-compatible servers need only a URL)
to tell an operator what a call would use. It never reads a key's value out: only whether one is
set and the variable's name.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from orchestrator.gateway.settings import DEFAULT_MODELS, ProviderSettings

__all__ = ["provider_settings"]

_TRUE = {"1", "true", "yes", "on"}


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

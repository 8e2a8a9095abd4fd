"""The row `warren models` shows for a provider: how it is configured, never with what credential.

`vendor_settings` fills one row per provider from the same variables its SDK reads; this module
holds only the row's shape and each provider's default model, which both the reader and the
command use. A row says whether a key is set and which variable holds it, never the key.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["DEFAULT_MODELS", "ProviderSettings"]

DEFAULT_MODELS = {
    "gemini": "gemini-3-pro",
    "openai": "gpt-5",
    "anthropic": "claude-sonnet-4-5",
    "scripted": "echo",
}
"""The model `warren models` checks for a provider when none is named."""


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

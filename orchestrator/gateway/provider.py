"""The provider seam: what every model vendor behind the gateway must offer.

Providers share no code beyond the retry policy, so the seam is a `Protocol`; its result models
(`ProviderCheck`, `Unsupported`) sit beside it. `registry.py` turns model names into instances of it.
A provider names the settings it cannot honour (`unsupported`) so the API refuses them before
anything is stored, rather than sending a request the vendor would quietly reinterpret.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from agents.model_types import ModelRequest, ModelResponse, StreamEvent
from orchestrator.gateway.retry import RetryPolicy

__all__ = ["ModelProvider", "ProviderCheck", "ProviderFactory", "Setting", "Unsupported"]


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


Setting = Literal["seed", "tool_choice", "thinking_level", "safety_settings", "response_schema"]
"""The neutral settings a provider may refuse (`GenerationConfig` fields)."""


class Unsupported(BaseModel):
    """One setting of a request that this provider cannot honour, and why."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    setting: Setting
    """The `GenerationConfig` field; the caller maps it to the field path of its own request."""
    reason: str
    """Why, in words a user can act on (names the provider, never a credential)."""


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

    def unsupported(self, request: ModelRequest) -> list[Unsupported]:
        """The settings of `request` this provider cannot honour (empty: all of them are honoured)."""
        ...

    async def check(self) -> ProviderCheck:
        """One cheap call that proves the key and URL work; never raises for a vendor failure."""
        ...


ProviderFactory = Callable[[str, RetryPolicy | None], ModelProvider]
"""Builds a provider for a model name under an optional retry policy."""

"""The registry that turns `provider:model` names into providers, and the table of known vendors.

Vendor SDKs are imported lazily by each factory: a deployment that only uses `scripted:` never
loads them. Model names come from tenants, so the registry checks each against
`names.check_model_name` before anything else, and keeps at most `max_cached` providers (least
recently used goes first): before that bound, 2,000 distinct 100 KB names held 400 MB. A bare name
(`gemini-3-flash-preview`) is routed first (`routing.BareNames`: operator aliases, default provider).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

from orchestrator.gateway.names import check_model_name
from orchestrator.gateway.provider import ModelProvider, ProviderFactory
from orchestrator.gateway.retry import RetryPolicy
from orchestrator.gateway.routing import BareNames

__all__ = ["PROVIDERS", "ProviderRegistry", "resolve", "scripted_factory", "split_model_name"]


def scripted_factory(folders: Sequence[Path] = ()) -> ProviderFactory:
    """The `scripted` factory, reading scripts from the operator's `folders`, then the bundled one."""
    chosen = tuple(folders)

    def make(model: str, policy: RetryPolicy | None) -> ModelProvider:
        from orchestrator.gateway.scripted import ScriptedProvider

        return ScriptedProvider(model, chosen)

    return make


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
    "scripted": scripted_factory(),
}
"""Every provider Warren knows, by the prefix of a model name."""


def split_model_name(full_name: str) -> tuple[str, str]:
    """Split `gemini:gemini-3-pro` into (`gemini`, `gemini-3-pro`); only the first colon counts.

    Raises `UnknownProviderError` for a name outside the grammar of `names` or of no known provider.
    """
    return check_model_name(full_name, PROVIDERS)


class ProviderRegistry:
    """Resolves model names to providers, reusing one instance (and one HTTP client) per recent name."""

    def __init__(
        self,
        factories: dict[str, ProviderFactory] | None = None,
        policy: RetryPolicy | None = None,
        *,
        scripts_dirs: Sequence[Path] = (),
        max_cached: int = 64,
        bare: tuple[str, dict[str, str]] | None = None,
    ) -> None:
        """Create a registry.

        Args:
            factories: providers by prefix; default `PROVIDERS` (with `scripts_dirs` for `scripted`).
            policy: the retry policy of every provider it makes.
            scripts_dirs: the operator's script folders (`WARREN_SCRIPTS_DIR`), searched before the
                bundled scripts; ignored when `factories` is given.
            max_cached: most providers kept for reuse; the least recently used is dropped first.
            bare: the default provider of bare names (`WARREN_DEFAULT_PROVIDER`, empty for none)
                and the aliases (`WARREN_MODEL_ALIASES`); a bad one raises `ValueError`. Default:
                `gemini` if it is one of the factories, no aliases.
        """
        if factories is None:
            factories = {**PROVIDERS, "scripted": scripted_factory(scripts_dirs)}
        self._factories = dict(factories)
        default = "gemini" if "gemini" in self._factories else ""
        self.bare_names = BareNames(self._factories, *(bare or (default, {})))
        self._policy = policy
        self._max_cached = max(1, max_cached)
        self._cache: OrderedDict[str, ModelProvider] = OrderedDict()

    @property
    def names(self) -> list[str]:
        """The provider prefixes this registry accepts."""
        return sorted(self._factories)

    @property
    def cached(self) -> int:
        """How many providers are kept for reuse (at most `max_cached`)."""
        return len(self._cache)

    def resolve(self, full_name: str) -> ModelProvider:
        """The provider for `provider:model` or a routed bare name; makes no I/O (a script loads on
        first use).

        Raises:
            UnknownProviderError: a malformed or too long name, an unknown provider, or a bare name
                nothing serves; the message names the valid providers and never quotes the name.
            ScriptError: a `scripted:` name that is not a script name.
        """
        cached = self._cache.get(full_name)
        if cached is not None:
            self._cache.move_to_end(full_name)
            return cached
        provider, model = check_model_name(self.bare_names.route(full_name), self._factories)
        instance = self._factories[provider](model, self._policy)
        self._cache[full_name] = instance
        if len(self._cache) > self._max_cached:
            self._cache.popitem(last=False)
        return instance


_default = ProviderRegistry()


def resolve(full_name: str) -> ModelProvider:
    """The process-wide provider for a model name such as `gemini:gemini-3-pro` or `scripted:echo`."""
    return _default.resolve(full_name)

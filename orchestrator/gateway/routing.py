"""Which provider serves a bare model name: the operator's aliases, then the default provider's family.

Code written for Google names models bare (`gemini-3-flash-preview`). Such a name goes, unchanged,
to the default provider (`WARREN_DEFAULT_PROVIDER`, `gemini`) when it belongs to that provider's
family (`FAMILIES`), or to the `provider:model` an operator alias names (`WARREN_MODEL_ALIASES`).
Any other bare name is refused: a tenant's guess (or a pasted key) never reaches a vendor, and a bare
name never reaches the `scripted` provider, whose model part picks a file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from orchestrator.gateway.errors import UnknownProviderError
from orchestrator.gateway.names import (
    SCRIPTED,
    check_bare_name,
    check_model_name,
    is_bare,
)

__all__ = ["FAMILIES", "BareNames"]

FAMILIES: dict[str, tuple[str, ...]] = {
    "gemini": ("gemini-", "gemma-", "learnlm-"),
    "openai": ("gpt-", "o1", "o3", "o4", "chatgpt-"),
    "anthropic": ("claude-",),
}
"""The bare names a provider serves as the default provider, by prefix."""


class BareNames:
    """The operator's routing of bare model names, checked once at start-up.

    Args:
        providers: the provider prefixes the registry accepts.
        default: the provider of bare names of its family; empty for aliases only.
        aliases: bare name -> `provider:model`.

    Raises:
        ValueError: a bad setting, naming `WARREN_DEFAULT_PROVIDER` or `WARREN_MODEL_ALIASES`.
    """

    def __init__(
        self, providers: Iterable[str], default: str = "gemini", aliases: Mapping[str, str] | None = None
    ) -> None:
        self._providers = sorted(providers)
        if default and (default == SCRIPTED or default not in self._providers):
            vendors = ", ".join(p for p in self._providers if p != SCRIPTED)
            raise ValueError(f"WARREN_DEFAULT_PROVIDER must be empty or one of: {vendors}")
        self.default = default
        self.aliases = dict(aliases or {})
        for name, target in self.aliases.items():
            try:
                check_bare_name(name, self._providers)
                if is_bare(target):
                    raise UnknownProviderError("the target must be 'provider:model'")
                check_model_name(target, self._providers)
            except UnknownProviderError as exc:
                raise ValueError(f"WARREN_MODEL_ALIASES: alias {name[:128]!r}: {exc}") from None

    def route(self, name: str) -> str:
        """The `provider:model` name that serves `name` (unchanged when it has a provider).

        Raises:
            UnknownProviderError: a malformed bare name, or one no alias or default provider serves;
                the message never quotes the name.
        """
        if not is_bare(name):
            return name
        check_bare_name(name, self._providers)
        target = self.aliases.get(name)
        if target is not None:
            return target
        if self.default and name.startswith(FAMILIES.get(self.default, ())):
            return f"{self.default}:{name}"
        raise UnknownProviderError(self._unknown())

    def _unknown(self) -> str:
        served = "no provider serves bare names here"
        if self.default:
            families = ", ".join(f"'{p}...'" for p in FAMILIES.get(self.default, ()))
            served = f"the default provider {self.default} serves {families or 'no bare names'}"
        return (
            f"unknown model: a bare model name must be an operator alias (see `warren models`) or {served}; "
            f"else write 'provider:model' (providers: {', '.join(self._providers)})"
        )

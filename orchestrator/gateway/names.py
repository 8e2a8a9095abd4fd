"""The grammar of model names (`provider:model`), checked before a name reaches a provider or a cache.

A model name comes from a tenant (`model`, `agent_config.model`) and ends up in a vendor URL
(`models/<name>:generateContent`), a cache key, an error message and, for `scripted:`, the choice of
a script file. So it is bounded (128 characters) and drawn from a small alphabet: a vendor model is
`/`-separated parts that each start with a letter or digit (no `.`/`..` segment, no `?`, `#` or
`%`), which covers `gpt-5`, `qwen3:8b`, `meta-llama/Llama-3.1-8B`, `claude-3@20240229` and
`publishers/google/models/gemini-3-pro`; a scripted model is a bare script name, never a path.
A bare name (no `provider:`, as Google's samples write `gemini-3-flash-preview`) has the same grammar
without any `:`; which provider serves it is the operator's choice (`gateway.routing`).

Errors never quote the name: it may be large, or a host path a tenant is probing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from orchestrator.gateway.errors import ModelNotFoundError, ScriptError, UnknownProviderError

__all__ = [
    "MAX_MODEL_NAME_CHARS",
    "SCRIPTED",
    "SCRIPT_NAME",
    "check_bare_name",
    "check_model_name",
    "check_script_name",
    "is_bare",
    "model_name_pattern",
]

MAX_MODEL_NAME_CHARS = 128
"""Longest model name accepted, `provider:` included."""
SCRIPTED = "scripted"
"""The offline provider, whose model part names a script."""
SCRIPT_NAME = r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}"
"""A script name: a file stem in the scripts folders, never a path."""

_PROVIDER = re.compile(r"[a-z][a-z0-9_-]{0,31}")
_SEGMENT = r"[A-Za-z0-9][A-Za-z0-9._:@+-]*"
_VENDOR_MODEL = re.compile(rf"{_SEGMENT}(?:/{_SEGMENT})*")
_SCRIPT = re.compile(SCRIPT_NAME)
_BARE_SEGMENT = r"[A-Za-z0-9][A-Za-z0-9._@+-]*"
_BARE = re.compile(rf"{_BARE_SEGMENT}(?:/{_BARE_SEGMENT})*")


def model_name_pattern(providers: Iterable[str]) -> str:
    """One regular expression (JSON Schema and pydantic dialects alike) for names of `providers`."""
    vendors = "|".join(re.escape(p) for p in sorted(providers) if p != SCRIPTED)
    scripted = f"{SCRIPTED}:{SCRIPT_NAME}"
    alternatives = [scripted, _BARE.pattern]
    if vendors:
        alternatives.append(f"(?:{vendors}):{_VENDOR_MODEL.pattern}")
    return f"^(?:{'|'.join(alternatives)})$"


def _grammar(providers: list[str]) -> str:
    return (
        f"a model name must look like 'provider:model' (providers: {', '.join(providers)}) or be a bare "
        "name such as 'gemini-3-flash-preview', in at most "
        f"{MAX_MODEL_NAME_CHARS} characters: a vendor model is letters, digits and '._:@+-' in "
        "'/'-separated parts, each starting with a letter or digit; a scripted model is a script "
        "name (1-64 letters, digits, '-' or '_')"
    )


def check_script_name(name: str) -> str:
    """`name` if it is a valid script name. Raises `ScriptError`."""
    if len(name) > MAX_MODEL_NAME_CHARS or not _SCRIPT.fullmatch(name):
        raise ScriptError("bad script name: use 1-64 letters, digits, '-' or '_' (no paths)")
    return name


def is_bare(name: str) -> bool:
    """Whether `name` has no `provider:` part (it may still be malformed)."""
    return ":" not in name


def check_bare_name(name: str, providers: Iterable[str]) -> str:
    """`name` if it is a well-formed bare model name. Raises `UnknownProviderError` (never quoting it)."""
    if len(name) > MAX_MODEL_NAME_CHARS or not _BARE.fullmatch(name):
        raise UnknownProviderError(_grammar(sorted(providers)))
    return name


def check_model_name(full_name: str, providers: Iterable[str]) -> tuple[str, str]:
    """Split a valid `provider:model` name into its parts.

    Raises:
        UnknownProviderError: the name is too long, malformed, or names a provider not in
            `providers` (then a `ModelNotFoundError`); the message lists the valid providers and
            never quotes the name.
    """
    known = sorted(providers)
    if len(full_name) > MAX_MODEL_NAME_CHARS:
        raise UnknownProviderError(
            f"model name is longer than {MAX_MODEL_NAME_CHARS} characters; " + _grammar(known)
        )
    provider, sep, model = full_name.partition(":")
    if not sep or not _PROVIDER.fullmatch(provider) or not model:
        raise UnknownProviderError(_grammar(known))
    if provider not in known:
        raise ModelNotFoundError(f"unknown model provider {provider!r}; valid providers: {', '.join(known)}")
    valid = _SCRIPT.fullmatch(model) if provider == SCRIPTED else _VENDOR_MODEL.fullmatch(model)
    if not valid:
        raise UnknownProviderError(_grammar(known))
    return provider, model

"""`warren models`: the model providers, their configuration, and one cheap check call per provider.

Reads the same variables the server's providers read, so run it in the server's environment; it
also lists how bare model names are served (`WARREN_DEFAULT_PROVIDER`, `WARREN_MODEL_ALIASES`).
"""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

import typer
from rich.text import Text

from orchestrator.cli.common import JsonOpt, fail
from orchestrator.cli.console import err, literal, out, printable
from orchestrator.config import Settings
from orchestrator.gateway.errors import GatewayError, UnknownProviderError
from orchestrator.gateway.provider import ProviderCheck
from orchestrator.gateway.registry import ProviderRegistry, split_model_name
from orchestrator.gateway.routing import FAMILIES
from orchestrator.gateway.settings import ProviderSettings
from orchestrator.gateway.vendor_settings import provider_settings

__all__ = ["NAME", "models"]

NAME = "models"


def _registry() -> ProviderRegistry:
    """A registry as the server builds it: its scripts, default provider and aliases."""
    settings = Settings.from_env()
    scripts = [settings.scripts_dir] if settings.scripts_dir is not None else []
    return ProviderRegistry(scripts_dirs=scripts, bare=(settings.default_provider, settings.model_aliases))


async def _check(registry: ProviderRegistry, full_name: str) -> ProviderCheck:
    provider, model = split_model_name(registry.bare_names.route(full_name))
    try:
        instance = registry.resolve(full_name)
    except UnknownProviderError:
        raise
    except GatewayError as exc:  # e.g. a `scripted:` script that does not load
        return ProviderCheck(provider=provider, model=model, ok=False, detail=str(exc))
    return await instance.check()


async def _check_all(registry: ProviderRegistry, names: list[str]) -> list[ProviderCheck]:
    return list(await asyncio.gather(*(_check(registry, name) for name in names)))


def _line(row: ProviderSettings) -> str:
    """One provider as one line: name, status, mode, URL and key presence (never the key)."""
    status = "configured" if row.configured else "not configured"
    url = (row.base_url or "-") + (" (custom)" if row.custom_url else "")
    key = f"set in {row.key_variable}" if row.key_set else "not set"
    if row.provider == "scripted":
        key = "not needed"
    return f"{row.provider:<10} {status:<15} {row.mode:<18} {url}  key {key}"


def models(
    names: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[MODEL]...",
            help="Check these models (`provider:model`, e.g. openai:qwen3, or a bare name or alias). "
            "Default: each configured provider's default model.",
            show_default=False,
        ),
    ] = None,
    check: Annotated[
        bool,
        typer.Option("--check/--no-check", help="Run one cheap call per provider; --no-check only lists."),
    ] = True,
    as_json: JsonOpt = False,
) -> None:
    """List the model providers and check that each configured key and URL answers.

    One line per checked model says what was checked or why it failed; keys are never printed,
    only whether one is set and in which variable.

    Exit codes: 0 every check passed (or none was asked for), 1 a check failed, 2 bad usage.

    Example: warren models openai:qwen3 anthropic:claude-sonnet-4-5
    """
    settings = provider_settings()
    if names and not check:
        fail("naming models asks for their check; drop --no-check", 2)
    to_check: list[str] = list(names or [])
    if not to_check and check:
        to_check = [
            f"{s.provider}:{s.default_model}" for s in settings if s.configured and s.mode != "offline"
        ]
    try:
        registry = _registry()
        for name in to_check:
            split_model_name(registry.bare_names.route(name))
        results = asyncio.run(_check_all(registry, to_check)) if to_check else []
    except UnknownProviderError as exc:
        fail(str(exc), 2)
    except ValueError as exc:  # a bad WARREN_DEFAULT_PROVIDER / WARREN_MODEL_ALIASES
        fail(str(exc), 2)
    bare = registry.bare_names
    ok = all(result.ok for result in results)
    if as_json:
        body = {
            "providers": [s.model_dump(mode="json") for s in settings],
            "checks": [r.model_dump(mode="json") for r in results],
            "default_provider": bare.default or None,
            "aliases": bare.aliases,
            "ok": ok,
        }
        out.print_json(json.dumps(body))
    else:
        for row in settings:
            out.print(_line(row), markup=False, highlight=False, soft_wrap=True)
        _print_bare(bare.default, bare.aliases)
        for row in settings:
            if not row.configured:
                err.print(f"[dim]{row.provider}: {literal(row.hint)}[/]", highlight=False)
        if results:
            out.print()
        for result in results:
            mark = ("ok  ", "green") if result.ok else ("FAIL", "red")
            line = Text.assemble(mark, f" {result.provider}:{result.model}  ", printable(result.detail))
            out.print(line, highlight=False, soft_wrap=True)
        if check and not to_check:
            err.print("no provider is configured, so nothing was checked")
    if not ok:
        raise typer.Exit(1)


def _print_bare(default: str, aliases: dict[str, str]) -> None:
    """How bare model names are served: the default provider's family, then each alias."""
    families = ", ".join(f"{p}*" for p in FAMILIES.get(default, ()))
    served = f"{default} ({families})" if default else "none (aliases only)"
    out.print(f"bare names: {served}", markup=False, highlight=False, soft_wrap=True)
    for name, target in sorted(aliases.items()):
        out.print(f"alias      {name} -> {target}", markup=False, highlight=False, soft_wrap=True)

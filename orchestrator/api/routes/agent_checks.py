"""What an agent create request must pass before it is stored, beyond its schema.

Its `base_environment` must name one of the caller's environments and carry sources the server
accepts; its `skills` must be bundled names or uploaded folders with a valid SKILL.md. Each refusal
is a 400 or 404 naming the field as the caller wrote it (`base_environment.sources[0].url`,
`skills[2].name`). `check_skills` decodes uploads (base64, gzip): call it in a worker thread.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchestrator.api.deps import Services
from orchestrator.api.errors import InvalidArgument, NotFound
from orchestrator.environments.source_policy import SourceError
from orchestrator.interactions.refusals import refuse_environment, refuse_tools
from orchestrator.skills import SkillStore, SkillUploadError

__all__ = [
    "check_base_environment",
    "check_environment_ref",
    "check_skills",
    "refuse_unsupported",
    "skill_store",
]


def refuse_unsupported(services: Services, spec: Mapping[str, Any]) -> None:
    """Refuse the tools and environment settings Warren does not carry out (`interactions.refusals`);
    `mcp_server` tools under the interactions' address rules (refused if they have no MCP client)."""
    mcp = services.interactions.mcp
    refuse_tools(spec.get("tools") or [], "tools", None, mcp.resolver if mcp is not None else None)
    if isinstance(spec.get("base_environment"), Mapping):
        refuse_environment(spec["base_environment"], "base_environment")


def skill_store(services: Services) -> SkillStore:
    """Where uploaded skills are kept: the environment service's store, or one from the settings."""
    if services.environments is not None:
        return services.environments.skills
    return SkillStore.from_settings(services.settings)


async def check_environment_ref(services: Services, tenant: str, environment: Any) -> None:
    """Refuse a `base_environment` naming an environment this tenant does not have (another
    tenant's included, with the same answer as a missing one), as interactions do."""
    if isinstance(environment, str):
        field, environment_id = "base_environment", environment
    elif isinstance(environment, Mapping) and environment.get("environment_id"):
        field, environment_id = "base_environment.environment_id", str(environment["environment_id"])
    else:
        return
    if await services.store.environments.get(tenant, environment_id.removeprefix("environments/")) is None:
        raise NotFound("no such environment", field=field)


def check_base_environment(services: Services, environment: Any) -> None:
    """Refuse bad `base_environment.sources` now rather than at the agent's first interaction."""
    if services.environments is None or not isinstance(environment, Mapping):
        return
    try:
        services.environments.sources.check(environment.get("sources") or [])
    except SourceError as exc:
        raise InvalidArgument(exc.message, field=f"base_environment.{exc.field}") from exc


def check_skills(skills: SkillStore, entries: list[Any]) -> tuple[list[Any], list[Mapping[str, Any]]]:
    """The skills to store (bundled names, `{name, description}` for uploads) and the uploads to save."""
    stored: list[Any] = []
    uploads: list[Mapping[str, Any]] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        name = entry if isinstance(entry, str) else str(entry.get("name"))
        field = f"skills[{index}]" if isinstance(entry, str) else f"skills[{index}].name"
        if name in seen:
            raise InvalidArgument(f"skill {name!r} is listed twice", field=field)
        seen.add(name)
        try:
            if isinstance(entry, str) or entry.get("files") is None:
                stored.append(skills.check_bundled(name))
                continue
            skill = skills.check_upload(name, entry["files"], entry.get("encoding"))
        except SkillUploadError as exc:
            where = f"skills[{index}].{exc.field}" if exc.field else field
            raise InvalidArgument(exc.message, field=where) from exc
        stored.append({"name": skill.name, "description": skill.description})
        uploads.append(entry)
    return stored, uploads

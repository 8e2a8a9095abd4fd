"""`/{v}/agents`: create, get, list, delete, and Warren's update (`PATCH`, an extension the console
uses). The built-in `default` and `research` agents always exist, and so do their aliases (Google's
presets such as `antigravity-preview-05-2026`): `get` answers an alias with its target under the
name the client sent, and no stored agent may take a built-in name (nor be changed into one).

An agent's `skills` (extension) are checked at create and update (`agent_checks.py`, with its
environment references): names must be bundled skills, uploaded folders must hold a valid SKILL.md.
Uploads are stored on disk and the stored agent keeps only `{"name", "description"}` for each.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Query

from orchestrator.api.deps import CallerDep, Services, ServicesDep, VersionDep
from orchestrator.api.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from orchestrator.api.idempotency import IdempotencyDep
from orchestrator.api.routes.agent_checks import (
    check_base_environment,
    check_environment_ref,
    check_skills,
    refuse_unsupported,
    skill_store,
)
from orchestrator.api.wire.agents import Agent, AgentList
from orchestrator.api.wire.common import to_wire
from orchestrator.catalog import BUILTIN_AGENTS, DEFAULT_AGENT_ID, resolve_agent
from orchestrator.gateway.errors import UnknownProviderError
from orchestrator.mcp_tools import redacted_tools
from orchestrator.store.paging import clamp_page_size, start_token

router = APIRouter(prefix="/{api_version}/agents", tags=["agents"])


@router.post("", response_model=Agent, response_model_exclude_none=True, operation_id="agents-create")
async def create_agent(
    body: Agent, _v: VersionDep, caller: CallerDep, services: ServicesDep, idempotency: IdempotencyDep
) -> dict[str, Any]:
    """Create a custom agent; `base_agent` (default `default`) must exist."""
    spec = to_wire(body)

    async def create() -> dict[str, Any]:
        return await _create(services, caller.tenant, dict(spec))

    async def replay(agent_id: str) -> dict[str, Any] | None:
        record = await services.store.agents.get(caller.tenant, agent_id)
        return None if record is None else _echo(record.spec)

    return await idempotency.create("agent", spec, create, lambda made: str(made["id"]), replay)


async def _create(services: Services, tenant: str, spec: dict[str, Any]) -> dict[str, Any]:
    spec.setdefault("id", f"agent_{secrets.token_hex(8)}")
    aliases = services.agent_aliases
    if aliases.builtin(spec["id"]) is not None or aliases.target(spec["id"]) is not None:
        raise AlreadyExists(
            f"{spec['id']!r} is a built-in agent or alias and cannot be redefined", field="id"
        )
    await _check(services, tenant, spec)
    skills = skill_store(services)
    uploads: list[Mapping[str, Any]] = []
    if spec.get("skills") is not None:
        # decoding and checking uploaded folders (base64, gzip) is CPU work: off the event loop
        spec["skills"], uploads = await asyncio.to_thread(check_skills, skills, spec["skills"])
    record = await services.store.agents.create(tenant, spec["id"], spec)  # 409 `id` when taken
    try:
        await _save_uploads(services, tenant, spec["id"], uploads)
    except BaseException:
        await services.store.agents.delete(tenant, spec["id"])
        await asyncio.to_thread(skills.remove, tenant, "agents", spec["id"])
        raise
    return _echo(record.spec)


async def _check(services: Services, tenant: str, spec: dict[str, Any]) -> list[dict[str, Any]]:
    """What a create or an update must pass beyond the schema; the chain of its base agents."""
    base = spec.get("base_agent") or DEFAULT_AGENT_ID
    chain = await resolve_agent(services.store, tenant, base, "base_agent", services.agent_aliases)
    _check_model(services, spec)
    refuse_unsupported(services, spec)  # e.g. a forbidden `mcp_server` url, a self_hosted environment
    await check_environment_ref(services, tenant, spec.get("base_environment"))
    check_base_environment(services, spec.get("base_environment"))
    return chain


async def _save_uploads(
    services: Services, tenant: str, agent_id: str, uploads: list[Mapping[str, Any]]
) -> None:
    skills = skill_store(services)
    for upload in uploads:
        await asyncio.to_thread(
            skills.save, tenant, "agents", agent_id, upload["name"], upload["files"], upload.get("encoding")
        )


_UPDATABLE = (
    "description",
    "base_agent",
    "system_instruction",
    "tools",
    "agent_config",
    "base_environment",
    "skills",
)


@router.patch(
    "/{agent_id}", response_model=Agent, response_model_exclude_none=True, operation_id="agents-update"
)
async def update_agent(
    agent_id: str,
    body: Agent,
    _v: VersionDep,
    caller: CallerDep,
    services: ServicesDep,
    update_mask: Annotated[str | None, Query(max_length=256, description="Fields to change")] = None,
) -> dict[str, Any]:
    """Warren extension: change a custom agent's fields, those `update_mask` names (without one: those
    the body sets; a named field the body leaves out is cleared). Checked like a create; new skills
    replace the agent's uploaded ones. Interactions already running keep what they started with."""
    if services.agent_aliases.builtin(agent_id) is not None or services.agent_aliases.target(agent_id):
        raise FailedPrecondition(f"the built-in agent {agent_id!r} cannot be changed")
    names = (
        [n.strip() for n in update_mask.split(",") if n.strip()]
        if update_mask
        else sorted(body.model_fields_set)
    )
    for name in names:
        if name not in _UPDATABLE:
            where = "update_mask" if update_mask else name
            raise InvalidArgument(
                f"{name!r} cannot be changed; these can: {', '.join(_UPDATABLE)}", field=where
            )
    if body.id is not None and body.id != agent_id:
        raise InvalidArgument("an agent's id cannot change", field="id")
    record = await services.store.agents.get(caller.tenant, agent_id)
    if record is None:
        raise NotFound(f"agent {agent_id!r} not found")
    wire, spec = to_wire(body), dict(record.spec)
    for name in names:
        if wire.get(name) is None:
            spec.pop(name, None)
        else:
            spec[name] = wire[name]
    chain = await _check(services, caller.tenant, spec)
    if agent_id in (base.get("id") for base in chain):
        raise InvalidArgument(f"{agent_id!r} would be its own base agent", field="base_agent")
    uploads: list[Mapping[str, Any]] = []
    if "skills" in names and spec.get("skills") is not None:
        spec["skills"], uploads = await asyncio.to_thread(check_skills, skill_store(services), spec["skills"])
    updated = await services.store.agents.update(caller.tenant, agent_id, spec)
    if "skills" in names:  # the stored row names the new set: its folders follow
        await asyncio.to_thread(skill_store(services).remove, caller.tenant, "agents", agent_id)
        await _save_uploads(services, caller.tenant, agent_id, uploads)
    return _echo(updated.spec)


@router.get("", response_model=AgentList, response_model_exclude_none=True, operation_id="agents-list")
async def list_agents(
    _v: VersionDep,
    caller: CallerDep,
    services: ServicesDep,
    page_size: Annotated[int | None, Query(ge=1, le=1000, description="Most agents per page")] = None,
    page_token: Annotated[str | None, Query(description="Token from the previous page")] = None,
    parent: Annotated[str | None, Query(description="Refused: Warren has no projects or locations")] = None,
) -> dict[str, Any]:
    """List the built-in agents (first, counted in `page_size`), then this tenant's."""
    if parent is not None:
        raise InvalidArgument(
            "Warren has no projects or locations to list agents of; leave it out", field="parent"
        )
    stored = services.store.agents
    if page_token and not page_token.startswith(_BUILTINS_FROM):
        page = await stored.list(caller.tenant, page_size=page_size, page_token=page_token)
        return _agent_page([_echo(r.spec) for r in page.items], page.next_page_token)
    size = clamp_page_size(page_size)
    first = _builtin_offset(page_token) if page_token else 0
    builtins = _BUILTINS[first : first + size]
    if first + len(builtins) < len(_BUILTINS):
        return _agent_page(builtins, f"{_BUILTINS_FROM}{first + len(builtins)}")
    room = size - len(builtins)
    if room == 0:  # the built-in agents fill this page; the stored ones follow from the start
        more = (await stored.list(caller.tenant, page_size=1)).items
        return _agent_page(builtins, start_token() if more else None)
    page = await stored.list(caller.tenant, page_size=room)
    return _agent_page([*builtins, *(_echo(r.spec) for r in page.items)], page.next_page_token)


_BUILTINS = list(BUILTIN_AGENTS.values())
_BUILTINS_FROM = "builtins."
"""A page token inside the built-in agents (a store token never holds a dot)."""


def _builtin_offset(token: str) -> int:
    offset = token.removeprefix(_BUILTINS_FROM)
    if not (offset.isdigit() and 0 < int(offset) < len(_BUILTINS)):
        raise InvalidArgument("not a page token of this list", field="page_token")
    return int(offset)


def _agent_page(agents: list[dict[str, Any]], next_page_token: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"agents": agents}
    if next_page_token:
        body["next_page_token"] = next_page_token
    return body


@router.get("/{agent_id}", response_model=Agent, response_model_exclude_none=True, operation_id="agents-get")
async def get_agent(
    agent_id: str, _v: VersionDep, caller: CallerDep, services: ServicesDep
) -> dict[str, Any]:
    """Get an agent by id; a built-in agent's alias answers as that agent, under the alias."""
    builtin = services.agent_aliases.builtin(agent_id)
    if builtin is not None:
        return builtin
    target = services.agent_aliases.target(agent_id)
    if target is not None:  # an operator's alias of a stored agent
        agent_id = target
    record = await services.store.agents.get(caller.tenant, agent_id)
    if record is None:
        raise NotFound(f"agent {agent_id!r} not found")
    return _echo(record.spec)


@router.delete("/{agent_id}", operation_id="agents-delete")
async def delete_agent(
    agent_id: str, _v: VersionDep, caller: CallerDep, services: ServicesDep
) -> dict[str, Any]:
    """Delete a custom agent."""
    if services.agent_aliases.builtin(agent_id) is not None:
        raise FailedPrecondition(f"the built-in agent {agent_id!r} cannot be deleted")
    await services.store.agents.delete(caller.tenant, agent_id)  # 404 "agent '<id>' not found"
    await asyncio.to_thread(skill_store(services).remove, caller.tenant, "agents", agent_id)
    return {}


def _check_model(services: Services, spec: dict[str, Any]) -> None:
    """A bare model name must be one the operator routes (an alias, the default provider's family):
    refused now, naming the field, rather than at the agent's first run."""
    model = (spec.get("agent_config") or {}).get("model")
    if model:
        try:
            services.interactions.gateway.resolve(model)
        except UnknownProviderError as exc:
            raise InvalidArgument(str(exc), field="agent_config.model") from exc


def _echo(spec: dict[str, Any]) -> dict[str, Any]:
    """A stored agent as answered: its `mcp_server` tools' header values hidden (they stay stored)."""
    return {**spec, "tools": redacted_tools(spec["tools"])} if spec.get("tools") else spec

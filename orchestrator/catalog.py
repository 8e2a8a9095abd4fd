"""Agent definitions: the built-in `default` agent and `base_agent` inheritance."""

from __future__ import annotations

from typing import Any

from orchestrator.errors import InvalidArgument, NotFound
from orchestrator.store import Store

__all__ = ["DEFAULT_AGENT", "DEFAULT_AGENT_ID", "resolve_agent"]

DEFAULT_AGENT_ID = "default"
DEFAULT_AGENT: dict[str, Any] = {
    "id": DEFAULT_AGENT_ID,
    "description": "Warren's built-in agent: every built-in tool and the bundled skills.",
    "system_instruction": (
        "You are a capable autonomous agent working in a Linux sandbox. Your workspace is /workspace. "
        "Use the tools to run code, read and write files and browse; load a skill before following it. "
        "When the task is done, answer with a short summary of what you did and where the results are."
    ),
    "agent_config": {"type": "antigravity", "model": "scripted:demo"},
    "base_environment": {"type": "remote", "network": "disabled"},
    "tools": [{"type": "code_execution"}],
}
_MAX_DEPTH = 16


async def resolve_agent(
    store: Store, tenant: str, agent_id: str, field: str = "agent"
) -> list[dict[str, Any]]:
    """The agent and its base agents, most specific first, ending with `default`.

    Raises:
        NotFound: the agent (or a base) does not exist for this tenant.
        InvalidArgument: the `base_agent` chain loops or is too deep.
    """
    chain: list[dict[str, Any]] = []
    seen: set[str] = set()
    current: str | None = agent_id
    while current is not None:
        if current in seen or len(chain) >= _MAX_DEPTH:
            raise InvalidArgument(
                f"base_agent chain of {agent_id!r} loops or is deeper than {_MAX_DEPTH}", field=field
            )
        seen.add(current)
        if current == DEFAULT_AGENT_ID:
            chain.append(DEFAULT_AGENT)
            break
        record = await store.agents.get(tenant, current)
        if record is None:
            raise NotFound(f"no agent {current!r}", field=field)
        chain.append(record.spec)
        current = record.spec.get("base_agent") or DEFAULT_AGENT_ID
    return chain


def merged(chain: list[dict[str, Any]], name: str) -> Any:
    """The first value of `name` along the chain (most specific agent wins)."""
    for spec in chain:
        if spec.get(name) is not None:
            return spec[name]
    return None

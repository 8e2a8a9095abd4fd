"""Agent definitions: the built-in `default` and `research` agents, agent aliases, `base_agent` inheritance.

Google's agent presets are aliases (`AgentAliases`): code written for Google names
`antigravity-preview-05-2026` or `deep-research-preview-04-2026` and gets Warren's `default` or
`research` agent, under the name it sent. Operators add or change names (`WARREN_AGENT_ALIASES`).
"""

from __future__ import annotations

import re
from typing import Any

from orchestrator.errors import InvalidArgument, NotFound
from orchestrator.store import Store

__all__ = [
    "BUILTIN_AGENTS",
    "DEFAULT_AGENT",
    "DEFAULT_AGENT_ID",
    "PRESET_ALIASES",
    "RESEARCH_AGENT",
    "AgentAliases",
    "resolve_agent",
]

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
RESEARCH_AGENT: dict[str, Any] = {
    "id": "research",
    "description": "Warren's research agent: browses, keeps cited notes and writes a report.",
    "base_agent": DEFAULT_AGENT_ID,
    "system_instruction": (
        "You research questions on the web. Load the web-research skill first and follow it; use the "
        "report-writing skill for long answers. Every fact in your answer cites its source as a "
        "Markdown link to the page it came from, and a 'Sources' list ends the answer. Say plainly "
        "what you could not find or verify; if the network is closed, say so instead of guessing."
    ),
    "tools": [{"type": "code_execution"}, {"type": "url_context"}, {"type": "google_search"}],
    "skills": ["web-research", "report-writing"],
}
BUILTIN_AGENTS = {DEFAULT_AGENT_ID: DEFAULT_AGENT, "research": RESEARCH_AGENT}
"""The agents every tenant has; they cannot be redefined or deleted."""
PRESET_ALIASES = {"antigravity-*": DEFAULT_AGENT_ID, "deep-research-*": "research"}
"""Google's agent presets (`antigravity-preview-05-2026`, `deep-research-preview-04-2026`, ...)."""
_TARGET = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_MAX_DEPTH = 16


class AgentAliases:
    """Agent names that stand for another agent: exact names first, then the longest `prefix*`.

    Raises:
        ValueError: an operator's target that is not an agent id, naming `WARREN_AGENT_ALIASES`.
    """

    def __init__(self, operator: dict[str, str] | None = None) -> None:
        table = {**PRESET_ALIASES, **(operator or {})}
        for name, target in table.items():
            if not _TARGET.fullmatch(target) or name.rstrip("*") in ("", *BUILTIN_AGENTS):
                raise ValueError(f"WARREN_AGENT_ALIASES: {name[:128]!r} -> {target[:128]!r} is not an alias")
        self.exact = {n: t for n, t in table.items() if not n.endswith("*")}
        self.prefixes = sorted(((n[:-1], t) for n, t in table.items() if n.endswith("*")), reverse=True)

    def target(self, name: str) -> str | None:
        """The agent `name` stands for, or None when it is no alias."""
        if name in self.exact:
            return self.exact[name]
        return next((t for prefix, t in self.prefixes if name.startswith(prefix)), None)

    def builtin(self, name: str) -> dict[str, Any] | None:
        """The built-in agent `name` is or stands for, under `name` (as the client sent it)."""
        spec = BUILTIN_AGENTS.get(self.target(name) or name)
        return None if spec is None else {**spec, "id": name}


PRESETS = AgentAliases()
"""The built-in aliases alone (for readers without the settings)."""


async def resolve_agent(
    store: Store, tenant: str, agent_id: str, field: str = "agent", aliases: AgentAliases = PRESETS
) -> list[dict[str, Any]]:
    """The agent and its base agents, most specific first, ending with `default`; an alias stands
    for its target (an alias of a built-in agent is checked before the tenant's own agents).

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
        current = aliases.target(current) or current
        if current in BUILTIN_AGENTS:
            chain.append(BUILTIN_AGENTS[current])
            if current == DEFAULT_AGENT_ID:
                break
            current = BUILTIN_AGENTS[current].get("base_agent") or DEFAULT_AGENT_ID
            continue
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

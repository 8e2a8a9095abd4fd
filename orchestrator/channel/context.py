"""The fixed part of every model request of a turn, composed by the orchestrator.

The runner shares its sandbox with the code the model runs, so it decides nothing about a model
call: the system prompt starts with the agent's instruction (from the stored agent, through the
`WorkItem` the orchestrator built), the tools are the agent's built-ins plus the caller's client
functions, and the generation settings are the agent's. The runner contributes only what the
orchestrator cannot see, its skill index (bundled and `.agents/skills`), the workspace's `AGENTS.md`
(the project's standing instructions, as Google's managed agents read them) and workspace listing,
as bounded data rendered here under fixed headings with control characters made inert.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agents.model_types import GenerationConfig, ToolDeclaration
from agents.protocol import StepContext, WorkItem
from agents.tools.declarations import builtin_declarations

__all__ = ["WORKSPACE", "ModelContext", "compose"]

WORKSPACE = "/workspace"
"""Where the listing comes from inside the sandbox (named in the prompt's heading)."""
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class ModelContext:
    """What every model call of one turn carries besides the conversation."""

    system: str | None
    """The system prompt."""
    tools: list[ToolDeclaration]
    """Every tool the model may call."""
    config: GenerationConfig
    """Generation settings."""


def compose(work: WorkItem, seen: StepContext) -> ModelContext:
    """The model context of `work`, with what the runner `seen` in its sandbox rendered as data."""
    parts = [work.system or ""]
    if seen.instructions:
        parts.append(
            f"## Workspace instructions (AGENTS.md in {WORKSPACE})\n{_inert_lines(seen.instructions)}"
        )
    if seen.skills and "load_skill" in work.builtin_tools:
        index = "\n".join(f"- {_inert(skill.name)}: {_inert(skill.description)}" for skill in seen.skills)
        parts.append(f"## Skills (call load_skill with a name before following one)\n{index}")
    listing = "\n".join(_inert(path) for path in seen.workspace[:201]) or "(empty)"
    parts.append(f"## Workspace ({WORKSPACE})\n{listing}")
    return ModelContext(
        system="\n\n".join(part for part in parts if part),
        tools=[*builtin_declarations(work.builtin_tools), *work.tools],
        config=work.config,
    )


def _inert(text: str) -> str:
    """One line: control characters, line breaks and bidi overrides become `?`."""
    return _CONTROL.sub("?", text)


def _inert_lines(text: str) -> str:
    """Text whose line breaks and tabs stay; other control characters and bidi overrides become `?`."""
    return "\n".join(_inert(line) for line in text.replace("\t", "    ").splitlines())

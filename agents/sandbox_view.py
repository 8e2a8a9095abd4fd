"""What only the sandbox can see, gathered as data for the orchestrator: the skill index under
`/skills` and the workspace's `.agents/skills`, the workspace's `AGENTS.md`, and a short workspace
listing.

The runner sends it once per turn of work (`StepContext`); the orchestrator renders it into the
system prompt it builds, so the runner never writes prompt text itself.
"""

from __future__ import annotations

from pathlib import Path

from agents.protocol import SkillBrief, StepContext, WorkItem
from agents.skills_mount import SkillsMount
from agents.workspace_conventions import read_instructions, workspace_skills

__all__ = ["step_context"]


def step_context(work: WorkItem, workspace: Path, mounted: SkillsMount) -> StepContext:
    """The sandbox's skill index (only when the agent may load skills: `/skills` as `mounted` read
    it, then the workspace's), the workspace's instructions and its listing."""
    skills = []
    if "load_skill" in work.builtin_tools:
        skills = list(mounted.skills())
        skills += workspace_skills(workspace, taken={skill.name for skill in skills})
    return StepContext(
        skills=[SkillBrief(name=skill.name, description=skill.description) for skill in skills[:256]],
        workspace=_listing(workspace),
        instructions=read_instructions(workspace),
    )


def _listing(root: Path, limit: int = 200) -> list[str]:
    """Up to `limit` workspace paths, two levels deep, folders marked with `/`; hidden ones skipped."""
    lines: list[str] = []
    for path in sorted([*root.glob("*"), *root.glob("*/*")]):
        relative = path.relative_to(root)
        if any(part.startswith(".") for part in relative.parts):
            continue
        lines.append(str(relative) + ("/" if path.is_dir() else ""))
        if len(lines) >= limit:
            lines.append("...")
            break
    return lines

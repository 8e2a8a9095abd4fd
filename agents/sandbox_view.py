"""What only the sandbox can see, gathered as data for the orchestrator: the skill index under
`/skills` and the workspace's `.agents/skills`, the workspace's `AGENTS.md`, and a short workspace
listing.

The runner sends it once per turn of work (`StepContext`); the orchestrator renders it into the
system prompt it builds, so the runner never writes prompt text itself.
"""

from __future__ import annotations

import os
from pathlib import Path

from agents.protocol import SkillBrief, StepContext, WorkItem
from agents.skills_mount import SkillsMount
from agents.workspace_conventions import INSTRUCTION_FILES, SKILLS_DIR, read_instructions, workspace_skills

__all__ = ["step_context"]

_CONVENTIONS = frozenset(Path(path).parts[0] for path in (*INSTRUCTION_FILES, SKILLS_DIR))
"""The root entries the workspace's conventions live under (`AGENTS.md`, `.agents`)."""


def step_context(work: WorkItem, workspace: Path, mounted: SkillsMount) -> StepContext:
    """The sandbox's skill index (only when the agent may load skills: `/skills` as `mounted` read
    it, then the workspace's), the workspace's instructions and its listing.

    The root is listed once, hidden entries too: the instructions and the workspace's skills are
    looked for only when it holds `AGENTS.md` or `.agents` (under gVisor each miss is a system call,
    ~70 µs, and most workspaces have neither)."""
    root = _entries(workspace)
    conventions = not _CONVENTIONS.isdisjoint(name for name, _ in root)
    skills = []
    if "load_skill" in work.builtin_tools:
        skills = list(mounted.skills())
        if conventions:
            skills += workspace_skills(workspace, taken={skill.name for skill in skills})
    return StepContext(
        skills=[SkillBrief(name=skill.name, description=skill.description) for skill in skills[:256]],
        workspace=_listing(workspace, _visible(root)),
        instructions=read_instructions(workspace) if conventions else None,
    )


def _listing(root: Path, entries: list[tuple[str, bool]], limit: int = 200) -> list[str]:
    """Up to `limit` workspace paths, two levels deep, folders marked with `/`; hidden ones skipped.
    `entries` are the root's visible entries.

    One `scandir` per folder, whose entries know their type: under gVisor each listing and `stat`
    is a trip to the gofer, and a glob of `*` and `*/*` listed the root twice and stat'ed each entry."""
    found: list[tuple[tuple[str, ...], bool]] = []
    for name, is_dir in entries:
        found.append(((name,), is_dir))
        if is_dir:
            found += (((name, inner), inner_dir) for inner, inner_dir in _visible(_entries(root / name)))
    lines: list[str] = []
    for parts, is_dir in sorted(found):
        lines.append("/".join(parts) + ("/" if is_dir else ""))
        if len(lines) >= limit:
            lines.append("...")
            break
    return lines


def _entries(folder: Path) -> list[tuple[str, bool]]:
    """The folder's entries, hidden ones too, and whether each is a folder (through symlinks); none
    if unreadable."""
    try:
        with os.scandir(folder) as listing:
            return [(entry.name, _is_dir(entry)) for entry in listing]
    except OSError:
        return []


def _visible(entries: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    return [(name, is_dir) for name, is_dir in entries if not name.startswith(".")]


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False

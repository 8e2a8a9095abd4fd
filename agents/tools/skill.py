"""`load_skill`: hand the model a skill's full instructions and the paths of its files."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from agents.skills import SKILL_FILE, Skill, SkillError, discover, load_skill
from agents.tools.args import LoadSkillArgs
from agents.tools.results import ToolError, ToolResult
from agents.workspace_conventions import skill_folder, workspace_skills

__all__ = ["SkillLoader"]

_NAME = re.compile(r"^[a-z0-9-]+$")


class SkillLoader:
    """Loads skills from the mounted skills root (default `/skills`), then from the workspace's
    `.agents/skills` (when `workspace` is given; a bundled skill wins a name)."""

    def __init__(self, root: Path, workspace: Path | None = None) -> None:
        self._root = root
        self._workspace = workspace

    async def load_skill(self, args: LoadSkillArgs) -> ToolResult:
        """The whole SKILL.md, followed by the absolute paths of the skill's files."""
        return await asyncio.to_thread(self._load, args.name)

    def _find(self, name: str) -> Path | None:
        if not _NAME.fullmatch(name):
            return None
        if (self._root / name / SKILL_FILE).is_file():
            return self._root / name
        return skill_folder(self._workspace, name) if self._workspace is not None else None

    def _load(self, name: str) -> ToolResult:
        folder = self._find(name)
        if folder is None:
            bundled = discover(self._root)
            found = bundled + (
                workspace_skills(self._workspace, {s.name for s in bundled}) if self._workspace else []
            )
            available = ", ".join(skill.name for skill in found) or "none"
            raise ToolError(f"There is no skill named {name!r}. Available skills: {available}.")
        try:
            skill: Skill = load_skill(folder)
        except SkillError as exc:
            raise ToolError(f"The skill {name!r} cannot be loaded: {exc}") from exc
        listing = "\n".join(f"- {folder / rel}" for rel in skill.files())
        where = (
            "run scripts from here; the folder is read-only"
            if folder.parent == self._root
            else "run scripts from here"
        )
        return ToolResult(
            output=f"Skill {skill.name} (folder {folder}):\n\n{skill.text.rstrip()}\n\n"
            f"Files of this skill ({where}):\n{listing}"
        )

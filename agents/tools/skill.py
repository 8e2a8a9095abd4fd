"""`load_skill`: hand the model a skill's full instructions and the paths of its files."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from agents.skills import SKILL_FILE, Skill, SkillError, discover, load_skill
from agents.tools.args import LoadSkillArgs
from agents.tools.results import ToolError, ToolResult

__all__ = ["SkillLoader"]

_NAME = re.compile(r"^[a-z0-9-]+$")


class SkillLoader:
    """Loads skills from the mounted skills root (default `/skills`)."""

    def __init__(self, root: Path) -> None:
        self._root = root

    async def load_skill(self, args: LoadSkillArgs) -> ToolResult:
        """The whole SKILL.md, followed by the absolute paths of the skill's files."""
        return await asyncio.to_thread(self._load, args.name)

    def _load(self, name: str) -> ToolResult:
        folder = self._root / name
        if not _NAME.fullmatch(name) or not (folder / SKILL_FILE).is_file():
            available = ", ".join(skill.name for skill in discover(self._root)) or "none"
            raise ToolError(f"There is no skill named {name!r}. Available skills: {available}.")
        try:
            skill: Skill = load_skill(folder)
        except SkillError as exc:
            raise ToolError(f"The skill {name!r} cannot be loaded: {exc}") from exc
        listing = "\n".join(f"- {folder / rel}" for rel in skill.files())
        return ToolResult(
            output=f"Skill {skill.name} (folder {folder}):\n\n{skill.text.rstrip()}\n\n"
            f"Files of this skill (run scripts from here; the folder is read-only):\n{listing}"
        )

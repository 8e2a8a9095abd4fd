"""The workspace conventions agents expect, read inside the sandbox: `AGENTS.md` and `.agents/skills`.

As Google's managed agents do, an `AGENTS.md` at the workspace root and `.agents/AGENTS.md` are the
project's standing instructions, and each `.agents/skills/<name>/SKILL.md` is a skill beside the
bundled ones. Everything here is written by code in the sandbox, so it is read as untrusted data:
only regular files inside the workspace (no symbolic link is followed), each size bounded. The
runner sends what it read in its `StepContext`; the orchestrator decides where it goes in the prompt.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from agents.skills import SKILL_FILE, Skill, SkillError, load_skill

__all__ = [
    "INSTRUCTION_FILES",
    "MAX_INSTRUCTIONS",
    "SKILLS_DIR",
    "read_instructions",
    "read_regular",
    "skill_folder",
    "workspace_skills",
]

INSTRUCTION_FILES = ("AGENTS.md", ".agents/AGENTS.md")
"""Read in this order; both are used when both exist."""
SKILLS_DIR = ".agents/skills"
MAX_INSTRUCTIONS = 32 * 1024
"""Bytes of instructions read in all (the protocol's bound on `StepContext.instructions`)."""
_MAX_SKILL_FILE = 256 * 1024
_MAX_SKILLS = 64


def read_instructions(workspace: Path, limit: int = MAX_INSTRUCTIONS) -> str | None:
    """The workspace's AGENTS.md files, each under its path, cut at `limit` bytes; None when none."""
    parts: list[str] = []
    left = limit
    for name in INSTRUCTION_FILES:
        data = read_regular(workspace, name, left + 1, whole=False)
        if data is None:
            continue
        cut = "\n(cut here: Warren reads at most 32 KiB of instructions)" if len(data) > left else ""
        data = data[:left]
        text = data.decode("utf-8", errors="replace").strip()
        if text:
            parts.append(f"### {name}\n{text}{cut}")
            left -= len(data)
        if left <= 0:
            break
    return "\n\n".join(parts) or None


def workspace_skills(workspace: Path, taken: set[str]) -> list[Skill]:
    """The valid skills under `.agents/skills` whose names are not `taken` (bundled skills win).

    A skill folder or SKILL.md that is a symbolic link, or a SKILL.md over 256 KiB, is left out.
    """
    root = workspace / SKILLS_DIR
    if not _plain_dirs(workspace, SKILLS_DIR):
        return []
    skills: list[Skill] = []
    for folder in sorted(root.iterdir())[: _MAX_SKILLS * 4]:
        if folder.name in taken or folder.name.startswith(".") or not _plain_dirs(root, folder.name):
            continue
        if read_regular(folder, SKILL_FILE, _MAX_SKILL_FILE) is None:
            continue
        try:
            skills.append(load_skill(folder))
        except SkillError:
            continue
        if len(skills) >= _MAX_SKILLS:
            break
    return skills


def skill_folder(workspace: Path, name: str) -> Path | None:
    """The folder of workspace skill `name`, when it is a plain folder holding a readable SKILL.md."""
    root = workspace / SKILLS_DIR
    if not (_plain_dirs(workspace, SKILLS_DIR) and _plain_dirs(root, name)):
        return None
    return root / name if read_regular(root / name, SKILL_FILE, _MAX_SKILL_FILE) is not None else None


def _plain_dirs(base: Path, relative: str) -> bool:
    """Each component of `relative` under `base` is a real directory, not a symbolic link."""
    path = base
    for part in Path(relative).parts:
        path = path / part
        try:
            mode = path.lstat().st_mode
        except OSError:
            return False
        if not stat.S_ISDIR(mode):
            return False
    return True


def read_regular(base: Path, relative: str, limit: int, *, whole: bool = True) -> bytes | None:
    """At most `limit` bytes of the regular file `relative` under `base`, reached without following a
    link; None when it is missing, a link or not a regular file, or (`whole`) larger than `limit`."""
    parent = str(Path(relative).parent)
    if parent != "." and not _plain_dirs(base, parent):
        return None
    try:
        fd = os.open(base / relative, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode) or (whole and info.st_size > limit):
            return None
        return handle.read(limit)

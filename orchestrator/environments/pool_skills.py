"""A warm-pool slot's `/skills` folder: filled with the bundled skills while the slot waits, then
changed in place to show exactly its environment's skills (a bind mount cannot be swapped later).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from agents.skills import SKILL_FILE
from orchestrator.sandbox import Mount
from orchestrator.skills import SKILLS_MOUNT, SkillSet, SkillStore, copy_skill

__all__ = ["bundled_skills", "select_skills", "skills_mount"]


def skills_mount(folder: Path) -> Mount:
    """The slot's folder at `/skills`."""
    return Mount(source=str(folder), target=SKILLS_MOUNT)


def bundled_skills(store: SkillStore, folder: Path) -> None:
    """A slot's `/skills`: every bundled skill, as the image holds them (readable, root-owned)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, mode=0o755)
    folder.chmod(0o755)
    bundled = store.bundled_dir
    for name in store.bundled_names():
        assert bundled is not None
        copy_skill(bundled / name, folder / name)


def select_skills(store: SkillStore, folder: Path, skills: SkillSet) -> None:
    """Make `folder` (the slot's `/skills`) show exactly `skills`, changing it in place."""
    bundled = store.bundled_dir
    wanted: dict[str, Path] = {}
    names = store.bundled_names() if skills.bundled is None else skills.bundled
    for name in names:
        if bundled is not None and (bundled / name / SKILL_FILE).is_file():
            wanted[name] = bundled / name
    uploads = {n: p for n, p in skills.uploaded.items() if (p / SKILL_FILE).is_file()}
    for entry in folder.iterdir():
        if entry.name not in wanted or entry.name in uploads:
            shutil.rmtree(entry, ignore_errors=True)
    for name, source in {**wanted, **uploads}.items():
        if not (folder / name).exists():
            copy_skill(source, folder / name)

"""Fixtures for source and skill checks: a `Sources` with one allowed root, and local git repositories."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from orchestrator.environments.source_policy import SourcePolicy
from orchestrator.environments.sources import Sources
from orchestrator.skills import SkillStore

REPO = Path(__file__).resolve().parents[3]

SKILL_MD = """---
name: {name}
description: Says hello in a friendly way.
---
# Hello
Run `python scripts/hello.py`.
"""


def make_repo(path: Path, files: dict[str, str], links: dict[str, str] | None = None) -> Path:
    """A bare repository at `path` with one commit holding `files` (and symlinks `links`); returns it."""
    work = path.with_name(path.name + "-work")
    work.mkdir(parents=True)
    for name, content in files.items():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_text(content)
    for name, target in (links or {}).items():
        (work / name).symlink_to(target)
    env = {
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_CONFIG_NOSYSTEM": "1",
        "PATH": "/usr/bin:/bin",
        "HOME": str(work),
    }
    ident = ["-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "init.defaultBranch=main"]
    for cmd in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "seed"], ["tag", "v1"]):
        subprocess.run(["git", *ident, *cmd], cwd=work, env=env, check=True)
    subprocess.run(["git", *ident, "clone", "-q", "--bare", str(work), str(path)], env=env, check=True)
    return path


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """The one allowed source root."""
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    return allowed


@pytest.fixture
def sources(tmp_path: Path, root: Path) -> Sources:
    """Sources with `root` allowed, clones under tmp, and the repository's bundled skills."""
    policy = SourcePolicy(roots=(root,), cache_dir=tmp_path / "cache", clone_timeout_s=30)
    return Sources(policy, SkillStore(tmp_path / "skills", REPO / "skills"))

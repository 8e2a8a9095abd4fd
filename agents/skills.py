"""Skills in the Agent Skills format: a folder holding `SKILL.md` (YAML front matter, then instructions).

The runner lists each skill's name and description in the prompt (`discover`); the model
loads a skill's full instructions with the `load_skill` tool. The orchestrator can use
`parse_skill_md` to refuse a malformed upload with the exact reason. Pure: PyYAML and
pydantic only, no I/O beyond the skill folder.
"""

from __future__ import annotations

import functools
import logging
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict

__all__ = ["SKILL_FILE", "Skill", "SkillError", "discover", "load_skill", "parse_skill_md"]

SKILL_FILE = "SKILL.md"
"""The file that makes a folder a skill."""

_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)(.*)\Z", re.DOTALL)
_OPTIONAL_FIELDS = frozenset({"license", "compatibility", "metadata", "allowed-tools"})
_MAX_NAME = 64
_MAX_DESCRIPTION = 1024
_MAX_COMPATIBILITY = 500
_MAX_FILES_LISTED = 200

_log = logging.getLogger(__name__)


class SkillError(ValueError):
    """A skill that cannot be used; the message says which skill and exactly what is wrong."""


class Skill(BaseModel):
    """One validated skill."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    """Lowercase letters, digits and single hyphens; equal to the folder's name."""
    description: str
    """What the skill does and when to use it (at most 1024 characters): shown in the prompt's index."""
    body: str
    """The instructions after the front matter."""
    text: str
    """The whole SKILL.md as written, which `load_skill` returns to the model."""
    path: Path | None = None
    """The skill's folder, when it was loaded from disk."""
    extras: dict[str, Any] = {}
    """The optional front-matter fields (license, compatibility, metadata, allowed-tools)."""

    def files(self) -> list[str]:
        """The skill's files, relative to its folder, sorted (hidden files skipped, capped at 200)."""
        if self.path is None:
            return []
        found = sorted(
            p.relative_to(self.path).as_posix()
            for p in self.path.rglob("*")
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(self.path).parts)
        )
        return found[:_MAX_FILES_LISTED]


def _check_name(name: Any, folder: str | None) -> str:
    if not isinstance(name, str) or not name:
        raise SkillError("front matter field `name` is required and must be a non-empty string")
    if len(name) > _MAX_NAME:
        raise SkillError(f"`name` is {len(name)} characters long; the limit is {_MAX_NAME}")
    if not _NAME.fullmatch(name):
        raise SkillError(
            f"`name` {name!r} must use only lowercase letters, digits and hyphens, "
            "not start or end with a hyphen, and not contain two hyphens in a row"
        )
    if folder is not None and name != folder:
        raise SkillError(f"`name` {name!r} must match the skill's folder name {folder!r}")
    return name


def _check_description(description: Any) -> str:
    if not isinstance(description, str) or not description.strip():
        raise SkillError("front matter field `description` is required and must be a non-empty string")
    if len(description) > _MAX_DESCRIPTION:
        raise SkillError(
            f"`description` is {len(description)} characters long; the limit is {_MAX_DESCRIPTION}"
        )
    return description.strip()


def _check_optional(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(fields) - _OPTIONAL_FIELDS)
    if unknown:
        raise SkillError(
            f"unknown front matter field(s) {', '.join(unknown)}; allowed are name, description, "
            "license, compatibility, metadata, allowed-tools (put custom keys under `metadata`)"
        )
    for key in ("license", "compatibility", "allowed-tools"):
        if key in fields and not isinstance(fields[key], str):
            raise SkillError(f"`{key}` must be a string")
    if len(fields.get("compatibility", "")) > _MAX_COMPATIBILITY:
        raise SkillError(f"`compatibility` is longer than {_MAX_COMPATIBILITY} characters")
    if "metadata" in fields and not isinstance(fields["metadata"], dict):
        raise SkillError("`metadata` must be a mapping of keys to values")
    return fields


def parse_skill_md(text: str, folder: str | None = None) -> Skill:
    """Validate the text of a SKILL.md and return the skill it describes.

    Args:
        text: the file's content.
        folder: the name of the folder it sits in; when given, `name` must equal it.

    Raises:
        SkillError: with the exact reason the file is malformed.
    """
    match = _FRONT_MATTER.match(text.lstrip("\ufeff"))
    if match is None:
        raise SkillError("SKILL.md must start with YAML front matter between two `---` lines")
    try:
        fields = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        raise SkillError(f"the front matter is not valid YAML: {exc}") from exc
    if not isinstance(fields, dict):
        raise SkillError("the front matter must be a YAML mapping with `name` and `description`")
    name = _check_name(fields.pop("name", None), folder)
    description = _check_description(fields.pop("description", None))
    extras = _check_optional(fields)
    body = match.group(2).strip()
    if not body:
        raise SkillError("SKILL.md has no instructions after the front matter")
    return Skill(name=name, description=description, body=body, text=text, extras=extras)


_parsed = functools.lru_cache(maxsize=32)(parse_skill_md)
"""`parse_skill_md` remembered by text: every turn's skill index reads the same few files again, and
the YAML parse was most of its time (a warm-pool runner parses its bundled skills while it waits)."""


def load_skill(folder: Path) -> Skill:
    """Read and validate the skill in `folder`.

    Raises:
        SkillError: the folder has no readable SKILL.md, or it is malformed; the message names the folder.
    """
    skill_md = folder / SKILL_FILE
    try:
        text = skill_md.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise SkillError(f"skill {folder.name!r}: {SKILL_FILE} is missing") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise SkillError(f"skill {folder.name!r}: cannot read {SKILL_FILE}: {exc}") from exc
    try:
        skill = _parsed(text, folder.name)
    except SkillError as exc:
        raise SkillError(f"skill {folder.name!r}: {exc}") from exc
    return skill.model_copy(update={"path": folder})


def discover(root: Path) -> list[Skill]:
    """The valid skills under `root`, sorted by name; malformed ones are logged and left out.

    A missing root means no skills (an agent may have none mounted).
    """
    if not root.is_dir():
        return []
    skills: list[Skill] = []
    for folder in sorted(root.iterdir()):
        if not folder.is_dir() or folder.name.startswith("."):
            continue
        try:
            skills.append(load_skill(folder))
        except SkillError as exc:
            _log.warning("skipping %s", exc)
    return skills

"""Tool hooks in the format Google documents for managed agents: `hooks.json`, parsed strictly.

A file maps hook names to groups; a group has `enabled` and rules per event, `pre_tool_execution`
and `post_tool_execution`; a rule has a `matcher` (a regular expression searched in the tool's
name) and its `hooks`, each a `command` run in the sandbox or an `http` endpoint called through
the sandbox's egress proxy (so the orchestrator's egress policy decides it), with a timeout:

    {"guard": {"pre_tool_execution": [{"matcher": "^run_code$",
               "hooks": [{"type": "command", "command": "python3 .agents/guard.py", "timeout": 5}]}]}}

The files are the workspace's `.agents/hooks.json` and a `hooks.json` in each of the agent's skills
(under `/skills`); read like `AGENTS.md`: regular files only, no link followed, size bounded.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from agents.workspace_conventions import read_regular

__all__ = [
    "HOOKS_FILE",
    "Handler",
    "HookGroup",
    "HookRule",
    "HooksError",
    "LoadedHooks",
    "load_hooks",
    "skill_hooks",
]

HOOKS_FILE = "hooks.json"
_MAX_FILE = 64 * 1024
_MAX_SKILLS = 64


class HooksError(ValueError):
    """A hooks file that cannot be used; the message names the file and what is wrong."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Handler(_Strict):
    """One hook: a command or an HTTP endpoint."""

    type: Literal["command", "http"] = "command"
    command: Annotated[str, Field(min_length=1, max_length=4096)] | None = None
    url: Annotated[str, Field(min_length=1, max_length=2048, pattern=r"^https?://")] | None = None
    timeout: float = Field(10.0, gt=0, le=120)
    """Seconds before the hook counts as failed."""

    @model_validator(mode="after")
    def _one_target(self) -> Handler:
        """A command hook needs `command`, an http hook `url`, and neither takes the other."""
        wanted, other = ("command", "url") if self.type == "command" else ("url", "command")
        if getattr(self, wanted) is None or getattr(self, other) is not None:
            raise ValueError(f"a `{self.type}` hook takes `{wanted}` (and no `{other}`)")
        return self


class HookRule(_Strict):
    """Hooks for the tools whose names the matcher finds."""

    matcher: str = Field(".*", max_length=256)
    hooks: list[Handler] = Field(max_length=16)

    @field_validator("matcher")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"matcher is not a regular expression: {exc}") from exc
        return value

    def matches(self, tool: str) -> bool:
        """Whether the rule applies to `tool`."""
        return re.search(self.matcher, tool) is not None


class HookGroup(_Strict):
    """A named group of rules, switched off with `enabled: false`."""

    enabled: bool = True
    pre_tool_execution: list[HookRule] = Field(default_factory=list, max_length=32)
    post_tool_execution: list[HookRule] = Field(default_factory=list, max_length=32)


class LoadedHooks(BaseModel):
    """Every enabled group by `<file>:<name>`, and the files that could not be used."""

    groups: dict[str, HookGroup] = Field(default_factory=dict)
    errors: list[str] = Field(default_factory=list)


def skill_hooks(skills_root: Path) -> LoadedHooks:
    """The hooks of the agent's skills under `skills_root`, in name order."""
    loaded = LoadedHooks()
    for folder in _skill_dirs(skills_root):
        _add(loaded, f"/skills/{folder.name}/{HOOKS_FILE}", folder, HOOKS_FILE)
    return loaded


def load_hooks(workspace: Path, skills: LoadedHooks) -> LoadedHooks:
    """The skills' hooks (`skill_hooks`), then the workspace's `.agents/hooks.json`."""
    loaded = LoadedHooks(groups=dict(skills.groups), errors=list(skills.errors))
    _add(loaded, f".agents/{HOOKS_FILE}", workspace, f".agents/{HOOKS_FILE}")
    return loaded


def _add(loaded: LoadedHooks, label: str, base: Path, relative: str) -> None:
    """Add the enabled groups of one hooks file to `loaded`, or why it cannot be used."""
    try:
        groups = _parse(label, read_regular(base, relative, _MAX_FILE))
    except HooksError as exc:
        loaded.errors.append(str(exc))
        return
    loaded.groups.update({f"{label}:{name}": g for name, g in groups.items() if g.enabled})


def _skill_dirs(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.is_symlink())[:_MAX_SKILLS]


def _parse(label: str, data: bytes | None) -> dict[str, HookGroup]:
    if data is None:
        return {}
    try:
        raw = json.loads(data)
    except ValueError as exc:
        raise HooksError(f"{label}: not JSON ({exc})") from exc
    if not isinstance(raw, dict) or len(raw) > 32:
        raise HooksError(f"{label}: must map at most 32 hook names to their groups")
    groups: dict[str, HookGroup] = {}
    for name, body in raw.items():
        try:
            groups[str(name)[:64]] = HookGroup.model_validate(body)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise HooksError(f"{label}: {name}.{where}: {first['msg']}".rstrip(".")) from exc
    return groups

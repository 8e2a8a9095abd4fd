"""The agent YAML file of `warren agents create -f`, checked with errors that name line and field.

id: repo-fixer
description: Fixes failing tests
base_agent: default
system_instruction: You fix tests.
model: gemini:gemini-3-pro
max_total_tokens: 200000
tools: [code_execution, url_context]
base_environment:
  network: disabled            # or {allowlist: [{domain: pypi.org}]}
  sources:
    - {path: ./fixtures, target: fixtures}   # local files, uploaded inline
    - {type: inline, target: notes.md, content: "hello"}
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from orchestrator.cli.common import UsageProblem
from orchestrator.cli.sources import SKIPPED_DIRS

__all__ = ["AgentFile", "load_agent_file"]

_MAX_INLINE_BYTES = 16 << 20


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SourceEntry(_Model):
    """A workspace source: a local `path` (uploaded inline) or a wire source."""

    path: str | None = None
    """A local file or folder, relative to the YAML file; its bytes are sent inline."""
    type: str | None = None
    """A wire source type (`inline`) when `path` is not used."""
    target: str | None = None
    """Where it lands in the workspace."""
    content: str | None = None
    """Inline content (wire form)."""
    encoding: str | None = None
    """`base64` for binary inline content (wire form)."""
    source: str | None = None
    """A wire source's location (repository, gs:// path)."""


class EnvironmentEntry(_Model):
    """The environment every session of the agent starts from."""

    network: Any = None
    """`disabled`, or `{allowlist: [{domain: ...}]}`."""
    sources: list[SourceEntry] | None = None
    """Files placed in the workspace."""
    env: dict[str, Any] | None = None
    """Environment variables (`NAME: value` or `NAME: {credential: id}`)."""
    mode: str | None = None
    """`on_demand` (default) or `self_hosted`."""


class AgentFile(_Model):
    """An agent definition as a person writes it."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
    """The agent's id: letters, digits, `_`, `.`, `-`."""
    description: str | None = None
    """Free text."""
    base_agent: str | None = None
    """The agent this one extends (default `default`)."""
    system_instruction: str | None = None
    """Instructions placed before every conversation."""
    model: str | None = None
    """The model, e.g. `scripted:demo` or `gemini:gemini-3-pro`."""
    max_total_tokens: int | None = Field(default=None, gt=0)
    """Token budget of one run; past it the run ends `budget_exceeded`."""
    tools: list[str | dict[str, Any]] | None = None
    """Tool types (`code_execution`, `url_context`, `google_search`) or wire tool objects."""
    base_environment: EnvironmentEntry | str | None = None
    """An inline environment, or an existing environment's id."""
    skills: list[str] | None = None
    """Reserved: the server has no per-agent skills yet (the bundled skills are always there)."""


def _lines(node: yaml.Node, path: tuple[Any, ...], found: dict[tuple[Any, ...], int]) -> None:
    found[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            _lines(value, (*path, key.value), found)
            found[(*path, key.value, "<key>")] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _lines(item, (*path, index), found)


def _line_of(lines: dict[tuple[Any, ...], int], loc: tuple[Any, ...]) -> int:
    for end in range(len(loc), -1, -1):
        key = tuple(str(p) if not isinstance(p, int) else p for p in loc[:end])
        if key in lines:
            return lines[key]
    return 1


_UNION_TAGS = frozenset({"str", "int", "EnvironmentEntry", "SourceEntry"})


def _clean(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """The location without the union member tags pydantic inserts (`str`, `dict[str,any]`, ...)."""
    return tuple(p for p in loc if isinstance(p, int) or (p not in _UNION_TAGS and "[" not in str(p)))


def _field(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top)"


def _problems(exc: ValidationError, path: Path, lines: dict[tuple[Any, ...], int]) -> list[str]:
    """One `file:line: field: message` per error; a union's "not a string" is dropped when the
    object branch explains more."""
    errors = [(_clean(tuple(e["loc"])), e) for e in exc.errors()]
    kept = [
        (loc, e)
        for loc, e in errors
        if not (
            e["type"] == "string_type" and any(len(o) > len(loc) and o[: len(loc)] == loc for o, _ in errors)
        )
    ]
    return [f"{path}:{_line_of(lines, loc)}: {_field(loc)}: {e['msg']}" for loc, e in kept]


def load_agent_file(path: Path) -> dict[str, Any]:
    """Read, check and convert an agent YAML file to the wire `Agent` body.

    Raises:
        UsageProblem: unreadable file, bad YAML, or a field that fails validation
            (the message names `file:line` and the field).
    """
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageProblem(f"{path}: {exc.strerror}") from None
    try:
        node = yaml.compose(raw)
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise UsageProblem(f"{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    lines: dict[tuple[Any, ...], int] = {}
    if node is not None:
        _lines(node, (), lines)
    try:
        agent = AgentFile.model_validate(data if data is not None else {})
    except ValidationError as exc:
        raise UsageProblem("\n".join(_problems(exc, path, lines))) from None
    if agent.skills:
        raise UsageProblem(
            f"{path}:{_line_of(lines, ('skills',))}: skills: per-agent skills are not supported by the "
            "server yet; the bundled skills are available to every agent"
        )
    return _to_wire(agent, path.parent, lines, path)


def _to_wire(agent: AgentFile, base: Path, lines: dict[tuple[Any, ...], int], path: Path) -> dict[str, Any]:
    body: dict[str, Any] = agent.model_dump(
        exclude_none=True, exclude={"model", "max_total_tokens", "tools", "base_environment", "skills"}
    )
    if agent.model or agent.max_total_tokens:
        config: dict[str, Any] = {"type": "antigravity"}
        if agent.model:
            config["model"] = agent.model
        if agent.max_total_tokens:
            config["max_total_tokens"] = str(agent.max_total_tokens)
        body["agent_config"] = config
    if agent.tools is not None:
        body["tools"] = [{"type": t} if isinstance(t, str) else t for t in agent.tools]
    env = agent.base_environment
    if isinstance(env, str):
        body["base_environment"] = env
    elif env is not None:
        wire: dict[str, Any] = {"type": "remote"}
        wire.update(env.model_dump(exclude_none=True, exclude={"sources"}))
        if env.sources is not None:
            wire["sources"] = []
            for index, source in enumerate(env.sources):
                if source.path is None:
                    wire["sources"].append(source.model_dump(exclude_none=True))
                    continue
                where = f"{path}:{_line_of(lines, ('base_environment', 'sources', index))}"
                wire["sources"] += _inline(base / source.path, source.target, where)
        body["base_environment"] = wire
    return body


def _inline(local: Path, target: str | None, where: str) -> list[dict[str, Any]]:
    if not local.exists():
        raise UsageProblem(f"{where}: base_environment.sources.path: no such file or folder {str(local)!r}")
    files = [local] if local.is_file() else sorted(p for p in local.rglob("*") if p.is_file())
    files = [f for f in files if not SKIPPED_DIRS.intersection(f.parts) and not f.is_symlink()]
    total = sum(f.stat().st_size for f in files)
    if total > _MAX_INLINE_BYTES:
        raise UsageProblem(
            f"{where}: base_environment.sources.path: {total} bytes is more than 16 MiB inline"
        )
    root = target if target is not None else (local.name if local.is_file() else "")
    sources = []
    for file in files:
        relative = file.relative_to(local).as_posix() if local.is_dir() else ""
        destination = "/".join(p for p in (root.strip("/"), relative) if p)
        sources.append(
            {
                "type": "inline",
                "target": destination,
                "content": base64.b64encode(file.read_bytes()).decode(),
                "encoding": "base64",
            }
        )
    return sources

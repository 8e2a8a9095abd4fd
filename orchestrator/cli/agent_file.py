"""The agent YAML file of `warren agents create -f`: its fields, and loading it (blocking I/O).

Errors name line and field (`agent_file_lines.py`); the checked file becomes the wire body in
`agent_wire.py`. An example:

id: repo-fixer
description: Fixes failing tests
base_agent: default
system_instruction: You fix tests.
model: gemini:gemini-3-pro
max_total_tokens: 200000
tools: [code_execution, url_context]
require_approval:              # these built-in calls wait for `warren approve` (or the run's prompt)
  - {tool: ^run_code$, arguments: "rm |git push", reason: deletes files or pushes}
base_environment:
  network: disabled            # or {allowlist: [{domain: pypi.org}]}
  sources:
    - {path: ./fixtures, target: fixtures}   # local files, uploaded inline
    - {type: inline, target: notes.md, content: "hello"}
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from orchestrator.cli.agent_file_lines import line_map, line_of, problems
from orchestrator.cli.agent_wire import to_wire
from orchestrator.cli.common import UsageProblem

__all__ = ["AgentFile", "load_agent_file"]


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


class ApprovalEntry(_Model):
    """Built-in calls that wait for a person's approval before they run."""

    tool: str
    """A regular expression searched in the tool's name, e.g. `^run_code$`."""
    arguments: str | None = None
    """A regular expression searched in each string among the call's arguments; absent: every call."""
    reason: str | None = None
    """What the approval request tells the person."""


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
    require_approval: list[ApprovalEntry] | None = None
    """Built-in calls that pause the run until approved (`warren approve`)."""
    tools: list[str | dict[str, Any]] | None = None
    """Tool types (`code_execution`, `url_context`, `google_search`) or wire tool objects."""
    base_environment: EnvironmentEntry | str | None = None
    """An inline environment, or an existing environment's id."""
    skills: list[str] | None = None
    """Reserved: the server has no per-agent skills yet (the bundled skills are always there)."""


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
        line_map(node, (), lines)
    try:
        agent = AgentFile.model_validate(data if data is not None else {})
    except ValidationError as exc:
        raise UsageProblem("\n".join(problems(exc, path, lines))) from None
    if agent.skills:
        raise UsageProblem(
            f"{path}:{line_of(lines, ('skills',))}: skills: per-agent skills are not supported by the "
            "server yet; the bundled skills are available to every agent"
        )
    return to_wire(agent, path.parent, lines, path)

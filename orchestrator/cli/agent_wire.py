"""An agent file as the wire `Agent` body: model, budget and approval rules into `agent_config`, local
sources inlined.

A source given as a local `path` is read here and sent inline (base64), up to 16 MiB in all, so
an agent can carry fixtures without a repository; version-control and dependency folders and
symbolic links are left out. Reads files: callers run it in a worker thread.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestrator.cli.agent_file_lines import line_of
from orchestrator.cli.common import UsageProblem
from orchestrator.cli.sources import SKIPPED_DIRS

if TYPE_CHECKING:
    from orchestrator.cli.agent_file import AgentFile

__all__ = ["to_wire"]

_MAX_INLINE_BYTES = 16 << 20


def to_wire(agent: AgentFile, base: Path, lines: dict[tuple[Any, ...], int], path: Path) -> dict[str, Any]:
    """The wire `Agent` body of a checked agent file; `path` sources relative to `base` are inlined."""
    body: dict[str, Any] = agent.model_dump(
        exclude_none=True,
        exclude={"model", "max_total_tokens", "require_approval", "tools", "base_environment", "skills"},
    )
    if agent.model or agent.max_total_tokens or agent.require_approval:
        config: dict[str, Any] = {"type": "antigravity"}
        if agent.model:
            config["model"] = agent.model
        if agent.max_total_tokens:
            config["max_total_tokens"] = str(agent.max_total_tokens)
        if agent.require_approval:
            config["require_approval"] = [r.model_dump(exclude_none=True) for r in agent.require_approval]
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
                where = f"{path}:{line_of(lines, ('base_environment', 'sources', index))}"
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

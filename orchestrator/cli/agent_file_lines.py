"""Line numbers for an agent file's validation errors: `agent.yaml:7: tools[1]: ...`.

pydantic reports a location as a path of keys and indexes, and YAML's composed node tree knows
the line of each; this maps one onto the other, and drops the union-member tags pydantic puts
into paths, so a person is pointed at the line they wrote.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

__all__ = ["line_map", "line_of", "problems"]


def line_map(node: yaml.Node, path: tuple[Any, ...], found: dict[tuple[Any, ...], int]) -> None:
    """Record in `found` the line of every value (and key) under `node`, by its path of keys and indexes."""
    found[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            line_map(value, (*path, key.value), found)
            found[(*path, key.value, "<key>")] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            line_map(item, (*path, index), found)


def line_of(lines: dict[tuple[Any, ...], int], loc: tuple[Any, ...]) -> int:
    """The line of `loc`, or of its nearest recorded parent (line 1 when none is)."""
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


def problems(exc: ValidationError, path: Path, lines: dict[tuple[Any, ...], int]) -> list[str]:
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
    return [f"{path}:{line_of(lines, loc)}: {_field(loc)}: {e['msg']}" for loc, e in kept]

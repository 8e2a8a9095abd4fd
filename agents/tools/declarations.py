"""The built-in tools' declarations for the model, importable without starting anything.

The orchestrator can build a work item's tool list from here: this module needs only
pydantic, not Playwright. It also holds the built-in tool names the orchestrator groups by wire
tool type, and turns each argument model into the plain JSON schema every provider accepts.
"""

from __future__ import annotations

import ast
import functools
import inspect
import textwrap
from collections.abc import Iterable
from typing import Any

from agents.model_types import ToolDeclaration
from agents.tools.args import (
    BrowserArgs,
    EditFileArgs,
    ListFilesArgs,
    LoadSkillArgs,
    ReadFileArgs,
    RunCodeArgs,
    SearchFilesArgs,
    ToolArgs,
    WriteFileArgs,
)

__all__ = [
    "BROWSER_TOOL",
    "BUILTIN_TOOL_NAMES",
    "CODE_TOOL",
    "CODE_TOOLS",
    "TOOL_ARGS",
    "builtin_declarations",
    "enabled_tools",
]

TOOL_ARGS: dict[str, type[ToolArgs]] = {
    "run_code": RunCodeArgs,
    "read_file": ReadFileArgs,
    "write_file": WriteFileArgs,
    "edit_file": EditFileArgs,
    "list_files": ListFilesArgs,
    "search_files": SearchFilesArgs,
    "browser": BrowserArgs,
    "load_skill": LoadSkillArgs,
}
"""Each built-in tool's model-facing name (DESIGN.md section 3) and its argument model."""

BUILTIN_TOOL_NAMES = tuple(TOOL_ARGS)
"""The built-in tool names, in declaration order."""
CODE_TOOL = "run_code"
"""The tool whose calls and results the wire shows as `code_execution_call` / `_result` steps."""
BROWSER_TOOL = "browser"
"""The tool the wire types `url_context` and `google_search` enable."""
CODE_TOOLS = tuple(name for name in BUILTIN_TOOL_NAMES if name != BROWSER_TOOL)
"""The tools the wire type `code_execution` enables: every built-in but the browser."""


def builtin_declarations(enabled: Iterable[str] | None = None) -> list[ToolDeclaration]:
    """Declarations of the enabled built-in tools (default: all), in `BUILTIN_TOOL_NAMES` order.

    Raises:
        ValueError: `enabled` names a tool that is not built in.
    """
    return [_declaration(name).model_copy(deep=True) for name in enabled_tools(enabled)]


def enabled_tools(enabled: Iterable[str] | None = None) -> tuple[str, ...]:
    """The enabled built-in tool names (default: all), in `BUILTIN_TOOL_NAMES` order, without
    building a schema (the runner needs the names only).

    Raises:
        ValueError: `enabled` names a tool that is not built in.
    """
    wanted = set(BUILTIN_TOOL_NAMES if enabled is None else enabled)
    unknown = sorted(wanted - set(BUILTIN_TOOL_NAMES))
    if unknown:
        known = ", ".join(BUILTIN_TOOL_NAMES)
        raise ValueError(f"unknown built-in tool(s): {', '.join(unknown)}; known: {known}")
    return tuple(name for name in BUILTIN_TOOL_NAMES if name in wanted)


@functools.cache
def _declaration(name: str) -> ToolDeclaration:
    """One tool's declaration, made once: building its JSON schema costs pydantic about 1 ms, and the
    orchestrator composes the tool list of every turn (callers get deep copies to change freely)."""
    args = TOOL_ARGS[name]
    return ToolDeclaration(
        name=name,
        description=" ".join(inspect.cleandoc(args.__doc__ or "").split()),
        parameters=_json_schema(args),
    )


def _clean(node: Any, defs: dict[str, Any]) -> Any:
    """Inline `$ref`s, drop titles and collapse `X | None` so every provider accepts the schema."""
    if isinstance(node, list):
        return [_clean(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return _clean(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("title", "$defs"):
            continue
        if key == "properties":
            out[key] = {name: _clean(prop, defs) for name, prop in value.items()}
        elif key == "anyOf":
            options = [opt for opt in value if opt != {"type": "null"}]
            if len(options) == 1:
                out.update(_clean(options[0], defs))
            else:
                out[key] = _clean(options, defs)
        elif key == "description" and isinstance(value, str):
            out[key] = " ".join(value.split())
        else:
            out[key] = _clean(value, defs)
    if out.get("default", 0) is None:
        del out["default"]
    return out


def _field_docs(model: type[ToolArgs]) -> dict[str, str]:
    """Each field's docstring (the string under its annotation), read from the source of `model` and
    of the argument models it inherits from.

    Read here, once per tool in the orchestrator, instead of by pydantic's `use_attribute_docstrings`,
    which parses each model's source as its class is made: in every runner's start, for a schema
    only the orchestrator builds.
    """
    docs: dict[str, str] = {}
    for cls in reversed([c for c in model.__mro__ if issubclass(c, ToolArgs)]):
        body = ast.parse(textwrap.dedent(inspect.getsource(cls))).body[0]
        assert isinstance(body, ast.ClassDef)
        for field, doc in zip(body.body, body.body[1:], strict=False):
            if not (isinstance(field, ast.AnnAssign) and isinstance(field.target, ast.Name)):
                continue
            text = doc.value.value if isinstance(doc, ast.Expr) and isinstance(doc.value, ast.Constant) else 0
            if isinstance(text, str):
                docs[field.target.id] = inspect.cleandoc(text)
    return docs


def _json_schema(model: type[ToolArgs]) -> dict[str, Any]:
    """The self-contained JSON schema of a tool's arguments, without the description of the tool."""
    raw = model.model_json_schema()
    for name, doc in _field_docs(model).items():  # in key order, as pydantic sorts a field's schema
        prop = raw.get("properties", {}).get(name)
        if isinstance(prop, dict) and "description" not in prop:
            raw["properties"][name] = dict(sorted({**prop, "description": doc}.items()))
    cleaned: dict[str, Any] = _clean(raw, raw.get("$defs", {}))
    cleaned.pop("description", None)
    cleaned.pop("additionalProperties", None)
    return cleaned

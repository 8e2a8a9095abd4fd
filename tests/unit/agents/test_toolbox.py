"""The Toolbox contract: declarations (DESIGN.md section 3), argument validation, dispatch."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.tools import BUILTIN_TOOL_NAMES as BUILTIN_TOOLS
from agents.tools import Toolbox, ToolboxConfig

from .conftest import SKILLS

CONTRACT = {
    "run_code": {"language", "code", "timeout_s"},
    "read_file": {"path", "offset", "limit"},
    "write_file": {"path", "content"},
    "edit_file": {"path", "old_text", "new_text"},
    "list_files": {"path", "depth"},
    "search_files": {"pattern", "path"},
    "browser": {"action", "url", "ref", "text"},
    "load_skill": {"name"},
}


def _walk(node: object) -> list[dict[str, object]]:
    if isinstance(node, dict):
        return [node, *(n for value in node.values() for n in _walk(value))]
    if isinstance(node, list):
        return [n for value in node for n in _walk(value)]
    return []


def test_declarations_match_the_contract(file_toolbox: Toolbox) -> None:
    declarations = {d.name: d for d in file_toolbox.declarations()}
    assert list(declarations) == list(CONTRACT) == list(BUILTIN_TOOLS)
    for name, declaration in declarations.items():
        schema = declaration.parameters
        assert schema["type"] == "object" and set(schema["properties"]) == CONTRACT[name], name
        assert declaration.description and "\n" not in declaration.description
        for prop in schema["properties"].values():
            assert prop.get("description") and prop.get("type"), (name, prop)
        for node in _walk(schema):
            assert not {"$ref", "$defs", "title", "anyOf"} & set(node), (name, node)
    browser = declarations["browser"].parameters["properties"]["action"]
    assert browser["enum"] == [
        "navigate",
        "snapshot",
        "click",
        "type",
        "press",
        "scroll",
        "back",
        "screenshot",
        "wait",
    ]
    assert declarations["run_code"].parameters["properties"]["language"]["enum"] == ["python", "bash"]
    assert declarations["run_code"].parameters["required"] == ["code"]


def test_enabled_subset(workspace: Path) -> None:
    tools = Toolbox(
        ToolboxConfig(workspace=workspace, skills_root=SKILLS), enabled=["read_file", "load_skill"]
    )
    assert [d.name for d in tools.declarations()] == ["read_file", "load_skill"]
    with pytest.raises(ValueError, match="unknown built-in tool"):
        Toolbox(ToolboxConfig(workspace=workspace), enabled=["rm_rf"])


async def test_disabled_and_unknown_tools_are_error_results(workspace: Path) -> None:
    tools = Toolbox(ToolboxConfig(workspace=workspace, skills_root=SKILLS), enabled=["read_file"])
    for name in ("run_code", "teleport"):
        result = await tools.call(name, {"code": "1"})
        assert result.is_error and f"There is no tool named {name!r}" in result.output


@pytest.mark.parametrize(
    ("name", "arguments", "message"),
    [
        ("run_code", {}, "`code`: Field required"),
        ("run_code", {"code": "1", "language": "ruby"}, "`language`: Input should be 'python' or 'bash'"),
        (
            "run_code",
            {"code": "1", "timeout_s": 0},
            "`timeout_s`: Input should be greater than or equal to 1",
        ),
        ("read_file", {"path": "a", "offset": "x"}, "`offset`: Input should be a valid integer"),
        ("read_file", {"path": "a", "bogus": 1}, "`bogus`: Extra inputs are not permitted"),
        ("browser", {"action": "type", "ref": "e1"}, "`text` is required when action is 'type'"),
        ("browser", {"action": "fly"}, "`action`: Input should be"),
    ],
)
async def test_bad_arguments_name_the_field(
    file_toolbox: Toolbox, name: str, arguments: dict[str, object], message: str
) -> None:
    result = await file_toolbox.call(name, arguments)
    assert result.is_error and result.output.startswith(f"Invalid arguments for {name}: ")
    assert message in result.output


async def test_non_object_arguments_are_refused(file_toolbox: Toolbox) -> None:
    result = await file_toolbox.call("read_file", ["a"])  # type: ignore[arg-type]
    assert result.is_error and "expected a JSON object" in result.output

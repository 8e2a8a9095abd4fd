"""hooks.json parsed strictly: a bad file is refused naming the exact place, links are not followed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agents.hooks_config import load_hooks, skill_hooks


def _write(workspace: Path, content: object) -> None:
    (workspace / ".agents").mkdir(parents=True, exist_ok=True)
    (workspace / ".agents" / "hooks.json").write_text(
        content if isinstance(content, str) else json.dumps(content)
    )


@pytest.mark.parametrize(
    ("content", "error"),
    [
        ("{nope", ".agents/hooks.json: not JSON"),
        ([1], ".agents/hooks.json: must map at most 32 hook names"),
        ({"g": {"pre_tool_execution": [{"matcher": "(", "hooks": []}]}}, "g.pre_tool_execution.0.matcher"),
        (
            {"g": {"pre_tool_execution": [{"hooks": [{"type": "http", "command": "x"}]}]}},
            "a `http` hook takes `url`",
        ),
        ({"g": {"pre_tool_execution": [{"hooks": [{"command": "x", "timeout": 900}]}]}}, "timeout"),
        ({"g": {"PreToolUse": []}}, "g.PreToolUse: Extra inputs are not permitted"),
    ],
)
def test_a_bad_file_is_an_error_naming_the_place(tmp_path: Path, content: object, error: str) -> None:
    _write(tmp_path, content)
    loaded = load_hooks(tmp_path, skill_hooks(tmp_path / "no-skills"))
    assert loaded.groups == {} and len(loaded.errors) == 1 and error in loaded.errors[0], loaded.errors


def test_skills_hooks_come_first_and_disabled_groups_are_left_out(tmp_path: Path) -> None:
    skills = tmp_path / "skills"
    (skills / "audit").mkdir(parents=True)
    rule = {"pre_tool_execution": [{"matcher": "run", "hooks": [{"command": "true"}]}]}
    (skills / "audit" / "hooks.json").write_text(json.dumps({"a": rule}))
    _write(tmp_path / "ws", {"b": rule, "c": {**rule, "enabled": False}})
    loaded = load_hooks(tmp_path / "ws", skill_hooks(skills))
    assert list(loaded.groups) == ["/skills/audit/hooks.json:a", ".agents/hooks.json:b"] and not loaded.errors
    assert loaded.groups[".agents/hooks.json:b"].pre_tool_execution[0].matches("run_code")


def test_a_linked_hooks_file_is_not_read(tmp_path: Path) -> None:
    outside = tmp_path / "outside.json"
    outside.write_text(json.dumps({"g": {"pre_tool_execution": [{"hooks": [{"command": "true"}]}]}}))
    (tmp_path / "ws" / ".agents").mkdir(parents=True)
    (tmp_path / "ws" / ".agents" / "hooks.json").symlink_to(outside)
    assert load_hooks(tmp_path / "ws", skill_hooks(tmp_path / "none")).groups == {}


def test_each_call_reads_the_workspace_file_again_over_the_skills_hooks_read_once(tmp_path: Path) -> None:
    skills = tmp_path / "skills"
    (skills / "audit").mkdir(parents=True)
    rule = {"pre_tool_execution": [{"matcher": "run", "hooks": [{"command": "true"}]}]}
    (skills / "audit" / "hooks.json").write_text(json.dumps({"a": rule}))
    once = skill_hooks(skills)
    _write(tmp_path / "ws", {"b": rule})
    first = load_hooks(tmp_path / "ws", once)
    _write(tmp_path / "ws", {"c": rule})  # the agent changed its hooks file between two calls
    second = load_hooks(tmp_path / "ws", once)
    assert list(first.groups) == ["/skills/audit/hooks.json:a", ".agents/hooks.json:b"]
    assert list(second.groups) == ["/skills/audit/hooks.json:a", ".agents/hooks.json:c"]
    assert list(once.groups) == ["/skills/audit/hooks.json:a"], "the skills' hooks are not added to"

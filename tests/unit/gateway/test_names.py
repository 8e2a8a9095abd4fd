"""The model name grammar and the script loader's file checks (issue 13): pure logic and local files."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from orchestrator.gateway import ProviderRegistry, ScriptError, UnknownProviderError
from orchestrator.gateway.names import MAX_MODEL_NAME_CHARS, check_model_name, model_name_pattern
from orchestrator.gateway.registry import PROVIDERS
from orchestrator.gateway.script_loader import MAX_SCRIPT_BYTES, load_script

GOOD = [
    "scripted:echo",
    "scripted:demo",
    "scripted:two_turns-2",
    "gemini:gemini-3-pro",
    "gemini:publishers/google/models/gemini-3-pro",
    "openai:gpt-5",
    "openai:qwen3:8b",
    "openai:meta-llama/Llama-3.1-8B-Instruct",
    "openai:ft:gpt-4o-mini:org:custom:id",
    "anthropic:claude-sonnet-4-5",
    "anthropic:claude-3@20240229",
]
BAD = [
    "scripted:/etc/shadow",
    "scripted:../etc/passwd",
    "scripted:a/b",
    "scripted:demo.yaml",
    "scripted:" + "a" * 65,
    "gemini:../../v1beta/files",
    "gemini:models/../files",
    "gemini:models//x",
    "gemini:/models/x",
    "openai:gpt-5?x=1",
    "openai:gpt 5",
    "openai:gpt-5#x",
    "openai:%2e%2e",
    "openai:" + "m" * MAX_MODEL_NAME_CHARS,
    "mistral:large",
    "Gemini:gemini-3-pro",
    "gpt-5",
    ":x",
    "openai:",
]


@pytest.mark.parametrize("name", GOOD)
def test_real_model_names_pass(name: str) -> None:
    assert check_model_name(name, PROVIDERS) == tuple(name.split(":", 1))


@pytest.mark.parametrize("name", BAD)
def test_names_outside_the_grammar_fail_without_being_quoted(name: str) -> None:
    with pytest.raises(UnknownProviderError) as caught:
        check_model_name(name, PROVIDERS)
    assert "anthropic, gemini, openai, scripted" in str(caught.value)
    model = name.partition(":")[2]
    assert not model or model not in str(caught.value)


def test_the_published_pattern_agrees_with_the_check() -> None:
    """The OpenAPI document's pattern is the same grammar (a client may validate before sending)."""
    import re

    pattern = re.compile(model_name_pattern(PROVIDERS))
    assert all(pattern.match(name) for name in GOOD)
    too_long = {n for n in BAD if len(n) > MAX_MODEL_NAME_CHARS}
    bare = {"gpt-5"}  # well-formed bare names pass the grammar; routing decides (`test_routing.py`)
    assert all(pattern.match(name) for name in bare)
    assert not any(pattern.match(name) for name in BAD if name not in too_long | bare)
    for name in ("gemini-3/../x", "a b", "-gemini", "gemini-3?x", ""):
        assert not pattern.match(name)


def test_the_cache_keeps_the_most_recent_names() -> None:
    registry = ProviderRegistry(max_cached=3)
    first = registry.resolve("scripted:a")
    for name in ("scripted:b", "scripted:c"):
        registry.resolve(name)
    assert registry.resolve("scripted:a") is first, "a hit refreshes the name"
    registry.resolve("scripted:d")  # drops b, the least recently used
    assert registry.cached == 3
    assert registry.resolve("scripted:a") is first


def test_an_operator_script_shadows_nothing_it_does_not_name(tmp_path: Path) -> None:
    (tmp_path / "mine.yaml").write_text("turns: [{text: mine}]")
    assert load_script("mine", [tmp_path]).turns[0].text == "mine"
    assert load_script("demo", [tmp_path]).description, "the bundled scripts stay reachable"


def test_fifos_and_devices_are_refused_before_a_byte_is_read(tmp_path: Path) -> None:
    """A FIFO with no writer blocked the event loop; `/dev/zero` read until out of memory."""
    os.mkfifo(tmp_path / "fifo.yaml")
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    for name in ("fifo", "zero"):
        started = time.monotonic()
        with pytest.raises(ScriptError, match="not a regular file"):
            load_script(name, [tmp_path])
        assert time.monotonic() - started < 2


def test_large_scripts_are_refused(tmp_path: Path) -> None:
    (tmp_path / "big.yaml").write_text("#" * (MAX_SCRIPT_BYTES + 1))
    with pytest.raises(ScriptError, match="larger than"):
        load_script("big", [tmp_path])


def test_load_errors_say_where_not_what(tmp_path: Path) -> None:
    """No path, no YAML snippet, no pydantic `input_value`: a tenant sees these messages."""
    secret = "sk-live-unit-0123456789abcdef"
    (tmp_path / "extra.json").write_text(f'{{"turns": [], "api_key": "{secret}"}}')
    (tmp_path / "typed.yaml").write_text(f"turns: [{{text: [{secret}]}}]")
    (tmp_path / "broken.yaml").write_text(f"turns: [{{text: '{secret}'\n  - :")
    (tmp_path / "latin.yaml").write_bytes(b"turns: [{text: '\xff'}]")
    messages = []
    for name in ("extra", "typed", "broken", "latin"):
        with pytest.raises(ScriptError) as caught:
            load_script(name, [tmp_path])
        messages.append(str(caught.value))
    assert messages[0] == "script 'extra' is malformed: api_key: Extra inputs are not permitted"
    assert messages[1].startswith("script 'typed' is malformed: turns.0.text: ")
    assert messages[2].startswith("script 'broken' is not valid YAML (line ")
    assert messages[3] == "script 'latin' is not UTF-8 text"
    for message in messages:
        assert secret not in message and "input_value" not in message and str(tmp_path) not in message

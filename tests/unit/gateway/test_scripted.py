"""The offline `scripted` provider: turn choice from the request alone, rules, templates, usage."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.gateway import (
    Message,
    ModelRequest,
    ProviderError,
    ResponseDone,
    ScriptError,
    TextDelta,
    TextPart,
    ThoughtDelta,
    ToolCallEvent,
    ToolResultPart,
    UsageEvent,
    resolve,
)
from orchestrator.gateway.scripted import ScriptedProvider
from orchestrator.gateway.scripted_text import count_tokens

SCRIPT = """
turns:
  - thought: "check first"
    text: "Listing the files now, please wait a moment."
    tool_calls:
      - name: list_files
        arguments: {path: "."}
      - name: read_file
        arguments: {path: "a.txt"}
  - when_result_contains: ["secret", "password"]
    text: "Found something sensitive in {result:read_file}"
    else:
      text: "Nothing here; listing said {result:list_files} and last was {last_result}"
  - error: {status_code: 503, message: "scripted outage"}
"""


def user(text: str) -> Message:
    return Message(role="user", parts=[TextPart(text=text)])


@pytest.fixture
def script(tmp_path: Path) -> Path:
    """An operator's scripts folder holding `SCRIPT` as the script `s`."""
    (tmp_path / "s.yaml").write_text(SCRIPT)
    return tmp_path


def results(list_out: str, read_out: str) -> Message:
    return Message(
        role="user",
        parts=[
            ToolResultPart(call_id="call_0_0", name="list_files", output=list_out),
            ToolResultPart(call_id="call_0_1", name="read_file", output=read_out),
        ],
    )


async def test_echo_answers_the_last_user_text() -> None:
    provider = resolve("scripted:echo")
    response = await provider.generate(ModelRequest(messages=[user("first"), user("hello there")]))
    assert response.text == "hello there"
    assert response.finish_reason == "stop"


async def test_echo_streams_deltas_that_concatenate() -> None:
    text = "one two three four five six seven"
    events = [e async for e in resolve("scripted:echo").stream(ModelRequest(messages=[user(text)]))]
    deltas = [e.text for e in events if isinstance(e, TextDelta)]
    assert len(deltas) == 3
    assert "".join(deltas) == text
    assert isinstance(events[-1], ResponseDone) and events[-1].response.text == text


async def test_turn_is_chosen_from_the_request_alone(script: Path) -> None:
    """Two separate provider instances (think: two processes) play the same turn for the same request."""
    first = await ScriptedProvider("s", [script]).generate(ModelRequest(messages=[user("go")]))
    assert [c.name for c in first.tool_calls] == ["list_files", "read_file"]
    assert [c.id for c in first.tool_calls] == ["call_0_0", "call_0_1"]
    assert first.finish_reason == "tool_calls"
    history = [user("go"), first.as_message(), results("a.txt b.txt", "plain text")]
    second_a = await ScriptedProvider("s", [script]).generate(ModelRequest(messages=history))
    second_b = await ScriptedProvider("s", [script]).generate(ModelRequest(messages=history))
    assert second_a == second_b


async def test_rules_and_placeholders_see_tool_results(script: Path) -> None:
    provider = ScriptedProvider("s", [script])
    first = await provider.generate(ModelRequest(messages=[user("go")]))
    base = [user("go"), first.as_message()]
    hit = await provider.generate(ModelRequest(messages=[*base, results("a.txt", "the password is 42")]))
    assert hit.text == "Found something sensitive in the password is 42"
    miss = await provider.generate(ModelRequest(messages=[*base, results("a.txt b.txt", "plain")]))
    assert miss.text == "Nothing here; listing said a.txt b.txt and last was plain"


async def test_json_results_and_arguments_are_rendered(tmp_path: Path) -> None:
    path = tmp_path / "j.json"
    path.write_text(
        '{"turns": [{"tool_calls": [{"name": "write_file", "arguments": {"content": "{last_user_text}!"}}]}]}'
    )
    response = await ScriptedProvider("j", [tmp_path]).generate(ModelRequest(messages=[user("hi {json}")]))
    assert response.tool_calls[0].arguments == {"content": "hi {json}!"}


async def test_error_turn_and_running_out_of_turns(script: Path) -> None:
    provider = ScriptedProvider("s", [script])
    history = [user("go"), Message(role="model", parts=[TextPart(text="x")])] * 2
    with pytest.raises(ProviderError) as caught:
        await provider.generate(ModelRequest(messages=history))
    assert caught.value.status_code == 503 and "scripted outage" in str(caught.value)
    with pytest.raises(ProviderError, match="has 3 turns"):
        await provider.generate(ModelRequest(messages=history + history[:2]))


async def test_stream_carries_thought_tool_calls_and_usage(script: Path) -> None:
    events = [e async for e in ScriptedProvider("s", [script]).stream(ModelRequest(messages=[user("go")]))]
    kinds = [e.type for e in events]
    assert kinds[0] == "thought_delta" and kinds[-2:] == ["usage", "done"]
    assert [e.call.name for e in events if isinstance(e, ToolCallEvent)] == ["list_files", "read_file"]
    thought = [e.text for e in events if isinstance(e, ThoughtDelta)]
    assert thought == ["check first"]
    done = events[-1]
    assert isinstance(done, ResponseDone)
    usage = next(e.usage for e in events if isinstance(e, UsageEvent))
    assert usage == done.response.usage


async def test_usage_is_chars_over_four() -> None:
    response = await resolve("scripted:echo").generate(
        ModelRequest(system="abcd", messages=[user("12345678")])
    )
    assert response.usage.input_tokens == count_tokens("abcd12345678") == 3
    assert response.usage.output_tokens == 2
    assert response.usage.total_tokens == 5


async def test_demo_script_plays_a_whole_loop() -> None:
    """The shipped demo script runs to its end when each tool answers like the real tools would."""
    provider = resolve("scripted:demo")
    messages = [user("analyse sales.csv")]
    fake = {
        "load_skill": "name: data-analysis",
        "run_code": "| North | 755 |",
        "write_file": "Created report.md",
    }
    fake |= {"browser": "Page: Sales report"}
    called: list[str] = []
    for _ in range(20):
        response = await provider.generate(ModelRequest(messages=messages))
        messages.append(response.as_message())
        if not response.tool_calls:
            break
        called += [c.name for c in response.tool_calls]
        parts = [ToolResultPart(call_id=c.id, name=c.name, output=fake[c.name]) for c in response.tool_calls]
        messages.append(Message(role="user", parts=list(parts)))
    assert response.text.startswith("Done. The report is in report.md")
    assert called[0] == "load_skill" and {"run_code", "write_file", "browser"} <= set(called)
    report = next(
        c for m in messages for c in getattr(m, "parts", []) if getattr(c, "name", "") == "write_file"
    )
    assert "| North | 755 |" in report.arguments["content"], "the report quotes the computed table"


async def test_bad_script_names_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ScriptError, match=r"known: .*demo"):
        await ScriptedProvider("nope").load()
    for name in ("../etc/passwd", "/etc/passwd", "a/b", "s.yaml", "x" * 65, ""):
        with pytest.raises(ScriptError, match="bad script name"):
            ScriptedProvider(name)
    broken = tmp_path / "b.yaml"
    broken.write_text("turns: [{text: 1, bogus: true}]")
    with pytest.raises(ScriptError, match="malformed"):
        await ScriptedProvider("b", [tmp_path]).load()

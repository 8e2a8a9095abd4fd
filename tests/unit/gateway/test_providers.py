"""Every real provider, through its production code and SDK, against its vendor's fake server."""

from __future__ import annotations

import json
import time

import pytest

from orchestrator.gateway import (
    ImagePart,
    Message,
    ModelRequest,
    ModelResponse,
    ProviderError,
    ProviderTimeoutError,
    ResponseDone,
    RetryPolicy,
    StreamEvent,
    TextDelta,
    TextPart,
    ToolCallEvent,
    ToolDeclaration,
    ToolResultPart,
    UsageEvent,
)
from tests.fakes.server import Hang, Status, ToolCall, Turn
from tests.unit.gateway.conftest import API_KEY, Vendor

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(40))
TOOLS = [
    ToolDeclaration(
        name="list_files",
        description="List a folder.",
        parameters={"type": "object", "properties": {"path": {"type": "string"}}},
    ),
    ToolDeclaration(
        name="read_file",
        description="Read a file.",
        parameters={"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]},
    ),
]


def user(text: str) -> Message:
    return Message(role="user", parts=[TextPart(text=text)])


async def collect(provider: object, request: ModelRequest) -> list[StreamEvent]:
    return [event async for event in provider.stream(request)]  # type: ignore[attr-defined]


async def test_two_tool_calls_then_answer(vendor: Vendor) -> None:
    """A three-turn conversation: two tool calls, their results fed back, then a final answer."""
    fake, provider = vendor.fake, vendor.make()
    fake.queue(
        Turn(text="Looking.", tool_calls=[ToolCall("list_files", {"path": "."})]),
        Turn(tool_calls=[ToolCall("read_file", {"path": "notes.md"})]),
        # A reactive reply: it reads the last tool result the SDK sent and quotes it.
        lambda body: Turn(text=f"The note says {fake.tool_results(body)[-1][1]}"),
    )
    request = ModelRequest(system="You are terse.", messages=[user("What is in notes.md?")], tools=TOOLS)
    outputs = {"list_files": "notes.md\nother.txt", "read_file": "remember the milk"}
    for _ in range(2):
        response = await provider.generate(request)
        assert response.finish_reason == "tool_calls"
        [call] = response.tool_calls
        request.messages.append(response.as_message())
        result = ToolResultPart(call_id=call.id, name=call.name, output=outputs[call.name])
        request.messages.append(Message(role="user", parts=[result]))
    final = await provider.generate(request)
    assert "remember the milk" in final.text
    assert final.finish_reason == "stop"
    assert len(fake.requests) == 3
    sent = fake.tool_results(fake.requests[-1].body)
    expected = [outputs["list_files"], outputs["read_file"]]
    assert [
        text in r or json.dumps(text)[1:-1] in r for text, (_, r) in zip(expected, sent, strict=True)
    ] == [
        True,
        True,
    ]
    assert len(sent) == 2
    assert sent[0][0] is not None and sent[0][0] != sent[1][0]
    assert "list_files" in json.dumps(fake.requests[0].body)  # the declarations reached the vendor


async def test_stream_text_arrives_as_deltas(vendor: Vendor) -> None:
    vendor.fake.queue(Turn(text="The quick brown fox jumps over the lazy dog.", chunks=4))
    events = await collect(vendor.make(), ModelRequest(messages=[user("Say it.")]))
    deltas = [e.text for e in events if isinstance(e, TextDelta)]
    assert len(deltas) >= 3
    assert isinstance(events[-1], ResponseDone)
    assert "".join(deltas) == events[-1].response.text == "The quick brown fox jumps over the lazy dog."


async def test_stream_assembles_tool_calls_and_usage(vendor: Vendor) -> None:
    vendor.fake.queue(Turn(text="ok", tool_calls=[ToolCall("read_file", {"path": "a/b.txt", "n": [1, 2]})]))
    events = await collect(vendor.make(), ModelRequest(messages=[user("go")], tools=TOOLS))
    calls = [e.call for e in events if isinstance(e, ToolCallEvent)]
    assert [(c.name, c.arguments) for c in calls] == [("read_file", {"path": "a/b.txt", "n": [1, 2]})]
    usage = [e.usage for e in events if isinstance(e, UsageEvent)]
    assert usage and usage[-1].input_tokens == 11 and usage[-1].output_tokens == 7
    done = events[-1]
    assert isinstance(done, ResponseDone) and done.response.finish_reason == "tool_calls"


async def test_image_input_reaches_the_vendor(vendor: Vendor) -> None:
    provider = vendor.make()
    message = Message(
        role="user", parts=[TextPart(text="What is this?"), ImagePart(mime_type="image/png", data=PNG)]
    )
    await provider.generate(ModelRequest(messages=[message]))
    assert vendor.fake.images(vendor.fake.requests[-1].body) == [PNG]


async def test_tool_result_images_reach_the_vendor(vendor: Vendor) -> None:
    vendor.fake.queue(Turn(tool_calls=[ToolCall("list_files", {})]), Turn(text="a chart"))
    provider = vendor.make()
    request = ModelRequest(messages=[user("screenshot please")], tools=TOOLS)
    first = await provider.generate(request)
    shot = ImagePart(mime_type="image/png", data=PNG)
    result = ToolResultPart(
        call_id=first.tool_calls[0].id, name="list_files", output="see image", images=[shot]
    )
    request.messages += [first.as_message(), Message(role="user", parts=[result])]
    await provider.generate(request)
    assert vendor.fake.images(vendor.fake.requests[-1].body) == [PNG]


async def test_usage_recorded(vendor: Vendor) -> None:
    vendor.fake.queue(Turn(text="hi", input_tokens=120, output_tokens=30))
    response = await vendor.make().generate(ModelRequest(messages=[user("hello")]))
    assert response.usage.input_tokens == 120
    assert response.usage.output_tokens == 30
    assert response.usage.total_tokens == 150


async def test_429_with_retry_after_then_success(vendor: Vendor) -> None:
    vendor.fake.queue(Status(429, "slow down", {"Retry-After": "1"}), Turn(text="finally"))
    started = time.monotonic()
    response = await vendor.make().generate(ModelRequest(messages=[user("hi")]))
    assert response.text == "finally"
    assert time.monotonic() - started >= 0.95  # the vendor's Retry-After, not the 10 ms backoff
    assert len(vendor.fake.requests) == 2


async def test_500_then_success(vendor: Vendor) -> None:
    vendor.fake.queue(Status(500, "boom"), Turn(text="recovered"))
    response = await vendor.make().generate(ModelRequest(messages=[user("hi")]))
    assert response.text == "recovered"
    assert len(vendor.fake.requests) == 2


async def test_stream_retries_a_503_before_the_first_event(vendor: Vendor) -> None:
    vendor.fake.queue(Status(503, "busy", {"retry-after-ms": "20"}), Turn(text="streamed after retry"))
    events = await collect(vendor.make(), ModelRequest(messages=[user("hi")]))
    assert isinstance(events[-1], ResponseDone) and events[-1].response.text == "streamed after retry"
    assert len(vendor.fake.requests) == 2


async def test_hang_ends_at_the_deadline(vendor: Vendor) -> None:
    vendor.fake.queue(Hang(5), Hang(5), Hang(5), Hang(5))
    policy = RetryPolicy(max_attempts=4, base_delay_s=0.01, call_timeout_s=0.4, deadline_s=1.0)
    started = time.monotonic()
    with pytest.raises(ProviderTimeoutError) as caught:
        await vendor.make(policy=policy).generate(ModelRequest(messages=[user("hi")]))
    elapsed = time.monotonic() - started
    assert 0.9 <= elapsed < 2.0
    message = str(caught.value)
    assert vendor.name in message and "no answer within" in message and "deadline 1 s" in message


async def test_401_fails_at_once_without_retries(vendor: Vendor) -> None:
    vendor.fake.queue(Status(401, f"invalid x-api-key: {API_KEY}"))
    with pytest.raises(ProviderError) as caught:
        await vendor.make().generate(ModelRequest(messages=[user("hi")]))
    assert caught.value.status_code == 401
    assert len(vendor.fake.requests) == 1
    assert "invalid x-api-key" in str(caught.value)
    assert API_KEY not in str(caught.value)


async def test_400_is_not_retried(vendor: Vendor) -> None:
    vendor.fake.queue(Status(400, "bad field"), Turn(text="never"))
    with pytest.raises(ProviderError) as caught:
        await vendor.make().generate(ModelRequest(messages=[user("hi")]))
    assert caught.value.status_code == 400 and "bad field" in caught.value.message
    assert len(vendor.fake.requests) == 1


async def test_the_key_is_sent_only_as_the_vendor_header(vendor: Vendor) -> None:
    await vendor.make().generate(ModelRequest(messages=[user("hi")]))
    headers = vendor.fake.requests[-1].headers
    # anthropic 2.x sends `Authorization: Bearer`; older releases sent `x-api-key`.
    allowed = {
        "gemini": ["x-goog-api-key"],
        "openai": ["authorization"],
        "anthropic": ["authorization", "x-api-key"],
    }
    assert any(API_KEY in headers.get(name, "") for name in allowed[vendor.name])
    others = {k: v for k, v in headers.items() if k not in allowed[vendor.name]}
    assert API_KEY not in json.dumps(others)
    assert API_KEY not in json.dumps(vendor.fake.requests[-1].body)
    assert API_KEY not in vendor.fake.requests[-1].path + json.dumps(vendor.fake.requests[-1].query)


async def test_check_reports_ok_and_failure(vendor: Vendor) -> None:
    good = await vendor.make().check()
    assert good.ok and good.provider == vendor.name
    dead = vendor.make()
    dead_url = "http://127.0.0.1:9" + ("/v1" if vendor.name == "openai" else "")
    dead = type(dead)(dead.model, api_key=API_KEY, base_url=dead_url)  # type: ignore[call-arg]
    bad = await dead.check()
    assert not bad.ok and "connection failed" in bad.detail and API_KEY not in bad.detail


async def test_answer_round_trips_through_json(vendor: Vendor) -> None:
    """The runner ships responses over a socket: the neutral form must survive JSON unchanged."""
    vendor.fake.queue(Turn(text="t", thought="why", tool_calls=[ToolCall("list_files", {"path": "."})]))
    response = await vendor.make().generate(ModelRequest(messages=[user("hi")], tools=TOOLS))
    assert ModelResponse.model_validate_json(response.model_dump_json()) == response


async def test_stream_hang_ends_at_the_deadline(vendor: Vendor) -> None:
    vendor.fake.queue(Hang(5), Hang(5), Hang(5))
    policy = RetryPolicy(max_attempts=3, base_delay_s=0.01, call_timeout_s=0.3, deadline_s=0.8)
    started = time.monotonic()
    with pytest.raises(ProviderTimeoutError, match="no answer within"):
        await collect(vendor.make(policy=policy), ModelRequest(messages=[user("hi")]))
    assert time.monotonic() - started < 1.8


async def test_sdk_retries_do_not_stack_with_ours(vendor: Vendor) -> None:
    """Exactly `max_attempts` requests reach the vendor: the SDK's own retries are off."""
    vendor.fake.queue(*[Status(500, "down")] * 6)
    policy = RetryPolicy(max_attempts=2, base_delay_s=0.01, call_timeout_s=5, deadline_s=10)
    with pytest.raises(ProviderError) as caught:
        await vendor.make(policy=policy).generate(ModelRequest(messages=[user("hi")]))
    assert caught.value.status_code == 500 and caught.value.attempts == 2
    assert len(vendor.fake.requests) == 2

"""Gemini 3 thought signatures survive the neutral history byte for byte (issue 5)."""

from __future__ import annotations

import base64

import pytest

from orchestrator.gateway import Message, ModelRequest, ProviderError, TextPart, ToolResultPart
from tests.fakes.server import ToolCall, Turn
from tests.unit.gateway.conftest import Vendor


def _wire_signatures(body: dict) -> list[bytes]:
    return [
        base64.urlsafe_b64decode(p["thoughtSignature"].replace("+", "-").replace("/", "_"))
        for c in body["contents"]
        if c["role"] == "model"
        for p in c["parts"]
        if "thoughtSignature" in p
    ]


@pytest.mark.parametrize("streamed", [False, True])
async def test_signatures_round_trip_byte_for_byte(gemini: Vendor, streamed: bool) -> None:
    fake, provider = gemini.fake, gemini.make()
    fake.queue(
        Turn(thought="plan", text="Checking.", tool_calls=[ToolCall("list_files", {"path": "."})]),
        Turn(text="Here it is."),
        Turn(text="Bye."),
    )
    messages = [Message(role="user", parts=[TextPart(text="go")])]
    for turn in range(2):
        request = ModelRequest(messages=messages)
        if streamed:
            events = [e async for e in provider.stream(request)]
            response = events[-1].response  # type: ignore[union-attr]
        else:
            response = await provider.generate(request)
        signed = [p for p in response.parts if getattr(p, "signature", None)]
        assert len(signed) == 1
        # The neutral string is exactly what Gemini put on the wire.
        assert base64.b64decode(signed[0].signature) in fake.issued.values()  # type: ignore[union-attr,arg-type]
        messages.append(response.as_message())
        if turn == 0:
            call = response.tool_calls[0]
            messages.append(
                Message(role="user", parts=[ToolResultPart(call_id=call.id, name=call.name, output="a")])
            )
        else:
            messages.append(Message(role="user", parts=[TextPart(text="thanks")]))
    issued = sorted(fake.issued.values())
    await provider.generate(ModelRequest(messages=messages))
    assert fake.signature_rejections == 0
    assert len(issued) == 2 and sorted(_wire_signatures(fake.requests[-1].body)) == issued


async def test_a_lost_signature_is_rejected_by_the_fake(gemini: Vendor) -> None:
    """Control: the fake really enforces signatures, so the round-trip test above proves something."""
    fake, provider = gemini.fake, gemini.make()
    fake.queue(Turn(tool_calls=[ToolCall("list_files", {})]))
    first = await provider.generate(
        ModelRequest(messages=[Message(role="user", parts=[TextPart(text="go")])])
    )
    stripped = first.as_message().model_copy(
        update={"parts": [p.model_copy(update={"signature": None}) for p in first.parts]}
    )
    call = first.tool_calls[0]
    result = Message(role="user", parts=[ToolResultPart(call_id=call.id, name=call.name, output="a")])
    with pytest.raises(ProviderError) as caught:
        await provider.generate(ModelRequest(messages=[stripped, result]))
    assert caught.value.status_code == 400 and "thought_signature" in caught.value.message
    assert fake.signature_rejections == 1

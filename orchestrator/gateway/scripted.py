"""The deterministic, offline `scripted` provider: the demo's and the tests' model.

`scripted:echo` answers with the last user text; `scripted:<name>` plays a script from
`scripts/<name>.yaml` (or an absolute path, `scripted:/path/to/script.yaml`). The provider keeps
no state between calls: the turn is chosen from the request alone. Usage is counted as
characters / 4, rounded up, so token accounting can be tested end to end.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import AsyncIterator

from agents.model_types import (
    ModelRequest,
    ModelResponse,
    ResponseDone,
    ResponsePart,
    StreamEvent,
    TextDelta,
    TextPart,
    ThoughtDelta,
    ThoughtPart,
    ToolCallEvent,
    ToolCallPart,
    ToolResultPart,
    Usage,
    UsageEvent,
)
from orchestrator.gateway.errors import ProviderError
from orchestrator.gateway.provider import ProviderCheck
from orchestrator.gateway.script import Script, ScriptTurn, load_script, render

__all__ = ["ScriptedProvider", "count_tokens"]

_DELTAS = 3
"""Text is streamed in this many pieces (fewer when it is shorter)."""


def count_tokens(text: str) -> int:
    """The scripted model's token count: characters / 4, rounded up."""
    return math.ceil(len(text) / 4)


def _result_text(part: ToolResultPart) -> str:
    return part.output if isinstance(part.output, str) else json.dumps(part.output, sort_keys=True)


def _request_text(request: ModelRequest) -> str:
    pieces = [request.system or ""]
    for message in request.messages:
        for part in message.parts:
            if isinstance(part, TextPart | ThoughtPart):
                pieces.append(part.text)
            elif isinstance(part, ToolCallPart):
                pieces.append(part.name + json.dumps(part.arguments, sort_keys=True))
            elif isinstance(part, ToolResultPart):
                pieces.append(_result_text(part))
    return "".join(pieces)


def _split(text: str, pieces: int = _DELTAS) -> list[str]:
    """Cut `text` into up to `pieces` chunks at word boundaries; they concatenate to `text`."""
    if not text:
        return []
    words = text.split(" ")
    size = max(1, math.ceil(len(words) / pieces))
    chunks = [" ".join(words[i : i + size]) for i in range(0, len(words), size)]
    return [c + " " for c in chunks[:-1]] + [chunks[-1]]


class ScriptedProvider:
    """Plays a script (or echoes) with no network and no randomness."""

    name = "scripted"

    def __init__(self, model: str) -> None:
        self.model = model
        self._script: Script | None = None if model == "echo" else load_script(model)

    def __repr__(self) -> str:
        return f"ScriptedProvider(model={self.model!r})"

    async def generate(self, request: ModelRequest) -> ModelResponse:
        """The turn this request calls for, as one response."""
        return self._answer(request)

    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]:
        """The same answer as `generate`, as thought and text deltas, tool calls and usage."""
        response = self._answer(request)
        delay = self._script.delta_delay_s if self._script is not None else 0.0
        for part in response.parts:
            if isinstance(part, ThoughtPart):
                yield ThoughtDelta(text=part.text)
            elif isinstance(part, TextPart):
                for chunk in _split(part.text):
                    if delay:
                        await asyncio.sleep(delay)
                    yield TextDelta(text=chunk)
            else:
                yield ToolCallEvent(call=part)
        yield UsageEvent(usage=response.usage)
        yield ResponseDone(response=response)

    async def check(self) -> ProviderCheck:
        """Always fine: the script was loaded when the provider was made."""
        return ProviderCheck(provider=self.name, model=self.model, ok=True, detail="offline, deterministic")

    def _answer(self, request: ModelRequest) -> ModelResponse:
        values = self._values(request)
        turn_index = sum(1 for m in request.messages if m.role == "model")
        if self._script is None:
            turn = ScriptTurn(text=values["last_user_text"] or values["last_result"])
        else:
            if turn_index >= len(self._script.turns):
                raise ProviderError(
                    self.name,
                    None,
                    f"script {self.model!r} has {len(self._script.turns)} turns; "
                    f"the request asks for turn {turn_index + 1}",
                )
            turn = self._script.turns[turn_index].choose(values["last_result"])
        if turn.error is not None:
            raise ProviderError(self.name, turn.error.status_code, turn.error.message)
        parts: list[ResponsePart] = []
        if turn.thought:
            parts.append(ThoughtPart(text=render(turn.thought, values), signature=f"scripted-{turn_index}"))
        if turn.text:
            parts.append(TextPart(text=render(turn.text, values)))
        for i, call in enumerate(turn.tool_calls):
            parts.append(
                ToolCallPart(
                    id=call.id or f"call_{turn_index}_{i}",
                    name=call.name,
                    arguments=render(call.arguments, values),
                )
            )
        return ModelResponse(
            parts=parts,
            usage=self._usage(request, parts),
            finish_reason="max_tokens" if turn.truncated else "tool_calls" if turn.tool_calls else "stop",
            model=f"scripted:{self.model}",
        )

    @staticmethod
    def _values(request: ModelRequest) -> dict[str, str]:
        """Placeholder values: the last user text, the last tool result, each tool's last result."""
        values = {"last_user_text": "", "last_result": ""}
        for message in request.messages:
            if message.role != "user":
                continue
            for part in message.parts:
                if isinstance(part, TextPart):
                    values["last_user_text"] = part.text
                elif isinstance(part, ToolResultPart):
                    values["last_result"] = values[f"result:{part.name}"] = _result_text(part)
        return values

    @staticmethod
    def _usage(request: ModelRequest, parts: list[ResponsePart]) -> Usage:
        input_tokens = count_tokens(_request_text(request))
        thought_tokens = sum(count_tokens(p.text) for p in parts if isinstance(p, ThoughtPart))
        output_tokens = sum(
            count_tokens(p.text)
            if isinstance(p, TextPart)
            else count_tokens(p.name + json.dumps(p.arguments))
            for p in parts
            if not isinstance(p, ThoughtPart)
        )
        return Usage(
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            thought_tokens=thought_tokens,
            total_tokens=input_tokens + output_tokens + thought_tokens,
        )

"""The deterministic, offline `scripted` provider: the demo's and the tests' model.

`scripted:echo` answers with the last user text; `scripted:<name>` plays the script `<name>.yaml`
(or `.yml`/`.json`) from the operator's folders (`WARREN_SCRIPTS_DIR`) or the bundled `scripts/`.
A name is never a path: the model name comes from a tenant. The script is read on first use, in a
worker thread, so making a provider does no I/O on the event loop. The provider keeps no state
between calls: the turn is chosen from the request alone. Usage is counted as characters / 4,
rounded up, so token accounting can be tested end to end.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

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
from orchestrator.gateway.errors import ProviderError, ScriptError
from orchestrator.gateway.names import check_script_name
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

    def __init__(self, model: str, folders: Sequence[Path] = ()) -> None:
        """Check the name now (no I/O); the script loads on first use.

        Args:
            model: `echo` or a script name.
            folders: the operator's script folders, searched before the bundled one.

        Raises:
            ScriptError: `model` is not a script name.
        """
        self.model = model if model == "echo" else check_script_name(model)
        self._folders = tuple(folders)
        self._script: Script | None = None

    def __repr__(self) -> str:
        return f"ScriptedProvider(model={self.model!r})"

    async def load(self) -> Script | None:
        """The script (`None` for `echo`), read once in a worker thread. Raises `ScriptError`."""
        if self.model == "echo":
            return None
        if self._script is None:
            self._script = await asyncio.to_thread(load_script, self.model, self._folders)
        return self._script

    async def generate(self, request: ModelRequest) -> ModelResponse:
        """The turn this request calls for, as one response."""
        return self._answer(await self.load(), request)

    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]:
        """The same answer as `generate`, as thought and text deltas, tool calls and usage."""
        script = await self.load()
        response = self._answer(script, request)
        delay = script.delta_delay_s if script is not None else 0.0
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
        """Fine when the script loads (always, for `echo`)."""
        try:
            await self.load()
        except ScriptError as exc:
            return ProviderCheck(provider=self.name, model=self.model, ok=False, detail=str(exc))
        return ProviderCheck(provider=self.name, model=self.model, ok=True, detail="offline, deterministic")

    def _answer(self, script: Script | None, request: ModelRequest) -> ModelResponse:
        values = self._values(request)
        turn_index = sum(1 for m in request.messages if m.role == "model")
        if script is None:
            turn = ScriptTurn(text=values["last_user_text"] or values["last_result"])
        else:
            if turn_index >= len(script.turns):
                raise ProviderError(
                    self.name,
                    None,
                    f"script {self.model!r} has {len(script.turns)} turns; "
                    f"the request asks for turn {turn_index + 1}",
                )
            turn = script.turns[turn_index].choose(values["last_result"])
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

"""The deterministic, offline `scripted` provider: the demo's and the tests' model.

`scripted:echo` answers with the last user text; `scripted:<name>` plays the script `<name>.yaml`
(or `.yml`/`.json`) from the operator's folders (`WARREN_SCRIPTS_DIR`) or the bundled `scripts/`.
A name is never a path: the model name comes from a tenant. The script is read on first use, in a
worker thread, so making a provider does no I/O on the event loop. The provider keeps no state
between calls: the turn is chosen from the request alone. Usage is counted as characters / 4,
rounded up (`scripted_text`), so token accounting can be tested end to end.
"""

from __future__ import annotations

import asyncio
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
    UsageEvent,
)
from orchestrator.gateway.errors import ProviderError, ScriptError
from orchestrator.gateway.names import check_script_name
from orchestrator.gateway.provider import ProviderCheck, Unsupported
from orchestrator.gateway.script import Script, ScriptTurn, render
from orchestrator.gateway.script_loader import load_script
from orchestrator.gateway.scripted_text import placeholder_values, split_deltas, usage_of

__all__ = ["ScriptedProvider"]


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

    def unsupported(self, request: ModelRequest) -> list[Unsupported]:
        """A script has no sampling to steer: tool choice, thinking and safety settings are refused.

        A seed is honoured trivially (every answer is the same), and structured output is checked
        like any provider's: the script's text must already be JSON matching the schema.
        """
        cfg, found = request.config, []
        for setting, present in (
            ("tool_choice", cfg.tool_choice is not None),
            ("thinking_level", cfg.thinking_level is not None),
            ("safety_settings", bool(cfg.safety_settings)),
        ):
            if present:
                found.append(Unsupported(setting=setting, reason=f"the scripted model has no {setting}"))
        return found

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
                for chunk in split_deltas(part.text):
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
        values = placeholder_values(request)
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
            usage=usage_of(request, parts),
            finish_reason="max_tokens" if turn.truncated else "tool_calls" if turn.tool_calls else "stop",
            model=f"scripted:{self.model}",
        )

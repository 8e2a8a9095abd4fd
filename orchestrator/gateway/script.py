"""The script format of the `scripted:` provider (`script_loader` finds and reads the files).

A script is a list of turns. The provider plays turn N when the request already holds N model
turns, so the choice depends only on the request (successive calls of one loop may run in
different processes). A turn may branch on the last tool result, and its text and tool
arguments may quote tool results, so a test can prove the loop fed results back:

    turns:
      - thought: "I will look at the workspace first."
        text: "Listing files."
        tool_calls:
          - name: list_files
            arguments: {path: "."}
      - when_result_contains: "report.csv"
        text: "Found it: {last_result}"
        tool_calls:
          - {name: read_file, arguments: {path: "report.csv"}}
        else:
          text: "No report here."
      - text: "Done. The file said: {result:read_file}"
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Script", "ScriptFailure", "ScriptToolCall", "ScriptTurn", "render"]

_PLACEHOLDER = re.compile(r"\{(last_result|last_user_text|result:[A-Za-z0-9_.-]+)\}")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ScriptToolCall(_Model):
    """A tool call the scripted model makes."""

    name: str
    """Tool name."""
    arguments: dict[str, Any] = Field(default_factory=dict)
    """Arguments; string values may hold placeholders such as `{last_result}`."""
    id: str | None = None
    """Call id; by default `call_<turn>_<index>`, stable across processes."""


class ScriptFailure(_Model):
    """Make the turn fail like a vendor would, to test error steps."""

    status_code: int = 500
    """HTTP status to report."""
    message: str = "scripted failure"
    """The vendor message to report."""


class ScriptTurn(_Model):
    """One model turn: optional thought, text and tool calls, or a branch on the last tool result."""

    thought: str | None = None
    """Thinking text, streamed as a thought delta and kept in the response."""
    text: str | None = None
    """Visible text, streamed as several deltas; may hold placeholders."""
    tool_calls: list[ScriptToolCall] = Field(default_factory=list)
    """Tool calls, in order."""
    when_result_contains: str | list[str] | None = None
    """Play this turn only if the last tool result contains this text (any of the list);
    otherwise play `else`."""
    else_: ScriptTurn | None = Field(default=None, alias="else")
    """The turn played when `when_result_contains` does not match."""
    error: ScriptFailure | None = None
    """Fail instead of answering."""
    truncated: bool = False
    """Answer as a model cut off at its output token limit (`finish_reason: max_tokens`)."""

    def choose(self, last_result: str) -> ScriptTurn:
        """This turn, or its `else` branch, given the last tool result's text."""
        needles = self.when_result_contains
        if needles is None:
            return self
        if isinstance(needles, str):
            needles = [needles]
        if any(n in last_result for n in needles):
            return self
        if self.else_ is None:
            return ScriptTurn(text="")
        return self.else_.choose(last_result)


class Script(_Model):
    """A whole script: turns played in order, one per model call."""

    description: str = ""
    """What the script demonstrates."""
    turns: list[ScriptTurn]
    """Turn N answers the request that already holds N model turns."""
    delta_delay_s: float = Field(0.0, ge=0, le=60)
    """Pause between streamed deltas, in seconds: makes a slow model for cancel and resume tests."""


def render(value: Any, values: dict[str, str]) -> Any:
    """Fill `{last_result}`, `{last_user_text}` and `{result:<tool>}` in strings, recursively.

    Other braces are left alone, so JSON or code in a script needs no escaping.
    """
    if isinstance(value, str):
        return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), ""), value)
    if isinstance(value, dict):
        return {k: render(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [render(v, values) for v in value]
    return value

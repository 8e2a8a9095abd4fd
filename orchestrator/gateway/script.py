"""The script format of the `scripted:` provider, and how a script file is found and loaded.

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

import json
import os
import re
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from orchestrator.gateway.errors import ScriptError
from orchestrator.gateway.names import check_script_name

__all__ = [
    "MAX_SCRIPT_BYTES",
    "SCRIPTS_DIR",
    "Script",
    "ScriptFailure",
    "ScriptToolCall",
    "ScriptTurn",
    "load_script",
    "render",
]

SCRIPTS_DIR = Path(__file__).parent / "scripts"
"""The bundled scripts (`scripted:demo`); an operator adds folders with `WARREN_SCRIPTS_DIR`."""
MAX_SCRIPT_BYTES = 1 << 20
"""Largest script file read, in bytes."""

_EXTENSIONS = (".yaml", ".yml", ".json")
_MAX_PROBLEMS = 5
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


def load_script(name: str, folders: Sequence[Path] = ()) -> Script:
    """Load the script `name` from the first of `folders`, then the bundled folder, that has it.

    Blocking file I/O: call it from a worker thread. Only a regular file of at most
    `MAX_SCRIPT_BYTES` is read (a FIFO or device is refused before a byte is read), and no error
    quotes the file's path or contents, since a tenant may see them.

    Raises:
        ScriptError: the name is not a script name, no folder has it, or it does not load.
    """
    check_script_name(name)
    for folder in (*folders, SCRIPTS_DIR):
        for ext in _EXTENSIONS:
            raw = _read_regular(folder / f"{name}{ext}", name)
            if raw is not None:
                return _parse(name, ext, raw)
    known = [*sorted(p.stem for p in SCRIPTS_DIR.glob("*.y*ml")), "echo"]
    raise ScriptError(f"no script named {name!r}; known: {', '.join(known)}")


def _read_regular(path: Path, name: str) -> bytes | None:
    """The bytes of `path`, or `None` when it does not exist. Refuses non-regular and large files."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise ScriptError(f"cannot read script {name!r}: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ScriptError(f"script {name!r} is not a regular file")
        if info.st_size > MAX_SCRIPT_BYTES:
            raise ScriptError(f"script {name!r} is larger than {MAX_SCRIPT_BYTES} bytes")
        data = file.read(MAX_SCRIPT_BYTES + 1)
    if len(data) > MAX_SCRIPT_BYTES:  # it grew after the check
        raise ScriptError(f"script {name!r} is larger than {MAX_SCRIPT_BYTES} bytes")
    return data


def _parse(name: str, ext: str, raw: bytes) -> Script:
    """Parse and validate a script; errors say where, never what the file holds."""
    try:
        text = raw.decode("utf-8")
        data = json.loads(text) if ext == ".json" else yaml.safe_load(text)
        return Script.model_validate(data)
    except UnicodeDecodeError:
        raise ScriptError(f"script {name!r} is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ScriptError(
            f"script {name!r} is not valid JSON (line {exc.lineno}, column {exc.colno})"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise ScriptError(f"script {name!r} is not valid YAML{where}") from None
    except ValidationError as exc:
        raise ScriptError(f"script {name!r} is malformed: {_problems(exc)}") from None


def _problems(exc: ValidationError) -> str:
    """Each validation problem as `location: message`, without the offending input (pydantic's
    `input_value`), so a script that quotes a secret never repeats it in an error."""
    shown = [
        f"{'.'.join(str(part) for part in error['loc']) or 'script'}: {error['msg']}"
        for error in exc.errors(include_url=False, include_input=False, include_context=False)[:_MAX_PROBLEMS]
    ]
    more = exc.error_count() - len(shown)
    return "; ".join(shown) + (f"; and {more} more" if more > 0 else "")


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

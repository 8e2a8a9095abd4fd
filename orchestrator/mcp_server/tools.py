"""The MCP tools Warren offers: names, descriptions and input schemas an IDE agent can act on.

Each tool is one of Warren's verbs (start a run, follow it, list and read its files, continue it,
cancel it); `verbs.py` carries them out. Bounds are here so the schema and the code agree.
"""

from __future__ import annotations

from typing import Any

import mcp_types as types

__all__ = [
    "DEFAULT_READ_BYTES",
    "DEFAULT_WAIT_S",
    "MAX_READ_BYTES",
    "MAX_WAIT_S",
    "TOOLS",
    "TOOL_SCHEMAS",
]

DEFAULT_WAIT_S = 30
"""How long a call waits for a run to end unless told (**seconds**)."""
MAX_WAIT_S = 300
"""The longest one call waits (**seconds**); call `warren_get_run` again to wait more."""
DEFAULT_READ_BYTES = 256 * 1024
MAX_READ_BYTES = 1024 * 1024
"""The most bytes `warren_read_file` returns in one call."""

_WAIT: dict[str, Any] = {
    "type": "integer",
    "minimum": 0,
    "maximum": MAX_WAIT_S,
    "description": (
        f"Seconds to wait for the run to end before answering (0 answers at once; default {DEFAULT_WAIT_S}, "
        f"at most {MAX_WAIT_S}). A run still going after that answers with its status so far."
    ),
}
_FROM_STEP: dict[str, Any] = {
    "type": "integer",
    "minimum": 0,
    "description": "Return only the steps from this index on (pass the previous answer's next_step).",
}
_RUN_ID: dict[str, Any] = {
    "type": "string",
    "description": "The run's interaction id, e.g. from warren_start_run.",
}
_ENV_ID: dict[str, Any] = {
    "type": "string",
    "description": "The run's environment id (environment_id in warren_start_run / warren_get_run answers).",
}


def _schema(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


TOOL_SCHEMAS: dict[str, dict[str, Any]] = {
    "warren_start_run": _schema(
        {
            "input": {"type": "string", "description": "The task for the agent, in plain language."},
            "agent": {
                "type": "string",
                "description": "The agent: `default` (code and data work), `research`, or a custom agent id.",
                "default": "default",
            },
            "model": {
                "type": "string",
                "description": "Optional model, e.g. `gemini-3-flash-preview` (default: the agent's own).",
            },
            "environment_id": {
                "type": "string",
                "description": "Optional environment to run in (its files stay); default: a new sandbox.",
            },
            "files": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": (
                    "Optional text files to put in a new sandbox's workspace first, as {path: content}, "
                    'e.g. {"data.csv": "a,b\\n1,2\\n"}. A sandbox made for them has no network.'
                ),
            },
            "wait_s": _WAIT,
        },
        ["input"],
    ),
    "warren_get_run": _schema(
        {"interaction_id": _RUN_ID, "wait_s": {**_WAIT, "default": 0}, "from_step": _FROM_STEP},
        ["interaction_id"],
    ),
    "warren_continue_run": _schema(
        {
            "previous_interaction_id": {
                "type": "string",
                "description": "The run to continue (same agent, same sandbox).",
            },
            "input": {"type": "string", "description": "The follow-up instruction."},
            "wait_s": _WAIT,
        },
        ["previous_interaction_id", "input"],
    ),
    "warren_cancel_run": _schema({"interaction_id": _RUN_ID}, ["interaction_id"]),
    "warren_list_files": _schema(
        {
            "environment_id": _ENV_ID,
            "path": {
                "type": "string",
                "description": "A folder relative to the workspace (default: its top).",
                "default": "",
            },
            "recursive": {"type": "boolean", "description": "List sub-folders too.", "default": False},
        },
        ["environment_id"],
    ),
    "warren_read_file": _schema(
        {
            "environment_id": _ENV_ID,
            "path": {
                "type": "string",
                "description": "The file, relative to the workspace, e.g. `report.md`.",
            },
            "max_bytes": {
                "type": "integer",
                "minimum": 1,
                "maximum": MAX_READ_BYTES,
                "description": f"Bytes to return (default {DEFAULT_READ_BYTES}, at most {MAX_READ_BYTES}).",
            },
        },
        ["environment_id", "path"],
    ),
}

_DESCRIPTIONS = {
    "warren_start_run": (
        "Start an agent run in a new Warren sandbox (or an existing environment): the agent works on `input` "
        "with a shell, Python, files and a browser, isolated from this machine. Answers with the run's "
        "interaction_id, environment_id and status (waiting up to wait_s for it to end); follow it with "
        "warren_get_run and read what it made with warren_list_files / warren_read_file."
    ),
    "warren_get_run": (
        "Follow a Warren run: its status (in_progress, completed, failed, cancelled, ...), its steps so far "
        "(model text, tool calls and results, long values shortened) and its final text. Waits up to wait_s "
        "for it to end; pass from_step to get only new steps."
    ),
    "warren_continue_run": (
        "Continue a finished Warren run with a follow-up instruction: the same agent, the same sandbox and "
        "files, and the conversation so far. Answers like warren_start_run."
    ),
    "warren_cancel_run": "Cancel a running Warren run; its sandbox and files stay.",
    "warren_list_files": (
        "List the files of a Warren run's sandbox workspace (names, types, sizes), "
        "a folder at a time or recursively."
    ),
    "warren_read_file": (
        "Read a file from a Warren run's sandbox workspace: UTF-8 text as text, anything else as base64; "
        "at most max_bytes bytes (truncated says when the file is longer)."
    ),
}

_READ_ONLY = {"warren_get_run", "warren_list_files", "warren_read_file"}

TOOLS: list[types.Tool] = [
    types.Tool(
        name=name,
        description=_DESCRIPTIONS[name],
        input_schema=schema,
        annotations=types.ToolAnnotations(
            read_only_hint=name in _READ_ONLY,
            destructive_hint=name == "warren_cancel_run",
            open_world_hint=False,
        ),
    )
    for name, schema in TOOL_SCHEMAS.items()
]
"""What `tools/list` answers."""

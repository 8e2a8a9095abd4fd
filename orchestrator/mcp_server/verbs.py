"""The MCP tools carried out: each one a few calls of Warren's API with the caller's key.

`call_tool(api, name, arguments)` checks the arguments against the tool's schema, runs the verb and
answers a JSON object; a refusal by the API (404, 400, 429, ...) or bad arguments raise `ToolFailure`,
which the server turns into an MCP tool error the calling agent can read and correct.
"""

from __future__ import annotations

import asyncio
import base64
import codecs
import time
from collections.abc import Awaitable, Callable

import jsonschema

from orchestrator.errors import WarrenError
from orchestrator.mcp_server.api import ApiRefusal, ApiUnreachable, Json, WarrenApi
from orchestrator.mcp_server.tools import DEFAULT_READ_BYTES, DEFAULT_WAIT_S, TOOL_SCHEMAS
from orchestrator.mcp_server.views import TERMINAL, run_view

__all__ = ["MAX_FILE_BYTES", "POLL_S", "ToolFailure", "call_tool", "utf8_text"]

POLL_S = 1.0
"""How often a wait reads the run again (**seconds**)."""
MAX_FILE_BYTES = 64 * 1024 * 1024
"""A file larger than this is not read at all (**bytes**): in-process answers are held whole."""


class ToolFailure(WarrenError):
    """A tool call that could not be carried out; the message is for the calling agent."""


async def _wait(api: WarrenApi, interaction: Json, wait_s: float) -> Json:
    """The run once it ended, or as it is after `wait_s` seconds."""
    deadline = time.monotonic() + wait_s
    while str(interaction.get("status")) not in TERMINAL:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        await asyncio.sleep(min(POLL_S, left))
        interaction = await api.get_interaction(str(interaction["id"]))
    return interaction


async def _started(api: WarrenApi, body: Json, args: Json) -> Json:
    created = await api.create_interaction({**body, "background": True})
    ended = await _wait(api, created, args.get("wait_s", DEFAULT_WAIT_S))
    return run_view(ended)


async def _start_run(api: WarrenApi, args: Json) -> Json:
    body: Json = {"agent": args.get("agent") or "default", "input": args["input"]}
    if args.get("model"):
        body["agent_config"] = {"type": "antigravity", "model": args["model"]}
    files: dict[str, str] = args.get("files") or {}
    if args.get("environment_id") and files:
        raise ToolFailure("pass either environment_id or files, not both (files seed a new sandbox)")
    if args.get("environment_id"):
        body["environment"] = args["environment_id"]
    elif files:
        sources = [{"type": "inline", "target": path, "content": text} for path, text in files.items()]
        body["environment"] = {"type": "remote", "network": "disabled", "sources": sources}
    return await _started(api, body, args)


async def _continue_run(api: WarrenApi, args: Json) -> Json:
    previous = await api.get_interaction(args["previous_interaction_id"])
    body: Json = {"input": args["input"], "previous_interaction_id": previous["id"]}
    if previous.get("agent"):
        body["agent"] = previous["agent"]
        if (previous.get("agent_config") or {}).get("model"):
            body["agent_config"] = {"type": "antigravity", "model": previous["agent_config"]["model"]}
    else:
        body["model"] = previous.get("model")
    return await _started(api, body, args)


async def _get_run(api: WarrenApi, args: Json) -> Json:
    interaction = await _wait(api, await api.get_interaction(args["interaction_id"]), args.get("wait_s", 0))
    return run_view(interaction, args.get("from_step", 0))


async def _cancel_run(api: WarrenApi, args: Json) -> Json:
    return run_view(await api.cancel_interaction(args["interaction_id"]))


async def _list_files(api: WarrenApi, args: Json) -> Json:
    page = await api.list_files(
        args["environment_id"], args.get("path", ""), recursive=args.get("recursive", False), page_size=1000
    )
    files = [
        {key: entry[key] for key in ("path", "type", "size_bytes", "modified") if key in entry}
        for entry in page.get("files") or []
    ]
    answer: Json = {"environment_id": args["environment_id"], "files": files}
    if page.get("next_page_token"):
        answer["note"] = "more than 1000 entries: list a sub-folder to see the rest"
    return answer


def utf8_text(data: bytes, *, complete: bool) -> str | None:
    """`data` as UTF-8 text (a cut multi-byte character at the end is dropped), else None."""
    try:
        return codecs.getincrementaldecoder("utf-8")().decode(data, final=complete)
    except UnicodeDecodeError:
        return None


async def _read_file(api: WarrenApi, args: Json) -> Json:
    environment_id, path = args["environment_id"], args["path"]
    entries = (await api.list_files(environment_id, path, recursive=False, page_size=1)).get("files") or []
    if (
        not entries
        or entries[0].get("type") != "file"
        or entries[0].get("path", "").strip("/") != path.strip("/")
    ):
        raise ToolFailure(f"{path!r} is not a file in the workspace; list it with warren_list_files")
    size = int(entries[0].get("size_bytes") or 0)
    if size > MAX_FILE_BYTES:
        raise ToolFailure(f"{path!r} is {size} bytes, over the {MAX_FILE_BYTES}-byte limit of this tool")
    max_bytes = int(args.get("max_bytes", DEFAULT_READ_BYTES))
    read = await api.read_file(environment_id, path, max_bytes=max_bytes)
    truncated = read.size_bytes > len(read.data)
    text = utf8_text(read.data, complete=not truncated)
    answer: Json = {"path": path, "size_bytes": read.size_bytes, "truncated": truncated}
    if text is not None:
        answer.update(encoding="utf-8", content=text)
    else:
        answer.update(encoding="base64", content=base64.b64encode(read.data).decode("ascii"))
    return answer


_VERBS: dict[str, Callable[[WarrenApi, Json], Awaitable[Json]]] = {
    "warren_start_run": _start_run,
    "warren_get_run": _get_run,
    "warren_continue_run": _continue_run,
    "warren_cancel_run": _cancel_run,
    "warren_list_files": _list_files,
    "warren_read_file": _read_file,
}


async def call_tool(api: WarrenApi, name: str, arguments: Json) -> Json:
    """Carry out tool `name`; raises `ToolFailure` with a message for the calling agent."""
    verb, schema = _VERBS.get(name), TOOL_SCHEMAS.get(name)
    if verb is None or schema is None:
        raise ToolFailure(f"unknown tool {name!r}; the tools are {', '.join(_VERBS)}")
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema).iter_errors(arguments))
    if error is not None:
        where = ".".join(str(part) for part in error.absolute_path) or "arguments"
        raise ToolFailure(f"invalid {where}: {error.message}")
    try:
        return await verb(api, arguments)
    except ApiRefusal as exc:
        raise ToolFailure(f"Warren refused: {exc.status} {exc.code}: {exc.message}") from exc
    except ApiUnreachable as exc:
        raise ToolFailure(str(exc)) from exc

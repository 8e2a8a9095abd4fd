"""Running tool hooks around a built-in tool call (`hooks_config` says what a hooks file holds).

Before a call, every matching `pre_tool_execution` hook runs in order; one that answers
`{"decision": "deny", "reason": ...}` skips the tool and the model reads the reason as the call's
error; one that answers `{"decision": "ask", "reason": ...}` makes the call wait for a person's
approval (`ApprovalAsked`; Warren's extension), unless it has it. After it, the matching
`post_tool_execution` hooks see the result. A hook reads one JSON
object (the event, the tool's name and arguments, and after the call its output) on stdin or as
the POST body. A command hook runs in the sandbox's workspace; an http hook goes through the
sandbox's egress proxy, so the orchestrator's egress policy decides where it may go.

A hook that fails (crash, timeout, non-zero exit, unreadable answer, a refused address) or a hooks
file that cannot be parsed is skipped by default, as Google's agents do (fail open); with the
operator's `WARREN_HOOKS_FAIL_CLOSED` the call is refused instead, naming the failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agents.hooks_config import Handler, HookRule, LoadedHooks, load_hooks
from agents.model_types import ToolCallPart
from agents.tools.results import ToolResult

__all__ = ["ApprovalAsked", "ToolHooks"]

_MAX_ANSWER = 64 * 1024
_MAX_SENT_OUTPUT = 64 * 1024


class HookFailed(Exception):
    """A hook did not give a usable answer."""


class ApprovalAsked(Exception):
    """A pre hook asked that the call wait for a person's approval; the message says which and why."""


@dataclass(frozen=True)
class ToolHooks:
    """The hooks of one agent's sandbox: its workspace, its skills and the operator's fail mode."""

    workspace: Path
    skills: LoadedHooks
    """The agent's skills' hooks (`agents.skills_mount.SkillsMount.hooks`); the workspace's file is
    read for every call, since the agent's own work may change it."""
    fail_closed: bool = False
    env: dict[str, str] | None = None
    approved: bool = False
    """A person approved this call: a hook's "ask" lets it run (a "deny" still stops it)."""

    async def run(self, call: ToolCallPart, tool: Any) -> ToolResult:
        """`tool()` wrapped in the hooks that match `call`: denied, failed closed, or its result."""
        loaded = load_hooks(self.workspace, self.skills)  # one small file: a thread hop costs more
        if loaded.errors and self.fail_closed:
            return _refused(f"the hooks cannot be read: {loaded.errors[0]}")
        event: dict[str, Any] = {
            "event": "pre_tool_execution",
            "tool_name": call.name,
            "tool_input": call.arguments,
        }
        for name, handler in _matching(loaded, "pre_tool_execution", call.name):
            try:
                answer = await self._call(handler, event)
            except HookFailed as exc:
                if self.fail_closed:
                    return _refused(f"hook {name} failed: {exc}")
                continue
            reason = str(answer.get("reason") or "no reason given")[:2000]
            if answer.get("decision") == "deny":
                return _refused(f"denied by hook {name}: {reason}")
            if answer.get("decision") == "ask" and not self.approved:
                raise ApprovalAsked(f"hook {name}: {reason}")
        result: ToolResult = await tool()
        after: dict[str, Any] = {**event, "event": "post_tool_execution"}
        after |= {"tool_output": result.output[:_MAX_SENT_OUTPUT], "is_error": result.is_error}
        for name, handler in _matching(loaded, "post_tool_execution", call.name):
            try:
                await self._call(handler, after)
            except HookFailed as exc:
                if self.fail_closed:
                    return ToolResult(
                        output=f"The tool ran, but post hook {name} failed: {exc}", is_error=True
                    )
        return result

    async def _call(self, handler: Handler, event: dict[str, Any]) -> dict[str, Any]:
        body = json.dumps(event).encode()
        if handler.type == "http":
            raw = await _post(str(handler.url), body, handler.timeout)
        else:
            raw = await self._command(str(handler.command), body, handler.timeout)
        if not raw.strip():
            return {}
        try:
            answer = json.loads(raw)
        except ValueError as exc:
            raise HookFailed(f"its answer is not JSON: {exc}") from exc
        if not isinstance(answer, dict):
            raise HookFailed("its answer is not a JSON object")
        return answer

    async def _command(self, command: str, body: bytes, limit_s: float) -> bytes:
        process = await asyncio.create_subprocess_exec(
            "bash", "-c", command,
            cwd=self.workspace, env=self.env, start_new_session=True,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            out, err = await asyncio.wait_for(process.communicate(body), limit_s)
        except TimeoutError as exc:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
            raise HookFailed(f"no answer within {limit_s:g} s") from exc
        if process.returncode != 0:
            detail = err.decode(errors="replace").strip()[-300:]
            raise HookFailed(f"exit status {process.returncode}" + (f": {detail}" if detail else ""))
        return out[:_MAX_ANSWER]


async def _post(url: str, body: bytes, limit_s: float) -> bytes:
    """POST through the sandbox's proxy (`HTTP_PROXY`/`HTTPS_PROXY`, the only way out).

    httpx is imported here, by the first http hook: importing it costs every runner's start ~30 ms
    (more under gVisor), and most agents have no http hook. The runner starts without `ssl`
    (`agents.lean_imports`); an `https` URL needs it back.
    """
    from agents.lean_imports import with_ssl

    with_ssl()
    import httpx

    headers = {"content-type": "application/json"}
    try:
        async with httpx.AsyncClient(timeout=limit_s, trust_env=True, follow_redirects=False) as client:
            response = await client.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        raise HookFailed(f"{type(exc).__name__}: {exc}"[:300]) from exc
    if response.status_code >= 400:
        raise HookFailed(f"HTTP {response.status_code}: {response.text[:200]}")
    return response.content[:_MAX_ANSWER]


def _matching(loaded: LoadedHooks, event: str, tool: str) -> list[tuple[str, Handler]]:
    rules: list[tuple[str, HookRule]] = [
        (name, rule) for name, group in loaded.groups.items() for rule in getattr(group, event)
    ]
    return [(name, handler) for name, rule in rules if rule.matches(tool) for handler in rule.hooks]


def _refused(message: str) -> ToolResult:
    return ToolResult(output=f"The tool did not run: {message}", is_error=True)

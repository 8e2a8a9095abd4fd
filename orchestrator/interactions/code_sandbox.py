"""The model form's code runs in an ephemeral environment of its own, with the agents' hardening.

Each model-form interaction that offers `code_execution` gets, at its first `run_code` call, a new
environment (no sources, network disabled) whose sandbox is made by an `EnvironmentService` with no
runner hook: the same backend, image, limits, labels and tenant sandbox cap as an agent's, with
`sleep` as its main process. Each call is one `docker exec` as uid 1000 under a deadline; the
environment and its sandbox are deleted when the interaction ends. Its row keeps the reconciler
from reaping the sandbox mid-run; a crash leaves it like any idle environment, for its tenant to delete.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from agents.tools.args import RunCodeArgs
from orchestrator.environments.service import EnvironmentService
from orchestrator.interactions.code_ports import CodeOutput, CodeSession
from orchestrator.sandbox.backend import ExecRequest, ExecResult
from orchestrator.store.environment_spec import EnvironmentSpec
from orchestrator.store.errors import NotFoundError

__all__ = ["EnvironmentCodeSandboxes"]

_MAX_OUTPUT = 64 * 1024
_MAX_OUTPUT_BYTES = 4 * _MAX_OUTPUT
"""Kept of each stream (room for `_MAX_OUTPUT` characters of UTF-8); a command printing more is stopped."""
"""Characters of output handed back to the model (the rest is cut, and says so)."""
_MAX_CODE = 100_000
"""Characters of code per call: it travels as one argument of the exec."""


class EnvironmentCodeSandboxes:
    """`CodeSandboxes` over an `EnvironmentService` built with no runner hook (`compose.py`)."""

    def __init__(self, environments: EnvironmentService, max_timeout_s: float = 300.0) -> None:
        self._environments = environments
        self._max_timeout_s = max_timeout_s

    def session(self, tenant: str) -> CodeSession:
        """A session whose environment is made on the first call."""
        return _Session(self._environments, tenant, self._max_timeout_s)


class _Session:
    def __init__(self, environments: EnvironmentService, tenant: str, max_timeout_s: float) -> None:
        self._environments = environments
        self._tenant = tenant
        self._max_timeout_s = max_timeout_s
        self._env_id: str | None = None

    async def run(self, arguments: Mapping[str, Any]) -> CodeOutput:
        try:
            args = RunCodeArgs.model_validate(dict(arguments))
        except ValidationError as exc:
            fields = ", ".join(".".join(str(p) for p in e["loc"]) or "arguments" for e in exc.errors())
            return CodeOutput(f"invalid run_code arguments: {fields}", is_error=True)
        if len(args.code) > _MAX_CODE:
            return CodeOutput(f"the code is longer than {_MAX_CODE} characters", is_error=True)
        if self._env_id is None:
            self._env_id = (
                await self._environments.create(self._tenant, EnvironmentSpec(network="disabled"))
            ).id
        sandbox_id = await self._environments.sandbox(
            self._tenant, self._env_id
        )  # started again if idle-stopped
        cmd = ("python3", "-c", args.code) if args.language == "python" else ("bash", "-c", args.code)
        timeout_s = min(args.timeout_s, self._max_timeout_s)
        request = ExecRequest(
            sandbox_id=sandbox_id, cmd=cmd, timeout_s=timeout_s, max_output_bytes=_MAX_OUTPUT_BYTES
        )
        result = await self._environments.backend.exec(request)
        return _output(result, timeout_s)

    async def close(self) -> None:
        if self._env_id is not None:
            env_id, self._env_id = self._env_id, None
            with contextlib.suppress(NotFoundError):  # its tenant deleted it meanwhile
                await asyncio.shield(self._environments.delete(self._tenant, env_id))


def _output(result: ExecResult, timeout_s: float) -> CodeOutput:
    text = (result.stdout + result.stderr).decode("utf-8", "replace")
    if len(text) > _MAX_OUTPUT:
        text = text[:_MAX_OUTPUT] + f"\n[output cut at {_MAX_OUTPUT} characters]"
    if result.output_cut:
        return CodeOutput(f"{text}\n[stopped: it printed more than {_MAX_OUTPUT_BYTES} bytes]", is_error=True)
    if result.timed_out:
        return CodeOutput(f"{text}\n[timed out after {timeout_s:g} s]".lstrip(), is_error=True)
    if result.oom_killed:
        return CodeOutput(f"{text}\n[killed: out of memory]".lstrip(), is_error=True)
    if result.exit_code != 0:
        return CodeOutput(f"{text}\n[exit code {result.exit_code}]".lstrip(), is_error=True)
    return CodeOutput(text)

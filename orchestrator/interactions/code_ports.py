"""The port the interaction engine owns for the model form's `code_execution`: `CodeSandboxes`.

A model-form interaction runs in the orchestrator, but the model's code must never run there: it
runs in a sandbox with the agents' hardening profile. The engine asks only for a session per
interaction (made on the first call, destroyed when the interaction ends), so it imports neither
the environments nor the sandbox backend; `code_sandbox.EnvironmentCodeSandboxes` implements it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["CodeOutput", "CodeSandboxes", "CodeSession"]


@dataclass(frozen=True)
class CodeOutput:
    """What one run of the model's code gave back: the `code_execution_result` step's `result`."""

    output: str
    """Standard output and error (capped), with the exit status when it is not 0."""
    is_error: bool = False
    """The code failed, timed out, or its arguments were invalid."""


class CodeSession(Protocol):
    """One interaction's sandbox for the model's code."""

    async def run(self, arguments: Mapping[str, Any]) -> CodeOutput:
        """Run one `run_code` call (`language`, `code`, `timeout_s`); never raises for the code's faults."""
        ...

    async def close(self) -> None:
        """Destroy the sandbox (nothing to do if no code ran)."""
        ...


class CodeSandboxes(Protocol):
    """Makes code sessions for model-form interactions."""

    def session(self, tenant: str) -> CodeSession:
        """A session for one interaction of `tenant`; its sandbox is made on the first `run`."""
        ...

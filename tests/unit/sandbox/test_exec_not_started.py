"""A command the runtime could not start (the engine's "OCI runtime exec failed" instead of its output,
exit 126: runsc under load, now and then) is run once more by `DockerBackend.exec`; a command that ran
and exited 126 itself is not. The stream here stands in for the engine, which fails so only at random.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from orchestrator.sandbox import DockerBackend, ExecRequest, ExecResult
from orchestrator.sandbox import docker_backend as backend_module
from orchestrator.sandbox.docker_file_read import NOT_STARTED

REQUEST = ExecRequest(sandbox_id="sandbox", cmd=("ls",), timeout_s=5)


def _engine(*results: ExecResult) -> tuple[Any, list[ExecResult]]:
    given: list[ExecResult] = []

    async def exec_stream(_engine: Any, _request: ExecRequest) -> AsyncIterator[ExecResult]:
        given.append(results[len(given)])
        yield given[-1]

    return exec_stream, given


async def test_a_command_the_runtime_could_not_start_runs_once_more(monkeypatch: pytest.MonkeyPatch) -> None:
    failed = ExecResult(exit_code=126, stdout=NOT_STARTED + b": exec failed: timed out\r\n")
    stream, given = _engine(failed, ExecResult(exit_code=0, stdout=b"ledger.txt\n"))
    monkeypatch.setattr(backend_module, "exec_stream", stream)
    result = await DockerBackend().exec(REQUEST)
    assert (result.exit_code, result.stdout, len(given)) == (0, b"ledger.txt\n", 2)


async def test_a_command_that_ran_and_exited_126_is_not_run_again(monkeypatch: pytest.MonkeyPatch) -> None:
    ran = ExecResult(exit_code=126, stdout=b"", stderr=b"bash: ./x: Permission denied\n")
    stream, given = _engine(ran, ExecResult(exit_code=0))
    monkeypatch.setattr(backend_module, "exec_stream", stream)
    assert (await DockerBackend().exec(REQUEST)).exit_code == 126
    assert len(given) == 1

"""The persistent Python session behind `run_code` with `language: python`.

One worker process (`agents/tools/pyworker.py`, stdlib only, driven by `worker_process.py`) is
started on first use and kept: variables, imports and the working directory survive between calls.
It replaced an ipykernel driven through jupyter_client, whose ZMQ round trip alone cost ~10 ms; here
a call is one small frame each way on a pipe. The worker's fds 1 and 2 are one pipe read as the
call's output (capped like bash's); requests and replies use two other pipes.

A timeout or a cancel interrupts the run (SIGINT to the worker's process group, like
Ctrl-C in a notebook); only a worker that ignores the interrupt is killed, and the result
says that its state was lost. A worker that died is replaced on the next call.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from agents.tools.results import ImageData, ToolResult
from agents.tools.text import DEFAULT_OUTPUT_LIMIT, OutputCollector, strip_ansi
from agents.tools.worker_process import WorkerProcess

__all__ = ["PythonKernel"]

_INTERRUPT_GRACE_S = 3.0
"""How long interrupted code may take to stop before the worker is killed."""
_LOST = "variables and imports were lost"


class PythonKernel:
    """One persistent Python worker, started on first use, that keeps its state between calls.

    `env` is the worker's whole environment (default: this process's).
    """

    def __init__(
        self, cwd: Path, *, env: Mapping[str, str] | None = None, output_limit: int = DEFAULT_OUTPUT_LIMIT
    ) -> None:
        self._cwd = cwd
        self._env = dict(os.environ if env is None else env)
        self._limit = output_limit
        self._worker: WorkerProcess | None = None
        self._lock = asyncio.Lock()
        self._running = False
        self._interrupted = False

    async def run(self, code: str, timeout_s: float) -> ToolResult:
        """Execute `code`; interrupt it after `timeout_s` seconds (the worker and its state survive)."""
        async with self._lock:
            notes: list[str] = []
            worker = self._worker
            if worker is not None and not worker.alive:
                await self._drop(worker)
                notes.append(f"[the Python process had exited, so a fresh one was started: {_LOST}]")
                worker = None
            if worker is None:
                worker = self._worker = await WorkerProcess.start(self._cwd, self._env)
            self._interrupted = False
            self._running = True
            try:
                return await self._execute(worker, code, timeout_s, notes)
            finally:
                self._running = False

    async def _execute(
        self, worker: WorkerProcess, code: str, timeout_s: float, notes: list[str]
    ) -> ToolResult:
        out = OutputCollector(self._limit)
        run_id = worker.send(code, out)
        reply: dict[str, Any] | None = None
        try:
            try:
                reply = await worker.reply(run_id, timeout_s)
            except TimeoutError:
                notes.append(f"[timed out after {timeout_s:g} s: the run was interrupted]")
                reply = await self._stop(worker, run_id, notes)
            else:
                if reply is None:
                    await self._drop(worker)
                    notes.append(f"[the Python process died and will be restarted: {_LOST}]")
            if reply is not None:
                await worker.synced(run_id)
        except asyncio.CancelledError:
            await asyncio.shield(self._abandon(worker, run_id))
            raise
        finally:
            worker.sink = None
        if self._interrupted:
            notes.append("[interrupted]")
        output = strip_ansi(out.text()).rstrip("\n")
        text = "\n".join(part for part in (output, *notes) if part)
        failed = reply is None or not reply.get("ok") or bool(notes)
        images = [ImageData(mime_type=mime, data_b64=data) for mime, data in (reply or {}).get("images", [])]
        return ToolResult(output=text, is_error=failed, images=images, exit_code=1 if failed else 0)

    async def _stop(self, worker: WorkerProcess, run_id: int, notes: list[str]) -> dict[str, Any] | None:
        """Interrupt the run; kill the worker if it does not stop within the grace period."""
        worker.signal(signal.SIGINT)
        try:
            reply = await worker.reply(run_id, _INTERRUPT_GRACE_S)
        except TimeoutError:
            notes.append(f"[the code ignored the interrupt, so the Python process was restarted: {_LOST}]")
        else:
            if reply is not None:
                return reply
            notes.append(f"[the Python process died and will be restarted: {_LOST}]")
        await self._drop(worker)
        return None

    async def _abandon(self, worker: WorkerProcess, run_id: int) -> None:
        """After a cancelled call: stop its run so the next call starts clean, or kill the worker."""
        worker.sink = None
        if await self._stop(worker, run_id, []) is not None:
            await worker.synced(run_id)

    async def _drop(self, worker: WorkerProcess) -> None:
        await worker.stop()
        if self._worker is worker:
            self._worker = None

    async def adopt(self, env: Mapping[str, str]) -> None:
        """From now on the worker's environment is `env`; a running worker is stopped (the next run
        starts one with it)."""
        async with self._lock:
            self._env = dict(env)
            if self._worker is not None:
                await self._drop(self._worker)

    async def interrupt(self) -> None:
        """Interrupt the running execution, as Ctrl-C would (used by cancel)."""
        worker = self._worker
        if worker is not None and self._running and worker.alive:
            self._interrupted = True
            worker.signal(signal.SIGINT)

    async def close(self) -> None:
        """Kill the worker and everything it started."""
        worker, self._worker = self._worker, None
        if worker is not None:
            await worker.stop()

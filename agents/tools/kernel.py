"""The persistent IPython kernel behind `run_code` with `language: python`.

jupyter_client starts one kernel per session (first use) and keeps it: variables, imports
and the working directory survive between calls. A timeout or a cancel interrupts the
kernel (SIGINT, like Ctrl-C in a notebook); only a kernel that ignores the interrupt is
restarted, and the result says that its state was lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agents.tools.results import ImageData, ToolResult
from agents.tools.text import DEFAULT_OUTPUT_LIMIT, OutputCollector, strip_ansi

if TYPE_CHECKING:
    from jupyter_client.asynchronous.client import AsyncKernelClient
    from jupyter_client.manager import AsyncKernelManager

__all__ = ["PythonKernel"]

_START_TIMEOUT_S = 60.0
_INTERRUPT_GRACE_S = 3.0
_IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")


class _KernelDied(Exception):
    pass


class _Run:
    """What one execution produced, gathered from the kernel's iopub messages."""

    def __init__(self, limit: int) -> None:
        self.out = OutputCollector(limit)
        self.images: list[ImageData] = []
        self.failed = False
        self.done = False

    def take(self, msg: dict[str, Any]) -> None:
        kind = msg["header"]["msg_type"]
        content = msg["content"]
        if kind == "stream":
            self.out.add(strip_ansi(content.get("text", "")))
        elif kind in ("execute_result", "display_data"):
            data = content.get("data", {})
            image = next((mime for mime in _IMAGE_TYPES if mime in data), None)
            if image is not None:
                self.images.append(ImageData(mime_type=image, data_b64=str(data[image]).replace("\n", "")))
            elif "text/plain" in data:
                self.out.add(strip_ansi(str(data["text/plain"])) + "\n")
        elif kind == "error":
            self.failed = True
            trace = (
                "\n".join(content.get("traceback", [])) or f"{content.get('ename')}: {content.get('evalue')}"
            )
            self.out.add(strip_ansi(trace) + "\n")
        elif kind == "status" and content.get("execution_state") == "idle":
            self.done = True


class PythonKernel:
    """One IPython kernel, started on first use, that keeps its state between calls.

    `env` is the kernel's whole environment (default: this process's).
    """

    def __init__(
        self, cwd: Path, *, env: Mapping[str, str] | None = None, output_limit: int = DEFAULT_OUTPUT_LIMIT
    ) -> None:
        self._cwd = cwd
        self._env = dict(os.environ if env is None else env)
        self._limit = output_limit
        self._manager: AsyncKernelManager | None = None
        self._client: AsyncKernelClient | None = None
        self._tmp: Path | None = None
        self._lock = asyncio.Lock()
        self._running = False
        self._interrupted = False

    async def _ensure(self) -> AsyncKernelClient:
        if self._client is not None:
            return self._client
        from jupyter_client.manager import AsyncKernelManager

        # IPC sockets in a private directory: no TCP port, and nothing other users could reach.
        self._tmp = Path(tempfile.mkdtemp(prefix="warren-kernel-"))
        manager = AsyncKernelManager(
            kernel_name="python3",
            transport="ipc",
            ip=str(self._tmp / "kernel"),
            connection_file=str(self._tmp / "kernel.json"),
        )
        await manager.start_kernel(cwd=str(self._cwd), env=self._env)
        client = manager.client()
        client.start_channels()
        try:
            await client.wait_for_ready(timeout=_START_TIMEOUT_S)
        except BaseException:
            client.stop_channels()
            await manager.shutdown_kernel(now=True)
            raise
        self._manager, self._client = manager, client
        return client

    async def run(self, code: str, timeout_s: float) -> ToolResult:
        """Execute `code`; interrupt it after `timeout_s` seconds (the kernel and its state survive)."""
        async with self._lock:
            client = await self._ensure()
            self._interrupted = False
            self._running = True
            try:
                return await self._execute(client, code, timeout_s)
            finally:
                self._running = False

    async def _execute(self, client: AsyncKernelClient, code: str, timeout_s: float) -> ToolResult:
        msg_id = client.execute(code, store_history=True, allow_stdin=False, stop_on_error=True)
        run = _Run(self._limit)
        notes: list[str] = []
        try:
            if not await self._collect(client, msg_id, run, timeout_s):
                notes.append(f"[timed out after {timeout_s:g} s: the run was interrupted]")
                await self._stop(client, msg_id, run, notes)
        except _KernelDied:
            await self._restart(client)
            notes.append("[the kernel died and was restarted: variables and imports were lost]")
        except asyncio.CancelledError:
            await asyncio.shield(self.interrupt())
            raise
        if self._interrupted:
            notes.append("[interrupted]")
        with contextlib.suppress(queue.Empty, TimeoutError):
            while True:  # drain this execution's shell reply so it never pairs with the next call
                reply = await client.get_shell_msg(timeout=0.5)
                if reply["parent_header"].get("msg_id") == msg_id:
                    break
        output = run.out.text().rstrip("\n")
        text = "\n".join(part for part in (output, *notes) if part)
        failed = run.failed or bool(notes)
        return ToolResult(output=text, is_error=failed, images=run.images, exit_code=1 if failed else 0)

    async def _collect(self, client: AsyncKernelClient, msg_id: str, run: _Run, timeout_s: float) -> bool:
        """Gather output until the kernel goes idle (True) or the time is up (False)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while not run.done:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            try:
                msg = await client.get_iopub_msg(timeout=min(remaining, 1.0))
            except (queue.Empty, TimeoutError):
                if self._manager is not None and not await self._manager.is_alive():
                    raise _KernelDied from None
                continue
            if msg["parent_header"].get("msg_id") == msg_id:
                run.take(msg)
        return True

    async def _stop(self, client: AsyncKernelClient, msg_id: str, run: _Run, notes: list[str]) -> None:
        assert self._manager is not None
        await self._manager.interrupt_kernel()
        if await self._collect(client, msg_id, run, _INTERRUPT_GRACE_S):
            return
        await self._restart(client)
        notes.append("[the kernel ignored the interrupt and was restarted: variables and imports were lost]")

    async def _restart(self, client: AsyncKernelClient) -> None:
        assert self._manager is not None
        await self._manager.restart_kernel(now=True)
        await client.wait_for_ready(timeout=_START_TIMEOUT_S)

    async def interrupt(self) -> None:
        """Interrupt the running execution, as Ctrl-C would (used by cancel)."""
        if self._manager is not None and self._running:
            self._interrupted = True
            await self._manager.interrupt_kernel()

    async def close(self) -> None:
        """Shut the kernel down."""
        client, manager = self._client, self._manager
        self._client = self._manager = None
        if client is not None:
            client.stop_channels()
        if manager is not None:
            await manager.shutdown_kernel(now=True)
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

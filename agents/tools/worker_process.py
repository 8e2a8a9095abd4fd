"""The Python worker process behind `run_code`: its start, its three pipes, and the output pump.

A run's output is one pipe (the worker's fds 1 and 2), read here and split into runs by the end-of-run
marks the worker prints; requests and replies are length-prefixed JSON frames on two other pipes
(`pyworker.encode_frame`). Kept apart from `kernel.py`, which decides what a timeout, a cancel or a
dead worker means for a call; this room only moves bytes and knows whether the process lives.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import json
import os
import signal
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from agents.tools import pyworker
from agents.tools.procs import Proc, descendants, kill_tree
from agents.tools.text import OutputCollector

__all__ = ["WorkerProcess"]

_SYNC_S = 2.0
"""How long to wait for the end-of-run mark on the output pipe once the reply is in."""
_EOF_S = 0.5
_CHUNK = 65536
_WORKER = Path(pyworker.__file__).resolve()
_SESSION_ENV = {"PAGER": "cat", "GIT_PAGER": "cat", "TERM": "dumb"}


class WorkerProcess:
    """One running worker process and the readers of its output and reply pipes."""

    def __init__(self, proc: asyncio.subprocess.Process, requests: asyncio.StreamWriter, mark: bytes) -> None:
        self.proc = proc
        self._requests = requests
        self._mark = mark
        self.replies: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self.sink: OutputCollector | None = None
        self.sent = 0
        self._marks_seen = 0
        self._marked = asyncio.Event()
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._tasks: list[asyncio.Task[None]] = []
        self._replies_pipe: asyncio.BaseTransport | None = None

    @classmethod
    async def start(cls, cwd: Path, env: Mapping[str, str]) -> WorkerProcess:
        loop = asyncio.get_running_loop()
        token = os.urandom(8).hex()  # not `secrets`: its hmac loads OpenSSL (`agents.lean_imports`)
        if not await asyncio.to_thread(cwd.is_dir):
            cwd = Path.home()
        request_r, request_w = os.pipe()
        reply_r, reply_w = os.pipe()
        try:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-P", str(_WORKER), str(request_r), str(reply_w), token,
                stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT, cwd=cwd,
                env={**_SESSION_ENV, **env}, pass_fds=(request_r, reply_w), start_new_session=True,
            )  # fmt: skip
        except BaseException:
            for fd in (request_w, reply_r):
                os.close(fd)
            raise
        finally:
            os.close(request_r)
            os.close(reply_w)
        transport, protocol = await loop.connect_write_pipe(
            asyncio.streams.FlowControlMixin, os.fdopen(request_w, "wb", buffering=0)
        )
        requests = asyncio.StreamWriter(transport, protocol, None, loop)
        reader = asyncio.StreamReader(limit=2**31)
        replies, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(reply_r, "rb", buffering=0)
        )
        worker = cls(proc, requests, pyworker.end_mark(token))
        worker._replies_pipe = replies
        worker._tasks = [
            asyncio.create_task(worker._read_replies(reader)),
            asyncio.create_task(worker._pump_output()),
            asyncio.create_task(worker._watch()),
        ]
        return worker

    @property
    def alive(self) -> bool:
        return self.proc.returncode is None

    def send(self, code: str, sink: OutputCollector) -> int:
        """Queue one run; its output goes to `sink`. Returns the run's id."""
        self.sent += 1
        self.sink = sink
        self._requests.write(pyworker.encode_frame({"id": self.sent, "code": code}))
        return self.sent

    async def reply(self, run_id: int, timeout_s: float) -> dict[str, Any] | None:
        """The reply to `run_id` (None if the worker died); TimeoutError when it does not come in time."""
        async with asyncio.timeout(timeout_s):
            while True:
                message = await self.replies.get()
                if message is None:
                    self.replies.put_nowait(None)  # every later wait sees the death too
                    return None
                if message.get("id") == run_id:
                    return message

    async def synced(self, run_id: int) -> None:
        """Wait until the output pipe has delivered everything run `run_id` printed."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(_SYNC_S):
                while self._marks_seen < run_id and self.alive:
                    self._marked.clear()
                    await self._marked.wait()

    def signal(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, sig)

    async def _read_replies(self, reader: asyncio.StreamReader) -> None:
        try:
            while True:
                header = await reader.readexactly(pyworker.HEADER.size)
                body = await reader.readexactly(pyworker.HEADER.unpack(header)[0])
                self.replies.put_nowait(json.loads(body))
        except (asyncio.IncompleteReadError, ConnectionError):
            self.replies.put_nowait(None)

    async def _watch(self) -> None:
        """The reply pipe may outlive the worker (a forked child holds it): its exit is what counts."""
        await self.proc.wait()
        self.replies.put_nowait(None)
        self._marked.set()

    async def _pump_output(self) -> None:
        """Copy output to the current run's sink, counting end-of-run marks."""
        stdout = self.proc.stdout
        assert stdout is not None
        mark, keep = self._mark, len(self._mark) - 1
        pending = b""
        while chunk := await stdout.read(_CHUNK):
            pending += chunk
            while (at := pending.find(mark)) >= 0:
                self._emit(pending[:at])
                pending = pending[at + len(mark) :]
                self._marks_seen += 1
                self._marked.set()
            cut = pending.find(mark[:1], max(0, len(pending) - keep))
            while cut >= 0 and not mark.startswith(pending[cut:]):  # hold back only a possible partial mark
                cut = pending.find(mark[:1], cut + 1)
            cut = len(pending) if cut < 0 else cut
            self._emit(pending[:cut])
            pending = pending[cut:]
        self._emit(pending, final=True)

    def _emit(self, data: bytes, *, final: bool = False) -> None:
        text = self._decoder.decode(data, final)
        if self.sink is not None and text:
            self.sink.add(text)

    async def stop(self) -> None:
        """Kill the worker and everything it started; keep its last output for the current run."""
        # Even a worker that already exited leaves its process group behind (a `Popen` child).
        tree = descendants(self.proc.pid) if self.alive else []
        kill_tree([*tree, Proc(pid=self.proc.pid, ppid=0, pgid=self.proc.pid)], signal.SIGKILL)
        await self.proc.wait()
        self._requests.close()
        reading = self._tasks[1]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(reading), _EOF_S)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._replies_pipe is not None:
            self._replies_pipe.close()

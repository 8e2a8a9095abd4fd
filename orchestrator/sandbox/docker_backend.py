"""`DockerBackend`: sandboxes as hardened Docker containers, the `SandboxBackend` of one engine.

This class is the seam's one Docker entry point and holds no logic of its own: each method hands
its work to the room that owns it (`docker_engine` the client and threads, `docker_lifecycle`,
`docker_volumes` + `workspace_images` the bounded workspaces, `docker_copy` the fork copy,
`docker_exec` and `docker_attach` the commands, `docker_files` and `docker_file_read` the file
moves, `docker_inspect` the listing and stats). Every setting comes from the constructor: the
composition root passes the server's `Settings`; the defaults are the same values, for tests,
benchmarks and scripts.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from types import TracebackType
from typing import IO

import docker

from orchestrator.sandbox import (
    docker_checkpoint,
    docker_file_read,
    docker_files,
    docker_inspect,
    docker_lifecycle,
)
from orchestrator.sandbox.backend import (
    ExecChunk,
    ExecRequest,
    ExecResult,
    FileDownload,
    PtyRequest,
    SandboxError,
    SandboxInfo,
    SandboxSpec,
    SandboxStats,
)
from orchestrator.sandbox.docker_attach import open_pty
from orchestrator.sandbox.docker_copy import copy_workspace
from orchestrator.sandbox.docker_engine import DockerEngine
from orchestrator.sandbox.docker_exec import exec_stream, oom_kills
from orchestrator.sandbox.docker_file_read import NOT_STARTED
from orchestrator.sandbox.docker_volumes import WorkspaceVolumes
from orchestrator.sandbox.pty import DockerPty
from orchestrator.sandbox.runtimes import runtimes_of
from orchestrator.sandbox.tarsafe import TarLimits
from orchestrator.sandbox.usage import SandboxUsage

__all__ = ["DEFAULT_WORKSPACE_BYTES", "DEFAULT_WORKSPACE_DIR", "DockerBackend"]

DEFAULT_WORKSPACE_BYTES = 2 << 30
"""2 GiB, as `Settings.workspace_bytes`."""
DEFAULT_WORKSPACE_DIR = Path("/var/lib/warren/workspaces")
_NOT_STARTED_RETRY_S = 0.2
"""As `Settings.workspace_dir`."""


class DockerBackend:
    """Runs sandboxes as containers on the local (or `DOCKER_HOST`) engine.

    Args:
        image: default image for specs that name none.
        client: an existing SDK client; by default one is made from the environment.
        tar_limits: caps applied to archives in both directions.
        workspace_bytes: size of every `/workspace` in **bytes** (0: unbounded).
        workspace_dir: host folder of the workspace images.
        extra_labels: labels on every container and volume this backend makes (a deployment's tag).
        threads: worker threads for SDK calls (and the client's connection pool).
    """

    def __init__(
        self,
        image: str | None = None,
        client: docker.DockerClient | None = None,
        tar_limits: TarLimits | None = None,
        workspace_bytes: int = DEFAULT_WORKSPACE_BYTES,
        workspace_dir: Path = DEFAULT_WORKSPACE_DIR,
        extra_labels: dict[str, str] | None = None,
        threads: int = 16,
    ) -> None:
        self.image = image
        self.extra_labels = dict(extra_labels or {})
        self._tar_limits = tar_limits or TarLimits()
        self._engine = DockerEngine(client, threads)
        self._workspaces: dict[str, docker_inspect.Placement] = {}
        """Each sandbox's workspace volume on the host, for `usage` (found once per sandbox)."""
        self._volumes = WorkspaceVolumes(self._engine, workspace_bytes, workspace_dir)
        self._runsc: str | None = None
        """The runsc of an engine that can pause gVisor sandboxes here ("" if it cannot), asked once."""

    async def __aenter__(self) -> DockerBackend:
        await self._engine.client()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the SDK client's connections and let the worker threads go."""
        await self._engine.close()

    async def runtimes(self) -> frozenset[str]:
        """The OCI runtimes registered with the engine (`docker info`), e.g. `runc` and `runsc`."""
        client = await self._engine.client()
        return runtimes_of(await self._engine.call(client.info))

    async def create(self, spec: SandboxSpec) -> SandboxInfo:
        """Create a hardened container and its workspace volume (not started)."""
        image = spec.image or self.image
        if image is None:
            raise SandboxError("no image: pass one in the spec or to DockerBackend(image=...)")
        return await docker_lifecycle.create(self._engine, self._volumes, spec, image, self.extra_labels)

    async def start(self, sandbox_id: str) -> None:
        """Start (or resume) a sandbox, re-attaching a bounded workspace a host reboot detached."""
        await docker_lifecycle.start(self._engine, self._volumes, sandbox_id)

    async def stop(self, sandbox_id: str, timeout_s: float = 10.0) -> None:
        """Stop a sandbox; its workspace volume is kept for `start`, a pause's memory is not."""
        await docker_lifecycle.stop(self._engine, sandbox_id, timeout_s)
        if await self._checkpointing():
            await docker_checkpoint.forget(self._engine, sandbox_id)

    async def can_pause(self, sandbox_id: str) -> bool:
        """Whether `pause` may keep this sandbox's processes: gVisor on an engine with checkpoints."""
        return await docker_checkpoint.pausable(self._engine, sandbox_id, await self._checkpointing())

    async def pause(self, sandbox_id: str) -> bool:
        """Checkpoint the sandbox's processes and memory and stop it; False when that failed."""
        runsc = await self._checkpointing()
        return bool(runsc) and await docker_checkpoint.pause(self._engine, sandbox_id, runsc)

    async def _checkpointing(self) -> str:
        if self._runsc is None:
            client = await self._engine.client()
            self._runsc = docker_checkpoint.runsc_for_checkpoints(await self._engine.call(client.info))
        return self._runsc

    async def resume(self, sandbox_id: str) -> bool:
        """Start the sandbox from its pause (deleted after); False when it has none or it failed."""
        return await docker_checkpoint.resume(self._engine, sandbox_id)

    async def destroy(self, sandbox_id: str) -> None:
        """Remove the container and its workspace volume; a missing sandbox is fine."""
        await docker_lifecycle.destroy(self._engine, self._volumes, sandbox_id)

    async def copy_workspace(self, source_id: str, target_id: str, timeout_s: float = 300.0) -> None:
        """Copy one sandbox's workspace into another's (a fork) within `timeout_s` **seconds**."""
        await copy_workspace(self._engine, source_id, target_id, timeout_s)

    async def reap_volumes(self, labels: dict[str, str], older_than_s: float) -> int:
        """Remove workspace volumes (narrowed by `labels`) no container names, older than `older_than_s`."""
        return await self._volumes.reap(labels, older_than_s)

    async def exec(self, request: ExecRequest) -> ExecResult:
        """Run a command to completion or its deadline; output is collected in memory.

        A command the runtime could not start at all (exit 126 with the engine's `NOT_STARTED` as
        its whole output's start: runsc under load, now and then) is run once more: it never ran.
        """
        result = await self._exec_once(request)
        if result.exit_code == 126 and result.stdout.startswith(NOT_STARTED):
            await asyncio.sleep(_NOT_STARTED_RETRY_S)
            result = await self._exec_once(request)
        return result

    async def _exec_once(self, request: ExecRequest) -> ExecResult:
        result: ExecResult | None = None
        async for item in exec_stream(self._engine, request):
            if isinstance(item, ExecResult):
                result = item
        assert result is not None
        return result

    def exec_stream(self, request: ExecRequest) -> AsyncIterator[ExecChunk | ExecResult]:
        """Run a command, yielding output as it arrives and the result last; the deadline kills it all."""
        return exec_stream(self._engine, request)

    async def put_archive(self, sandbox_id: str, path: str, tar_bytes: bytes | IO[bytes]) -> None:
        """Check the archive and unpack it into `path` as the sandbox user, all in a worker thread.

        Never the engine's own archive call, which resolves sandbox paths as root (`docker_files`).
        """
        client, limits = await self._engine.client(), self._tar_limits
        await self._engine.call(docker_files.put_archive, client, sandbox_id, path, tar_bytes, limits)

    async def get_archive(self, sandbox_id: str, path: str) -> bytes:
        """`path` as an uncompressed tar of its files and folders, read as the sandbox user, capped."""
        client = await self._engine.client()
        return await self._engine.call(docker_files.get_archive, client, sandbox_id, path, self._tar_limits)

    async def read_file(self, sandbox_id: str, path: str, max_bytes: int) -> FileDownload:
        """Stream one regular workspace file, read as the sandbox user; its size is checked first."""
        client = await self._engine.client()
        return await docker_file_read.read_file(client, sandbox_id, path, max_bytes, self._engine.call)

    async def list(self, labels: dict[str, str] | None = None) -> list[SandboxInfo]:
        """List Warren's containers (running or not), narrowed by `labels`."""
        return await docker_inspect.list_sandboxes(self._engine, labels)

    async def stats(self, sandbox_id: str) -> SandboxStats:
        """One stats sample from the engine (no streaming, no wait for a second sample)."""
        return await docker_inspect.stats(self._engine, sandbox_id)

    async def usage(self, sandbox_id: str, *, tasks: bool = False) -> SandboxUsage:
        """The sandbox's counters and workspace use (host files where the engine runs here); with
        `tasks`, under gVisor also its tasks and RLIMIT_NPROC (one exec into it)."""
        return await docker_inspect.usage(self._engine, sandbox_id, self._workspaces, tasks=tasks)

    async def oom_kills(self, sandbox_id: str) -> int:
        """How many processes the kernel's OOM killer has killed in this sandbox so far."""
        return await oom_kills(self._engine, sandbox_id)

    async def open_pty(self, request: PtyRequest) -> DockerPty:
        """Start an interactive program on a TTY (docker exec with stdin); closing it kills its processes."""
        return await open_pty(self._engine, request)

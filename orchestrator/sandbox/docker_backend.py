"""`DockerBackend`: sandboxes as hardened Docker containers, driven through the `docker` SDK.

Every SDK call runs in a worker thread of the backend's own pool (`docker_threads`), so the event
loop never blocks on the engine and the calls never queue behind other work on asyncio's default
executor (issue 13: idle shells parked there starved every Docker call of the process).

Disk (SECURITY-CHECKLIST "Disk fill"): on overlay2/ext4 `storage_opt` quotas do not apply, so each
workspace is its own filesystem: a sparse ext4 image of `workspace_bytes` under `workspace_dir`,
attached to a loop device, and a Docker `local` volume that mounts that device (`nosuid,nodev`) at
`/workspace`. Writing past the size fails with ENOSPC inside the sandbox and never touches the host's
free space beyond the image. The volume (so the data) lives until the sandbox is destroyed: it
survives stop and resume, the copy helper of a fork mounts it like any volume, and destroying the
sandbox removes the volume, detaches the loop device and deletes the image. Without root (no
`losetup`), or with `workspace_bytes=0`, workspaces are plain unbounded volumes (logged once).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import logging
import os
import secrets
import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import IO, Any, TypeVar

import docker
import docker.errors
from docker.models.containers import Container

from orchestrator.config import Settings
from orchestrator.sandbox import docker_files
from orchestrator.sandbox.backend import (
    LABEL_PREFIX,
    ExecChunk,
    ExecRequest,
    ExecResult,
    FileDownload,
    PtyRequest,
    SandboxError,
    SandboxInfo,
    SandboxNotFoundError,
    SandboxSpec,
    SandboxStats,
)
from orchestrator.sandbox.hardening import SANDBOX_GID, SANDBOX_UID, container_kwargs, warren_labels
from orchestrator.sandbox.pty import DockerPty
from orchestrator.sandbox.tarsafe import TarLimits

__all__ = ["DockerBackend"]

T = TypeVar("T")
log = logging.getLogger(__name__)

_VOLUME_LABEL = f"{LABEL_PREFIX}workspace-volume"
_IMAGE_LABEL = f"{LABEL_PREFIX}workspace-image"
"""On a bounded workspace volume: the host path of its ext4 image."""
_IMAGE_SUFFIX = ".img"
_UNBOUNDED_WARNED: list[bool] = []
"""Non-empty once the "workspaces are not bounded" warning was logged (once per process)."""
_CREATED_LABEL = f"{LABEL_PREFIX}created"
"""Unix time (seconds) the backend created the container or volume: the reaper's grace clock."""
_ROLE_LABEL = f"{LABEL_PREFIX}role"
_COPY_SCRIPT = "set -o pipefail; tar -C /from -cf - . | tar -C /workspace -xpf -"
_EXEC_MARKER = "WARREN_EXEC_ID"
_KILLED_EXIT_CODES = (124, 137)  # `timeout` itself, or the group it took down with SIGKILL
_DEADLINE_GRACE_S = 5.0
# Kills every process that carries this exec's marker in its environment, including ones that
# left the process group with setsid. Runs as the sandbox user, who owns all of them.
_SWEEP = (
    'for d in /proc/[0-9]*; do grep -qzx "' + _EXEC_MARKER + '=$1" "$d/environ" 2>/dev/null'
    ' && kill -9 "${d#/proc/}" 2>/dev/null; done; exit 0'
)

_OOM_COUNT = (
    "cat /sys/fs/cgroup/memory/memory.oom_control /sys/fs/cgroup/memory.events 2>/dev/null"
    " | awk '$1 == \"oom_kill\" { print $2; exit }'"
)


class DockerBackend:
    """Runs sandboxes as containers on the local (or `DOCKER_HOST`) engine.

    Args:
        image: default image for specs that name none.
        client: an existing SDK client; by default one is made from the environment.
        tar_limits: caps applied to archives in both directions.
        workspace_bytes: size of every `/workspace` in **bytes** (0: unbounded); default
            `WARREN_WORKSPACE_BYTES` (2 GiB).
        workspace_dir: host folder of the workspace images; default `WARREN_WORKSPACE_DIR`.
        threads: worker threads for SDK calls (and the client's connection pool); default
            `WARREN_DOCKER_THREADS`.
    """

    def __init__(
        self,
        image: str | None = None,
        client: docker.DockerClient | None = None,
        tar_limits: TarLimits | None = None,
        workspace_bytes: int | None = None,
        workspace_dir: Path | None = None,
        extra_labels: dict[str, str] | None = None,
        threads: int | None = None,
    ) -> None:
        self.image = image
        self._client = client
        self._tar_limits = tar_limits or TarLimits()
        if workspace_bytes is None or workspace_dir is None or extra_labels is None or threads is None:
            settings = Settings.from_env()
            threads = settings.docker_threads if threads is None else threads
            workspace_bytes = settings.workspace_bytes if workspace_bytes is None else workspace_bytes
            workspace_dir = workspace_dir or settings.workspace_dir
            extra_labels = settings.sandbox_labels if extra_labels is None else extra_labels
        self.extra_labels = extra_labels
        self.workspace_bytes = workspace_bytes
        self.workspace_dir = workspace_dir
        self._swept = False
        self.threads = threads
        self._pool: ThreadPoolExecutor | None = None

    async def __aenter__(self) -> DockerBackend:
        await self._docker()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the SDK client's connections."""
        if self._client is not None:
            await self._run(self._client.close)
            self._client = None
        if self._pool is not None:
            self._pool.shutdown(wait=False)
            self._pool = None

    async def _docker(self) -> docker.DockerClient:
        if self._client is None:
            try:
                self._client = await self._run(docker.from_env, version="auto", max_pool_size=self.threads)
            except docker.errors.DockerException as exc:
                raise SandboxError(f"no Docker engine answers: {exc} (run scripts/ensure-engine.sh)") from exc
        return self._client

    def _submit(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> asyncio.Future[T]:
        """Start `fn` on the backend's own threads (not the default executor), in the caller's context."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="warren-docker")
        call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
        return asyncio.get_running_loop().run_in_executor(self._pool, call)

    async def _run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await self._submit(fn, *args, **kwargs)

    async def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return await self._run(fn, *args, **kwargs)
        except docker.errors.NotFound as exc:
            raise SandboxNotFoundError(str(exc.explanation or exc)) from exc
        except docker.errors.APIError as exc:
            raise SandboxError(str(exc.explanation or exc)) from exc

    async def _container(self, sandbox_id: str) -> Container:
        client = await self._docker()
        container: Container = await self._call(client.containers.get, sandbox_id)
        return container

    @staticmethod
    def _info(container: Container) -> SandboxInfo:
        labels = dict(container.labels)
        return SandboxInfo(
            id=container.id or "",
            environment_id=labels.get(f"{LABEL_PREFIX}environment", ""),
            tenant=labels.get(f"{LABEL_PREFIX}tenant", ""),
            status=container.status,
            labels=labels,
        )

    async def create(self, spec: SandboxSpec) -> SandboxInfo:
        """Create a hardened container and its workspace volume (not started)."""
        image = spec.image or self.image
        if image is None:
            raise SandboxError("no image: pass one in the spec or to DockerBackend(image=...)")
        client = await self._docker()
        suffix = secrets.token_hex(4)
        volume_name = f"warren-ws-{spec.environment_id}-{suffix}"
        created = {_CREATED_LABEL: str(int(time.time()))}
        labels = {**self.extra_labels, **warren_labels(spec), **created}
        await self._create_volume(volume_name, labels)
        kwargs = container_kwargs(spec, image, f"warren-{spec.environment_id}-{suffix}", volume_name)
        kwargs["labels"] = {**self.extra_labels, **kwargs["labels"], **created, _VOLUME_LABEL: volume_name}
        try:
            container: Container = await self._call(client.containers.create, **kwargs)
        except BaseException:
            await self._remove_volume(volume_name)
            raise
        return self._info(container)

    async def start(self, sandbox_id: str) -> None:
        """Start (or resume) a sandbox.

        A bounded workspace whose loop device is gone (a host reboot) is attached again first; if
        that is impossible the start fails rather than run with an unbounded workspace.
        """
        client = await self._docker()
        try:
            await self._call(client.api.start, sandbox_id)
        except SandboxNotFoundError:
            raise
        except SandboxError:
            if not await self._reattach(sandbox_id):
                raise
            await self._call(client.api.start, sandbox_id)

    async def stop(self, sandbox_id: str, timeout_s: float = 10.0) -> None:
        """Stop a sandbox; its workspace volume is kept for `start`."""
        client = await self._docker()
        await self._call(client.api.stop, sandbox_id, timeout=int(timeout_s))

    async def destroy(self, sandbox_id: str) -> None:
        """Remove the container and its workspace volume; a missing sandbox is fine."""
        try:
            container = await self._container(sandbox_id)
        except SandboxNotFoundError:
            return
        volume = container.labels.get(_VOLUME_LABEL)
        with contextlib.suppress(SandboxNotFoundError):
            await self._call(container.remove, force=True, v=True)
        if volume:
            await self._remove_volume(volume)

    async def copy_workspace(self, source_id: str, target_id: str, timeout_s: float = 300.0) -> None:
        """Copy one sandbox's workspace volume into another's (a fork), as an uncompressed tar stream.

        A short-lived helper container with the hardening profile mounts the source volume
        read-only and the target volume at `/workspace`, and pipes `tar` into `tar`, so links,
        modes and empty folders survive and nothing passes through the host. Either sandbox may
        be stopped. The helper carries no workspace-volume label: destroying it never touches
        a workspace.

        Raises:
            SandboxNotFoundError: either sandbox is gone.
            SandboxError: the copy failed or passed its deadline (`timeout_s`, **seconds**).
        """
        source, target = await self._container(source_id), await self._container(target_id)
        from_volume, to_volume = source.labels.get(_VOLUME_LABEL), target.labels.get(_VOLUME_LABEL)
        if not from_volume or not to_volume:
            raise SandboxError("both sandboxes need a workspace volume to copy one into the other")
        labels = target.labels
        spec = SandboxSpec(
            environment_id=labels.get(f"{LABEL_PREFIX}environment", ""),
            tenant=labels.get(f"{LABEL_PREFIX}tenant", ""),
            labels={k: v for k, v in labels.items() if k != _VOLUME_LABEL} | {_ROLE_LABEL: "copy"},
            command=("bash", "-c", _COPY_SCRIPT),
        )
        name = f"warren-copy-{secrets.token_hex(6)}"
        kwargs = container_kwargs(spec, str(target.attrs["Image"]), name, to_volume)
        kwargs["volumes"][from_volume] = {"bind": "/from", "mode": "ro"}
        client = await self._docker()
        helper: Container = await self._call(client.containers.create, **kwargs)
        try:
            await self._call(helper.start)
            try:
                status = await self._call(helper.wait, timeout=timeout_s)
            except Exception as exc:  # requests' ReadTimeout: the deadline passed
                raise SandboxError(f"copying the workspace took longer than {timeout_s:.0f} s") from exc
            if status.get("StatusCode") != 0:
                logs: bytes = await self._call(helper.logs, stdout=False, stderr=True, stream=False)
                raise SandboxError(f"copying the workspace failed: {logs.decode(errors='replace')[-500:]}")
        finally:
            with contextlib.suppress(SandboxError):
                await self._call(helper.remove, force=True)

    async def reap_volumes(self, labels: dict[str, str], older_than_s: float) -> int:
        """Remove Warren's workspace volumes (narrowed by `labels`) that no container names any more.

        Only volumes older than `older_than_s` **seconds** go, so one being created is left alone.
        Returns how many were removed.
        """
        client = await self._docker()
        await self._sweep_images(older_than_s)
        wanted = {f"{LABEL_PREFIX}managed": "true", **labels}
        filters = {"label": [f"{key}={value}" for key, value in wanted.items()]}
        volumes = await self._call(client.volumes.list, filters=filters)
        listed: list[dict[str, Any]] = await self._call(client.api.containers, all=True, filters=filters)
        used = {(item.get("Labels") or {}).get(_VOLUME_LABEL) for item in listed}  # no inspect: no race
        cutoff = time.time() - older_than_s
        removed = 0
        for volume in volumes:
            created = (volume.attrs.get("Labels") or {}).get(_CREATED_LABEL)
            if volume.name in used or created is None or float(created) > cutoff:
                continue
            try:
                await self._call(volume.remove, force=True)
                removed += 1
            except SandboxError:
                continue  # in use after all (a container made between the two lists), or already gone
            await self._run(_release_image, _image_of(volume.attrs))
        return removed

    # ---- workspace volumes (bounded: a loop-mounted ext4 image each) ----------------------------

    def _bounded(self) -> bool:
        if self.workspace_bytes <= 0:
            return False
        local = os.environ.get("DOCKER_HOST", "unix://").startswith("unix://")
        if local and os.geteuid() == 0 and shutil.which("losetup") and shutil.which("mkfs.ext4"):
            return True
        if not _UNBOUNDED_WARNED:
            _UNBOUNDED_WARNED.append(True)
            log.warning(
                "workspaces are NOT size-bounded: a bounded workspace needs root, losetup and mkfs.ext4 "
                "and a local engine (set WARREN_WORKSPACE_BYTES=0 to silence this)"
            )
        return False

    async def _create_volume(self, name: str, labels: dict[str, str]) -> None:
        """A plain volume, or (bounded) a `local` volume over a fresh loop-attached ext4 image."""
        client = await self._docker()
        if not self._bounded():
            await self._call(client.volumes.create, name=name, labels=labels)
            return
        if not self._swept:
            self._swept = True
            await self._sweep_images(older_than_s=60.0)
        image = self.workspace_dir / f"{name}{_IMAGE_SUFFIX}"
        device = await self._run(_make_image, image, self.workspace_bytes)
        options = {"type": "ext4", "device": device, "o": "nosuid,nodev"}
        try:
            await self._call(
                client.volumes.create,
                name=name,
                driver="local",
                driver_opts=options,
                labels={**labels, _IMAGE_LABEL: str(image)},
            )
        except BaseException:
            await self._run(_release_image, str(image))
            raise

    async def _remove_volume(self, name: str) -> None:
        client = await self._docker()
        try:
            volume = await self._call(client.volumes.get, name)
            await self._call(volume.remove, force=True)
        except SandboxNotFoundError:
            return
        await self._run(_release_image, _image_of(volume.attrs))

    async def _reattach(self, sandbox_id: str) -> bool:
        """Attach a bounded workspace's image to its loop device again; whether anything changed."""
        client = await self._docker()
        try:
            container = await self._container(sandbox_id)
            volume = await self._call(client.volumes.get, container.labels.get(_VOLUME_LABEL, ""))
        except SandboxError:
            return False
        image, device = _image_of(volume.attrs), (volume.attrs.get("Options") or {}).get("device", "")
        if not image or not device or _backing_file(device) == image:
            return False
        done = await self._run(subprocess.run, ["losetup", device, image], capture_output=True, check=False)
        return done.returncode == 0

    async def _sweep_images(self, older_than_s: float) -> int:
        """Release images in `workspace_dir` whose volume is gone (removed behind Warren's back)."""
        if self.workspace_bytes <= 0 or not self.workspace_dir.is_dir():
            return 0
        client = await self._docker()
        cutoff = time.time() - older_than_s
        released = 0
        for image in self.workspace_dir.glob(f"warren-ws-*{_IMAGE_SUFFIX}"):
            try:
                if image.stat().st_mtime > cutoff:
                    continue
                await self._call(client.volumes.get, image.name.removesuffix(_IMAGE_SUFFIX))
            except SandboxNotFoundError:
                await self._run(_release_image, str(image))
                released += 1
            except (OSError, SandboxError):
                continue
        return released

    async def exec(self, request: ExecRequest) -> ExecResult:
        """Run a command to completion or its deadline; output is collected in memory."""
        result: ExecResult | None = None
        async for item in self.exec_stream(request):
            if isinstance(item, ExecResult):
                result = item
        assert result is not None
        return result

    async def exec_stream(self, request: ExecRequest) -> AsyncIterator[ExecChunk | ExecResult]:
        """Run a command, yielding output as it arrives and the result last.

        The command runs under `timeout -s KILL`, which kills its whole process group at the
        deadline; a sweep by environment marker then kills anything that escaped the group.
        """
        client = await self._docker()
        exec_id = secrets.token_hex(8)
        cmd = ["timeout", "-s", "KILL", f"{request.timeout_s:.3f}", *request.cmd]
        env = {**request.env, _EXEC_MARKER: exec_id}
        started = time.monotonic()
        handle = await self._call(
            client.api.exec_create, request.sandbox_id, cmd, environment=env, workdir=request.workdir
        )
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[bytes | None, bytes | None] | BaseException | None] = asyncio.Queue()

        def pump() -> None:
            try:
                for frame in client.api.exec_start(handle["Id"], stream=True, demux=True):
                    loop.call_soon_threadsafe(queue.put_nowait, frame)
                loop.call_soon_threadsafe(queue.put_nowait, None)
            except BaseException as exc:  # handed to the event loop, re-raised there
                loop.call_soon_threadsafe(queue.put_nowait, exc)

        pumping = self._submit(pump)
        stdout, stderr = bytearray(), bytearray()
        deadline = started + request.timeout_s + _DEADLINE_GRACE_S
        swept = False
        while True:
            try:
                item = await asyncio.wait_for(queue.get(), timeout=max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                # The inner `timeout` should have fired; make sure, then keep draining.
                await self._sweep(request.sandbox_id, exec_id)
                swept, deadline = True, time.monotonic() + _DEADLINE_GRACE_S
                continue
            if item is None:
                break
            if isinstance(item, BaseException):
                raise SandboxError(f"exec stream failed: {item}") from item
            out, err = item
            if out:
                stdout += out
                yield ExecChunk(stream="stdout", data=out)
            if err:
                stderr += err
                yield ExecChunk(stream="stderr", data=err)
        await pumping
        inspected = await self._call(client.api.exec_inspect, handle["Id"])
        duration = time.monotonic() - started
        exit_code: int | None = inspected.get("ExitCode")
        timed_out = swept or (exit_code in _KILLED_EXIT_CODES and duration >= request.timeout_s * 0.95)
        if timed_out:
            await self._sweep(request.sandbox_id, exec_id)
            exit_code = None
        oom_killed = exit_code == 137 and await self.oom_kills(request.sandbox_id) > 0
        yield ExecResult(
            exit_code=exit_code,
            stdout=bytes(stdout),
            stderr=bytes(stderr),
            timed_out=timed_out,
            oom_killed=oom_killed,
            duration_s=duration,
        )

    async def _sweep(self, sandbox_id: str, exec_id: str) -> None:
        client = await self._docker()
        handle = await self._call(client.api.exec_create, sandbox_id, ["sh", "-c", _SWEEP, "sweep", exec_id])
        await self._call(client.api.exec_start, handle["Id"])

    async def put_archive(self, sandbox_id: str, path: str, tar_bytes: bytes | IO[bytes]) -> None:
        """Check the archive on the host, then unpack it into `path` as the sandbox user.

        Never the engine's own archive call, which resolves sandbox paths as root (`docker_files`).
        """
        client = await self._docker()
        await self._call(docker_files.put_archive, client, sandbox_id, path, tar_bytes, self._tar_limits)

    async def get_archive(self, sandbox_id: str, path: str) -> bytes:
        """`path` as an uncompressed tar of its files and folders, read as the sandbox user, capped."""
        client = await self._docker()
        return await self._call(docker_files.get_archive, client, sandbox_id, path, self._tar_limits)

    async def read_file(self, sandbox_id: str, path: str, max_bytes: int) -> FileDownload:
        """Stream one regular workspace file, read as the sandbox user; its size is checked first."""
        client = await self._docker()
        return await docker_files.read_file(client, sandbox_id, path, max_bytes, self._call)

    async def list(self, labels: dict[str, str] | None = None) -> list[SandboxInfo]:
        """List Warren's containers (running or not), narrowed by `labels`."""
        client = await self._docker()
        wanted = {f"{LABEL_PREFIX}managed": "true", **(labels or {})}
        filters = {"label": [f"{key}={value}" for key, value in wanted.items()]}
        # One list call, no inspect per container: a container removed meanwhile (by anyone sharing
        # the engine) cannot fail the listing, and the reaper's frequent passes stay cheap.
        listed: list[dict[str, Any]] = await self._call(client.api.containers, all=True, filters=filters)
        return [
            SandboxInfo(
                id=item["Id"],
                environment_id=(item.get("Labels") or {}).get(f"{LABEL_PREFIX}environment", ""),
                tenant=(item.get("Labels") or {}).get(f"{LABEL_PREFIX}tenant", ""),
                status=item.get("State", ""),
                labels=dict(item.get("Labels") or {}),
            )
            for item in listed
        ]

    async def stats(self, sandbox_id: str) -> SandboxStats:
        """One stats sample from the engine (no streaming, no wait for a second sample)."""
        client = await self._docker()
        raw: dict[str, Any] = await self._call(client.api.stats, sandbox_id, stream=False, one_shot=True)
        memory = raw.get("memory_stats", {})
        return SandboxStats(
            memory_bytes=int(memory.get("usage", 0)),
            memory_limit_bytes=int(memory.get("limit", 0)),
            pids=int(raw.get("pids_stats", {}).get("current", 0)),
            cpu_total_ns=int(raw.get("cpu_stats", {}).get("cpu_usage", {}).get("total_usage", 0)),
        )

    async def oom_kills(self, sandbox_id: str) -> int:
        """How many processes the kernel's OOM killer has killed in this sandbox so far.

        Read from the sandbox's own memory cgroup (v1 `memory.oom_control` or v2 `memory.events`):
        the engine's `OOMKilled` flag only covers the container's main process, not execs.
        """
        client = await self._docker()
        handle = await self._call(client.api.exec_create, sandbox_id, ["sh", "-c", _OOM_COUNT])
        output: bytes = await self._call(client.api.exec_start, handle["Id"])
        return int(output.strip() or 0)

    async def open_pty(self, request: PtyRequest) -> DockerPty:
        """Start an interactive program on a TTY (docker exec with stdin); closing it kills its processes."""
        client = await self._docker()
        marker = secrets.token_hex(8)
        handle = await self._call(
            client.api.exec_create,
            request.sandbox_id,
            list(request.cmd),
            stdin=True,
            tty=True,
            environment={**request.env, _EXEC_MARKER: marker},
            workdir=request.workdir,
        )
        hijacked = await self._call(client.api.exec_start, handle["Id"], tty=True, socket=True)

        async def kill() -> None:
            await self._sweep(request.sandbox_id, marker)

        pty = DockerPty(client, handle["Id"], hijacked, self._call, kill)
        await pty.resize(request.cols, request.rows)
        return pty


def _image_of(attrs: dict[str, Any]) -> str | None:
    """The ext4 image behind a volume (from `volumes.get(...).attrs`), or None for a plain volume."""
    labels: dict[str, str] = attrs.get("Labels") or {}
    return labels.get(_IMAGE_LABEL)


def _make_image(image: Path, size: int) -> str:
    """A sparse ext4 image of `size` bytes at `image`, root owned by the sandbox user; its loop device."""
    image.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with image.open("xb") as file:
        file.truncate(size)
    try:
        owner = f"root_owner={SANDBOX_UID}:{SANDBOX_GID}"
        # -m 0: no blocks reserved for root (the sandbox user gets them all)
        mkfs = ["mkfs.ext4", "-q", "-F", "-m", "0", "-E", owner, str(image)]
        empty = ["debugfs", "-w", "-R", "rmdir lost+found", str(image)]  # empty, like a plain volume
        for cmd in (mkfs, empty):
            subprocess.run(cmd, capture_output=True, check=True, timeout=60)
        attach = ["losetup", "--find", "--show", str(image)]
        done = subprocess.run(attach, capture_output=True, text=True, check=True, timeout=60)
    except (subprocess.SubprocessError, OSError) as exc:
        image.unlink(missing_ok=True)
        detail = getattr(exc, "stderr", None) or exc
        raise SandboxError(f"could not make the workspace filesystem: {detail}") from exc
    return done.stdout.strip()


def _backing_file(device: str) -> str | None:
    """The file a loop device is attached to, or None when it is free."""
    try:
        return Path(f"/sys/block/{Path(device).name}/loop/backing_file").read_text().strip()
    except OSError:
        return None


def _release_image(image: str | None) -> None:
    """Detach every loop device attached to `image` and delete it; nothing happens for None."""
    if not image:
        return
    for backing in Path("/sys/block").glob("loop*/loop/backing_file"):
        with contextlib.suppress(OSError):
            if backing.read_text().strip() in (image, f"{image} (deleted)"):
                device = f"/dev/{backing.parent.parent.name}"
                subprocess.run(["losetup", "-d", device], capture_output=True, check=False, timeout=60)
    with contextlib.suppress(OSError):
        os.unlink(image)

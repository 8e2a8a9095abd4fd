"""The `SandboxBackend` seam: what the scheduler needs from anything that runs sandboxes.

Each method takes one request model and returns one response model, all defined here, so that a
Kubernetes backend can stand in for `DockerBackend` without the API or the runner noticing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import IO, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from orchestrator.errors import WarrenError
from orchestrator.sandbox.usage import SandboxUsage

__all__ = [
    "ExecChunk",
    "ExecRequest",
    "ExecResult",
    "FileDownload",
    "Limits",
    "Mount",
    "PtyRequest",
    "PtySession",
    "SandboxBackend",
    "SandboxError",
    "SandboxInfo",
    "SandboxNotFoundError",
    "SandboxSpec",
    "SandboxStats",
    "UnsafeArchiveError",
    "WorkspaceFileMissingError",
    "WorkspaceFileTooLargeError",
    "WorkspacePathError",
]

LABEL_PREFIX = "dev.warren."
"""Every container Warren creates carries labels under this prefix."""


class SandboxError(WarrenError):
    """A sandbox operation failed."""


class SandboxNotFoundError(SandboxError, LookupError):
    """No sandbox with that id exists (or it was destroyed)."""


class UnsafeArchiveError(SandboxError, ValueError):
    """A tar archive was refused: traversal, links, devices, compression or size caps."""


class WorkspacePathError(SandboxError, ValueError):
    """A workspace path passes through a link, or names the wrong kind of thing (a folder, a device)."""


class WorkspaceFileMissingError(SandboxError, LookupError):
    """Nothing exists at that workspace path."""


class WorkspaceFileTooLargeError(SandboxError, ValueError):
    """A workspace file is larger than the caller's cap (known before any byte was read)."""


@dataclass(frozen=True)
class FileDownload:
    """One regular workspace file being read: its size first, then its bytes as they come."""

    size: int
    """Exactly how many bytes `chunks` yields (it raises `SandboxError` if the file changed)."""
    chunks: AsyncIterator[bytes]
    """The bytes; close it (`aclose`) to abandon the read early."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Limits(_Model):
    """Resource limits applied to every sandbox (DESIGN.md section 5)."""

    memory_mb: int = Field(2048, ge=64)
    """Memory limit in MiB; swap is set equal, so the sandbox cannot swap past it."""
    cpus: float = Field(1.0, gt=0)
    """CPU quota in cores (`nano_cpus`)."""
    pids: int = Field(512, ge=16)
    """Maximum number of processes and threads (`pids_limit`): stops fork bombs."""
    tmp_mb: int = Field(512, ge=16)
    """Size of the `/tmp` tmpfs in MiB."""
    home_mb: int = Field(256, ge=16)
    """Size of the agent's home tmpfs in MiB (browser profile, kernel runtime files)."""
    shm_mb: int = Field(256, ge=64)
    """Size of `/dev/shm` in MiB; Chromium needs more than Docker's 64 MiB default."""
    log_max_mb: int = Field(10, ge=1)
    """Cap on the container's log file, so a `yes` flood cannot fill the host disk."""


class Mount(_Model):
    """A host path bind-mounted into the sandbox."""

    source: str
    """Absolute host path."""
    target: str
    """Absolute path inside the sandbox."""
    read_only: bool = True
    """Mounts are read-only unless asked otherwise."""


class SandboxSpec(_Model):
    """Everything needed to create one sandbox."""

    environment_id: str
    """The environment this sandbox belongs to; becomes a label and part of the container name."""
    tenant: str
    """The owning tenant; becomes a label so reconciliation and reaping can scope by it."""
    image: str | None = None
    """Image reference; `None` means the backend's default sandbox image."""
    env: dict[str, str] = Field(default_factory=dict)
    """Environment variables for the sandbox's processes. Never model credentials."""
    network: Literal["disabled", "proxied"] = "disabled"
    """`disabled`: no interface but loopback. `proxied`: also no interface; egress goes through the
    orchestrator's allowlisting proxy over a mounted socket. Both use `network_mode=none`."""
    limits: Limits = Limits()
    """Resource limits."""
    mounts: tuple[Mount, ...] = ()
    """Extra bind mounts (the runner socket, skills). The Docker socket is always refused."""
    labels: dict[str, str] = Field(default_factory=dict)
    """Extra labels, e.g. a test session id; Warren's own labels are added by the backend."""
    runtime: str | None = None
    """OCI runtime name registered in the engine, e.g. `runsc` for gVisor; `None` means the default."""
    command: tuple[str, ...] | None = None
    """The sandbox's main process (e.g. the agent runner); `None` keeps it idle (`sleep infinity`)."""


class SandboxInfo(_Model):
    """A sandbox as the backend sees it."""

    id: str
    """Backend-specific sandbox id (a container id for Docker)."""
    environment_id: str
    """The environment label."""
    tenant: str
    """The tenant label."""
    status: str
    """Backend status: `created`, `running`, `exited`, ..."""
    labels: dict[str, str]
    """All labels on the sandbox."""


class ExecRequest(_Model):
    """A command to run inside a sandbox."""

    sandbox_id: str
    """Target sandbox."""
    cmd: tuple[str, ...]
    """Argument vector; no shell is involved unless the caller runs one."""
    timeout_s: float = Field(60.0, gt=0)
    """Hard deadline in seconds; on expiry every process the command started is killed."""
    env: dict[str, str] = Field(default_factory=dict)
    """Extra environment variables for this command."""
    workdir: str = "/workspace"
    """Working directory inside the sandbox."""
    max_output_bytes: int = Field(16 << 20, gt=0)
    """Most bytes kept of each stream; the command is stopped when it prints more (`output_cut`)."""


class ExecChunk(_Model):
    """A piece of a running command's output."""

    stream: Literal["stdout", "stderr"]
    """Which stream the bytes came from."""
    data: bytes
    """The bytes, as produced."""


class ExecResult(_Model):
    """How a command ended. A non-zero exit is data, not an exception."""

    exit_code: int | None
    """The command's exit status; `None` when it was killed at its deadline or for its output."""
    stdout: bytes = b""
    """Everything written to standard output."""
    stderr: bytes = b""
    """Everything written to standard error."""
    timed_out: bool = False
    """True when the deadline expired and the command's processes were killed."""
    output_cut: bool = False
    """True when it printed more than `ExecRequest.max_output_bytes` to a stream and was stopped
    (`exit_code` is then `None`); the output holds the first bytes."""
    oom_killed: bool = False
    """True when the command died by SIGKILL and the sandbox's OOM-kill counter is non-zero."""
    duration_s: float = 0.0
    """Wall-clock time of the call, in seconds."""


class SandboxStats(_Model):
    """A point-in-time resource reading."""

    memory_bytes: int
    """Current memory use, in bytes."""
    memory_limit_bytes: int
    """The memory limit, in bytes."""
    pids: int
    """Number of processes and threads."""
    cpu_total_ns: int
    """Cumulative CPU time, in nanoseconds."""


class PtyRequest(_Model):
    """An interactive command on a pseudo-terminal inside a sandbox (`warren attach`)."""

    sandbox_id: str
    """Target sandbox."""
    cmd: tuple[str, ...] = ("bash", "-il")
    """Argument vector of the interactive program."""
    cols: int = Field(80, ge=1, le=1000)
    """Terminal width in columns."""
    rows: int = Field(24, ge=1, le=1000)
    """Terminal height in rows."""
    env: dict[str, str] = Field(default_factory=dict)
    """Extra environment variables (e.g. `TERM`)."""
    workdir: str = "/workspace"
    """Working directory inside the sandbox."""


class PtySession(Protocol):
    """A running program on a pseudo-terminal: bytes in, bytes out, a size, an end."""

    async def read(self) -> bytes:
        """The next output bytes; `b""` once the program has ended."""
        ...

    async def write(self, data: bytes) -> None:
        """Send keystrokes to the program."""
        ...

    async def resize(self, cols: int, rows: int) -> None:
        """Change the terminal size (the program gets SIGWINCH)."""
        ...

    async def close(self) -> int | None:
        """End the session, killing what it started; returns the program's exit code if it ended."""
        ...


class SandboxBackend(Protocol):
    """Creates, runs and removes sandboxes. Implementations must never block the event loop."""

    async def create(self, spec: SandboxSpec) -> SandboxInfo:
        """Create (but do not start) a sandbox with the hardening profile applied."""
        ...

    async def start(self, sandbox_id: str) -> None:
        """Start a created or stopped sandbox."""
        ...

    async def stop(self, sandbox_id: str, timeout_s: float = 10.0) -> None:
        """Stop a sandbox, keeping its workspace, so that `start` resumes it."""
        ...

    async def destroy(self, sandbox_id: str) -> None:
        """Remove a sandbox and its workspace volume. Destroying a missing sandbox is not an error."""
        ...

    async def exec(self, request: ExecRequest) -> ExecResult:
        """Run a command to completion (or to its deadline) and collect its output."""
        ...

    def exec_stream(self, request: ExecRequest) -> AsyncIterator[ExecChunk | ExecResult]:
        """Run a command, yielding output chunks as they come and the `ExecResult` last."""
        ...

    async def put_archive(self, sandbox_id: str, path: str, tar_bytes: bytes | IO[bytes]) -> None:
        """Unpack an uncompressed tar into `path` (under `/workspace`) after checking it is safe.

        Files land as the sandbox user, without setuid, setgid, sticky or world-write bits; a link on
        the way (even one swapped in meanwhile) fails the call with `WorkspacePathError` instead of
        being followed.
        """
        ...

    async def get_archive(self, sandbox_id: str, path: str) -> bytes:
        """Return `path` (under `/workspace`) as an uncompressed tar of its files and folders (no links)."""
        ...

    async def read_file(self, sandbox_id: str, path: str, max_bytes: int) -> FileDownload:
        """Open one regular file under `/workspace` for streaming, read as the sandbox user.

        Raises:
            WorkspaceFileMissingError: nothing there.
            WorkspacePathError: a link on the way, or not a regular file.
            WorkspaceFileTooLargeError: larger than `max_bytes`, checked before reading.
        """
        ...

    async def list(self, labels: dict[str, str] | None = None) -> list[SandboxInfo]:
        """List Warren's sandboxes, optionally narrowed by labels."""
        ...

    async def stats(self, sandbox_id: str) -> SandboxStats:
        """Read current resource use."""
        ...

    async def usage(self, sandbox_id: str, *, tasks: bool = False) -> SandboxUsage:
        """Its cumulative counters (CPU, peak memory, OOM kills, refused forks) and workspace use; with
        `tasks`, also what a process-limit verdict needs where no counter exists (gVisor's tasks)."""
        ...

    async def open_pty(self, request: PtyRequest) -> PtySession:
        """Start an interactive program on a pseudo-terminal inside a running sandbox."""
        ...

"""Sandboxes: the backend seam, the Docker backend, the hardening profile and the image build."""

from orchestrator.sandbox.backend import (
    ExecChunk,
    ExecRequest,
    ExecResult,
    Limits,
    Mount,
    SandboxBackend,
    SandboxError,
    SandboxInfo,
    SandboxNotFoundError,
    SandboxSpec,
    SandboxStats,
    UnsafeArchiveError,
)
from orchestrator.sandbox.docker_backend import DockerBackend

__all__ = [
    "DockerBackend",
    "ExecChunk",
    "ExecRequest",
    "ExecResult",
    "Limits",
    "Mount",
    "SandboxBackend",
    "SandboxError",
    "SandboxInfo",
    "SandboxNotFoundError",
    "SandboxSpec",
    "SandboxStats",
    "UnsafeArchiveError",
]

"""Where an environment's sandboxes are made: the backend, the limits and runtime every sandbox gets,
and the labels that tie a sandbox to this server's database.

The environment service and the warm pool make sandboxes the same way, so both take one `SandboxSite`.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field

from orchestrator.sandbox import Limits, SandboxBackend
from orchestrator.sandbox.backend import LABEL_PREFIX
from orchestrator.store.urls import without_password

__all__ = ["STORE_LABEL", "SandboxSite", "new_environment_id", "store_labels"]

STORE_LABEL = f"{LABEL_PREFIX}store"
"""Names the database a sandbox's environment row lives in, so a server reaps only its own sandboxes."""


def store_labels(database_url: str) -> dict[str, str]:
    """The label naming the database (a hash of its URL without the password) on every sandbox."""
    return {STORE_LABEL: hashlib.sha256(without_password(database_url).encode()).hexdigest()[:16]}


def new_environment_id() -> str:
    """An unguessable, URL-safe environment id."""
    return f"env_{secrets.token_hex(12)}"


@dataclass(frozen=True)
class SandboxSite:
    """The backend sandboxes run on and what every one of them gets.

    Args:
        backend: where sandboxes run.
        labels: on every sandbox made here (`store_labels`): which database its row lives in.
        limits: resource limits for every sandbox.
        runtime: OCI runtime for every sandbox (e.g. `runsc`), or the engine's default.
    """

    backend: SandboxBackend
    labels: dict[str, str]
    limits: Limits = field(default_factory=Limits)
    runtime: str | None = None

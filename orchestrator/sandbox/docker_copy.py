"""A fork's workspace copy: one sandbox's volume piped into another's by a short-lived helper.

The helper container has the hardening profile, mounts the source volume read-only and the target
volume at `/workspace`, and pipes `tar` into `tar`, so links, modes and empty folders survive and
nothing passes through the host. It carries no workspace-volume label: destroying it never touches
a workspace.
"""

from __future__ import annotations

import contextlib
import secrets

from docker.models.containers import Container

from orchestrator.sandbox.backend import SandboxError, SandboxSpec
from orchestrator.sandbox.docker_engine import DockerEngine
from orchestrator.sandbox.docker_labels import ENVIRONMENT_LABEL, ROLE_LABEL, TENANT_LABEL, VOLUME_LABEL
from orchestrator.sandbox.hardening import container_kwargs

__all__ = ["copy_workspace"]

_COPY_SCRIPT = "set -o pipefail; tar -C /from -cf - . | tar -C /workspace -xpf -"


async def copy_workspace(engine: DockerEngine, source_id: str, target_id: str, timeout_s: float) -> None:
    """Copy one sandbox's workspace volume into another's, as an uncompressed tar stream.

    Either sandbox may be stopped.

    Raises:
        SandboxNotFoundError: either sandbox is gone.
        SandboxError: the copy failed or passed its deadline (`timeout_s`, **seconds**).
    """
    source, target = await engine.container(source_id), await engine.container(target_id)
    from_volume, to_volume = source.labels.get(VOLUME_LABEL), target.labels.get(VOLUME_LABEL)
    if not from_volume or not to_volume:
        raise SandboxError("both sandboxes need a workspace volume to copy one into the other")
    labels = target.labels
    spec = SandboxSpec(
        environment_id=labels.get(ENVIRONMENT_LABEL, ""),
        tenant=labels.get(TENANT_LABEL, ""),
        labels={k: v for k, v in labels.items() if k != VOLUME_LABEL} | {ROLE_LABEL: "copy"},
        command=("bash", "-c", _COPY_SCRIPT),
    )
    name = f"warren-copy-{secrets.token_hex(6)}"
    kwargs = container_kwargs(spec, str(target.attrs["Image"]), name, to_volume)
    kwargs["volumes"][from_volume] = {"bind": "/from", "mode": "ro"}
    client = await engine.client()
    helper: Container = await engine.call(client.containers.create, **kwargs)
    try:
        await engine.call(helper.start)
        try:
            status = await engine.call(helper.wait, timeout=timeout_s)
        except Exception as exc:  # requests' ReadTimeout: the deadline passed
            raise SandboxError(f"copying the workspace took longer than {timeout_s:.0f} s") from exc
        if status.get("StatusCode") != 0:
            logs: bytes = await engine.call(helper.logs, stdout=False, stderr=True, stream=False)
            raise SandboxError(f"copying the workspace failed: {logs.decode(errors='replace')[-500:]}")
    finally:
        with contextlib.suppress(SandboxError):
            await engine.call(helper.remove, force=True)

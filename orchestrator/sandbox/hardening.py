"""The hardening profile: how a `SandboxSpec` becomes Docker create arguments.

Kept apart from the backend so the defaults can be read (and reviewed) in one place. See
DESIGN.md section 5 and SECURITY-CHECKLIST.md for the threat each setting answers.
"""

from __future__ import annotations

import os
from typing import Any

from orchestrator import __version__
from orchestrator.sandbox.backend import LABEL_PREFIX, SandboxError, SandboxSpec
from orchestrator.sandbox.runtimes import GVISOR

__all__ = ["GVISOR_HOST_PIDS_BASE", "GVISOR_HOST_PIDS_PER_TASK", "SANDBOX_GID", "SANDBOX_INIT", "SANDBOX_UID"]
__all__ += ["container_kwargs", "warren_labels"]

SANDBOX_UID = 1000
SANDBOX_GID = 1000
WORKSPACE = "/workspace"
HOME = "/home/agent"
GVISOR_HOST_PIDS_PER_TASK = 28
"""Host pids the engine allows a gVisor sandbox per task of its process limit. A fork bomb at the
limit peaked at 17 (64 tasks), 19 (128) and 19.5 (512) per task; at the limit the sentry cannot start a
thread and the whole sandbox dies (exit 2), which 12 per task did in 4 of 10 bombs at 64."""
GVISOR_HOST_PIDS_BASE = 256
"""And for the sentry itself (its gofer and threads), whatever the sandbox runs."""
SANDBOX_INIT = ("/usr/bin/dumb-init", "--single-child", "--")
"""Every sandbox's PID 1, from the image: it reaps orphaned processes and passes each signal to the
command alone, so a stop is prompt. Not the engine's `init` (tini): tini wakes once a second to reap,
which under gVisor's ptrace platform costs ~1 ms of host CPU a second per idle sandbox (1.19 against
0.21 ms/s for a sandbox of `sleep`, measured from its cgroup), 20 % of a core for 200 idle sessions;
dumb-init sleeps in `sigwait` until a signal comes."""
_ENGINE_SOCKETS = frozenset({"/var/run/docker.sock", "/run/docker.sock", "/run/containerd/containerd.sock"})


def warren_labels(spec: SandboxSpec) -> dict[str, str]:
    """Labels that let the scheduler reconcile containers with rows and reap orphans."""
    return {
        **spec.labels,
        f"{LABEL_PREFIX}managed": "true",
        f"{LABEL_PREFIX}environment": spec.environment_id,
        f"{LABEL_PREFIX}tenant": spec.tenant,
        f"{LABEL_PREFIX}version": __version__,
    }


def _mounts(spec: SandboxSpec, workspace_volume: str) -> dict[str, dict[str, str]]:
    volumes = {workspace_volume: {"bind": WORKSPACE, "mode": "rw"}}
    for mount in spec.mounts:
        resolved = os.path.realpath(mount.source)
        if resolved in _ENGINE_SOCKETS or os.path.normpath(mount.source) in _ENGINE_SOCKETS:
            raise SandboxError(f"refused mount {mount.source!r}: the Docker socket never enters a sandbox")
        volumes[mount.source] = {"bind": mount.target, "mode": "ro" if mount.read_only else "rw"}
    return volumes


def container_kwargs(spec: SandboxSpec, image: str, name: str, workspace_volume: str) -> dict[str, Any]:
    """Keyword arguments for `docker.containers.create` with every default of the profile applied."""
    limits = spec.limits
    memory = f"{limits.memory_mb}m"
    kwargs: dict[str, Any] = {
        "image": image,
        "name": name,
        "entrypoint": list(SANDBOX_INIT),
        "command": list(spec.command or ("sleep", "infinity")),
        "user": f"{SANDBOX_UID}:{SANDBOX_GID}",
        "working_dir": WORKSPACE,
        "environment": {**spec.env, "HOME": HOME},
        "labels": warren_labels(spec),
        "detach": True,
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges:true"],  # default seccomp stays on: never "unconfined"
        "privileged": False,
        "read_only": True,
        "tmpfs": {
            "/tmp": f"rw,nosuid,nodev,size={limits.tmp_mb}m,mode=1777",
            HOME: f"rw,nosuid,nodev,size={limits.home_mb}m,uid={SANDBOX_UID},gid={SANDBOX_GID},mode=0700",
        },
        "volumes": _mounts(spec, workspace_volume),
        "shm_size": f"{limits.shm_mb}m",
        "mem_limit": memory,
        "memswap_limit": memory,  # equal to the memory limit: no swap to hide in
        "nano_cpus": int(limits.cpus * 1e9),
        "pids_limit": limits.pids,  # gVisor: its process limit is RLIMIT_NPROC instead (`_gvisor_pids`)
        "log_config": {"type": "json-file", "config": {"max-size": f"{limits.log_max_mb}m", "max-file": "1"}},
        "network_mode": "none",  # both policies: egress, when allowed, only via the orchestrator's proxy
    }
    if spec.runtime:
        kwargs["runtime"] = spec.runtime
    if spec.runtime == GVISOR:
        kwargs.update(_gvisor_pids(limits.pids))
    return kwargs


def _gvisor_pids(pids: int) -> dict[str, Any]:
    """Under gVisor the engine's pids limit counts the sentry's host processes and threads (up to
    about 20 per sandbox task on the ptrace platform), not the sandbox's tasks, so it cannot stop a fork
    bomb: gVisor's own kernel does, with RLIMIT_NPROC for the sandbox user (its tasks, threads
    included). The engine's limit stays, bounded, as the host's guard with headroom for the sentry.
    Never set under runc, where RLIMIT_NPROC counts every host process of uid 1000, in every sandbox.
    """
    return {
        "ulimits": [{"Name": "nproc", "Soft": pids, "Hard": pids}],
        "pids_limit": pids * GVISOR_HOST_PIDS_PER_TASK + GVISOR_HOST_PIDS_BASE,
    }

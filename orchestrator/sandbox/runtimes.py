"""Which OCI runtime sandboxes run under: runc unless `WARREN_RUNTIME` names another (e.g. `runsc`).

gVisor puts a user-space kernel between the sandbox and the host's, so a kernel exploit inside a
sandbox meets gVisor first. `make engine` (scripts/ensure-engine.sh) registers it, and
`WARREN_RUNTIME=runsc` runs every sandbox under it. It is not yet the default: under gVisor the
sandbox's pids and memory limits count gVisor's own sentry, so a fork or memory bomb ends the whole
sandbox instead of the one command, and the out-of-memory and process-limit end reasons cannot be read
(no cgroup files inside). `warren doctor` says which runtime is in use and whether gVisor is available.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping

from orchestrator.sandbox.backend import SandboxError

__all__ = ["GVISOR", "RUNC", "choose_runtime", "runtimes_of"]

GVISOR = "runsc"
RUNC = "runc"
FIX = "run `make engine` (scripts/ensure-engine.sh) to install and register runsc"

log = logging.getLogger("orchestrator.sandbox.runtimes")


def runtimes_of(info: Mapping[str, object]) -> frozenset[str]:
    """The runtime names an engine registered, from its `docker info` (`Runtimes`)."""
    runtimes = info.get("Runtimes")
    return frozenset(str(name) for name in runtimes) if isinstance(runtimes, Mapping) else frozenset()


def choose_runtime(requested: str | None, registered: Collection[str]) -> str:
    """The runtime every sandbox gets: `requested` (`WARREN_RUNTIME`) if set, else runc (noting once
    when gVisor is registered and could be chosen).

    Raises:
        SandboxError: `requested` is not registered with the engine (every sandbox would fail to start).
    """
    if requested is not None:
        if requested not in registered:
            names = ", ".join(sorted(registered)) or "none"
            fix = FIX if requested == GVISOR else "register it in /etc/docker/daemon.json"
            raise SandboxError(
                f"runtime: {requested!r} is not registered with the Docker engine (it has {names}); {fix}"
            )
        return requested
    if GVISOR in registered:
        log.info("sandboxes run under runc; gVisor is registered: WARREN_RUNTIME=runsc runs them under it")
    return RUNC

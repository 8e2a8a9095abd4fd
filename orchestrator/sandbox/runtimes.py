"""Which OCI runtime sandboxes run under: gVisor (`runsc`) where the engine has it, else runc.

gVisor puts a user-space kernel between the sandbox and the host's, so a kernel exploit inside a
sandbox meets gVisor first. `make engine` (scripts/ensure-engine.sh) registers it; `WARREN_RUNTIME`
names the runtime explicitly (`runc` to opt out). Under gVisor the Docker memory limit covers the
sandbox's own kernel, so a memory bomb ends the whole sandbox (`out_of_memory` from the engine's
`OOMKilled`), and the process limit is gVisor's RLIMIT_NPROC (see hardening.py). `warren doctor` says
which runtime is in use and whether gVisor is available.
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


def choose_runtime(requested: str | None, registered: Collection[str], *, warn: bool = True) -> str:
    """The runtime every sandbox gets: `requested` (`WARREN_RUNTIME`) if set, else runsc when the engine
    has it registered, else runc with one warning (unless `warn` is false: `warren doctor` reports it).

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
        return GVISOR
    if warn:
        log.warning("sandboxes run under runc: gVisor (runsc) is not registered with the engine; %s", FIX)
    return RUNC

"""Which OCI runtime sandboxes run under: gVisor (`runsc`) when the engine has it, else runc.

gVisor puts a user-space kernel between the sandbox and the host's, so a kernel exploit inside a
sandbox meets gVisor first. `make engine` (scripts/ensure-engine.sh) registers it; a server whose
engine lacks it falls back to runc and says so once at start-up, and `warren doctor` shows the fix.
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
    """The runtime every sandbox gets: `requested` (`WARREN_RUNTIME`) if set, else gVisor when
    registered, else runc with one warning.

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
    log.warning("gVisor (runsc) is not registered with the Docker engine: sandboxes run under runc; %s", FIX)
    return RUNC

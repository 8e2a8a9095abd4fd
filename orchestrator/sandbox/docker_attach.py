"""Opening an interactive program on a TTY in a running sandbox (`warren attach`, the shell route).

The program is a docker exec with stdin and a TTY, marked like every exec, so closing its
`DockerPty` sweeps every process it started, including ones that left its process group.
"""

from __future__ import annotations

import secrets

from orchestrator.sandbox.backend import PtyRequest
from orchestrator.sandbox.docker_engine import DockerEngine
from orchestrator.sandbox.docker_exec import sweep
from orchestrator.sandbox.docker_labels import EXEC_MARKER
from orchestrator.sandbox.pty import DockerPty

__all__ = ["open_pty"]


async def open_pty(engine: DockerEngine, request: PtyRequest) -> DockerPty:
    """Start `request.cmd` on a TTY of the requested size; closing the session kills its processes."""
    client = await engine.client()
    marker = secrets.token_hex(8)
    handle = await engine.call(
        client.api.exec_create,
        request.sandbox_id,
        list(request.cmd),
        stdin=True,
        tty=True,
        environment={**request.env, EXEC_MARKER: marker},
        workdir=request.workdir,
    )
    hijacked = await engine.call(client.api.exec_start, handle["Id"], tty=True, socket=True)

    async def kill() -> None:
        await sweep(engine, request.sandbox_id, marker)

    pty = DockerPty(client, handle["Id"], hijacked, engine.call, kill)
    await pty.resize(request.cols, request.rows)
    return pty

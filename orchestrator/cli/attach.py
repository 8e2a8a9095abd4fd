"""`warren attach`: an interactive shell in an environment's sandbox."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from orchestrator.cli.common import ApiKeyOpt, UrlOpt, UsageProblem, run_async
from orchestrator.cli.connection import connection
from orchestrator.cli.console import err
from orchestrator.cli.terminal import attach_terminal

__all__ = ["attach"]


def attach(
    environment_id: Annotated[str, typer.Argument(help="The environment's id.")],
    url: UrlOpt = None,
    api_key: ApiKeyOpt = None,
) -> None:
    """Open a shell in the environment's sandbox (its /workspace); `~.` or Ctrl-D detaches.

    The session runs in a pseudo-terminal (raw mode, window resizes follow yours). Detaching ends
    the shell and what it started; the sandbox and its workspace keep running. Works against a
    remote server: the shell travels over the API's WebSocket, with the same key and tenant scope.

    Example: warren attach env_0123abcd
    """

    async def go() -> str:
        if not sys.stdin.isatty():
            raise UsageProblem("attach needs a terminal on stdin")
        conn = connection(url, api_key)
        assert conn is not None
        async with conn.client() as client:
            await client.get_environment(environment_id)  # a clear error before raw mode
            target = client.shell_url(environment_id)
        return await attach_terminal(target, conn.api_key, sys.stdin.fileno(), sys.stdout.fileno())

    ending = run_async(go())
    err.print(f"\r\n[dim]{ending}; the sandbox keeps running[/]")

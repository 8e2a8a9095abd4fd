"""What every `warren` command shares: the connection and `--json` options, and one-line errors.

A failure ends a command with one `error:` line on stderr and an exit code (1, or 2 for bad
usage), never a traceback: `run_async` runs a command's coroutine and turns the client's errors
into that line. Where the server is comes from `connection.py`; the app class from `typer_app.py`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Coroutine
from typing import Annotated, Any, NoReturn, TypeVar

import typer

from orchestrator.cli.client_transport import ApiError, ClientError
from orchestrator.cli.console import err, literal

__all__ = [
    "ApiKeyOpt",
    "CliError",
    "JsonOpt",
    "UrlOpt",
    "UsageProblem",
    "fail",
    "refused_is_usage",
    "run_async",
]

T = TypeVar("T")

UrlOpt = Annotated[
    str | None,
    typer.Option(
        "--url", envvar="WARREN_URL", help="Server URL. Env: WARREN_URL.", rich_help_panel="Connection"
    ),
]
ApiKeyOpt = Annotated[
    str | None,
    typer.Option(
        "--api-key",
        envvar="WARREN_API_KEY",
        help="API key. Env: WARREN_API_KEY.",
        rich_help_panel="Connection",
        show_default=False,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON on stdout instead of text.")]


class CliError(ClientError):
    """A failure the CLI reports in one line; `exit_code` is what the process exits with."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class UsageProblem(CliError, ValueError):
    """Bad usage or missing configuration: exit 2."""

    def __init__(self, message: str) -> None:
        super().__init__(message, exit_code=2)


def fail(message: str, exit_code: int = 1) -> NoReturn:
    """Print `error: message` on stderr and exit."""
    err.print(f"[red]error:[/] {literal(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(exit_code)


async def refused_is_usage(call: Awaitable[T], what: str) -> T:
    """Await `call`; the server refusing it (400, 404) is bad usage, named after `what` (exit 2)."""
    try:
        return await call
    except ApiError as exc:
        if exc.status in (400, 404):
            raise UsageProblem(f"{what}: {exc.message}") from None
        raise


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine; client errors become one line on stderr and an exit code."""
    try:
        return asyncio.run(coro)
    except CliError as exc:
        fail(str(exc), exc.exit_code)
    except ApiError as exc:
        fail(f"the server said {exc.status} {exc.code}: {exc.message}")
    except ClientError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        err.print("interrupted")
        raise typer.Exit(130) from None

"""What every `warren` command shares: connection options, the config file, one-line errors.

A command that talks to a server reads its URL and key from flags, then `WARREN_URL` and
`WARREN_API_KEY`, then `~/.config/warren/config.yaml` (`url:` and `api_key:`).
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
import yaml
from typer.exceptions import TyperException
from typer.main import get_command

from orchestrator.cli.client import ApiError, ClientError, WarrenClient
from orchestrator.cli.console import err, literal, out

__all__ = [
    "ApiKeyOpt",
    "CliError",
    "Connection",
    "JsonOpt",
    "UrlOpt",
    "UsageProblem",
    "WarrenTyper",
    "config_path",
    "connection",
    "fail",
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


def config_path() -> Path:
    """`$XDG_CONFIG_HOME/warren/config.yaml` (default `~/.config/warren/config.yaml`)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "warren" / "config.yaml"


def _file_config() -> dict[str, str]:
    path = config_path()
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise UsageProblem(f"cannot read {path}: {exc}") from None
    if not isinstance(data, dict):
        raise UsageProblem(f"{path} must be a mapping with `url:` and `api_key:`")
    return {str(k): str(v) for k, v in data.items() if v is not None}


@dataclass(frozen=True)
class Connection:
    """Where the server is and how to authenticate."""

    url: str
    api_key: str

    def client(self) -> WarrenClient:
        """A client of this server (use it as an async context manager)."""
        return WarrenClient(self.url, self.api_key)


def connection(url: str | None, api_key: str | None, *, required: bool = True) -> Connection | None:
    """Resolve the server from flags/environment, then the config file.

    Raises:
        UsageProblem: `required` and no URL or no key is configured.
    """
    if url is None or api_key is None:
        file = _file_config()
        url = url or file.get("url")
        api_key = api_key or file.get("api_key")
    if not url:
        if not required:
            return None
        raise UsageProblem(f"no server: pass --url, set WARREN_URL, or put `url:` in {config_path()}")
    if not url.startswith(("http://", "https://")):
        raise UsageProblem(f"--url must start with http:// or https://, got {url!r}")
    if not api_key:
        raise UsageProblem(
            f"no API key: pass --api-key, set WARREN_API_KEY, or put `api_key:` in {config_path()}"
        )
    return Connection(url, api_key)


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


class WarrenTyper(typer.Typer):
    """A Typer app whose usage errors print one line (and exit 2) instead of a panel."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        command = get_command(self)
        try:
            code = command.main(*args, **{**kwargs, "standalone_mode": False})
        except TyperException as exc:  # click's errors, vendored by typer
            ctx = getattr(exc, "ctx", None)
            if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:
                help_text = ctx.get_help()  # typer's rich help prints itself and returns ""
                if help_text:
                    out.print(help_text, markup=False, highlight=False)
                sys.exit(2)
            hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
            err.print(
                f"[red]error:[/] {literal(exc.format_message() + hint)}", highlight=False, soft_wrap=True
            )
            sys.exit(exc.exit_code)
        except typer.Abort:
            err.print("interrupted")
            sys.exit(130)
        sys.exit(code if isinstance(code, int) else 0)

"""`WarrenTyper`: the `warren` app class, so a usage error is one line and exit 2, not a panel.

Typer's standalone mode prints click's errors as a Rich panel and exits through click; this runs
the command without it and prints `error: ... (see 'warren x --help')` on stderr instead, the
same shape as every other failure of the CLI. Ctrl-C exits 130.
"""

from __future__ import annotations

import sys
from typing import Any

import typer
from typer.exceptions import TyperException
from typer.main import get_command

from orchestrator.cli.console import err, literal, out

__all__ = ["WarrenTyper"]


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

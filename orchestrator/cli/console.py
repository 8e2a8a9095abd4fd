"""Where the CLI writes: data to stdout, progress and errors to a stderr console."""

from rich.console import Console

__all__ = ["err", "out"]

out = Console()
err = Console(stderr=True)

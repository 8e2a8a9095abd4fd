"""The `warren` root command: it only wires the sub-apps, one per noun."""

import typer

from orchestrator.cli import image, keys
from orchestrator.cli.serve import serve

app = typer.Typer(
    name="warren",
    help="Warren: self-hosted managed agents, one hardened sandbox per session.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(image.app, name="image")
app.add_typer(keys.app, name="keys")
app.command()(serve)

if __name__ == "__main__":
    app()

"""The `warren` root command: it only wires the sub-apps, one per noun."""

from orchestrator.cli import (
    agents,
    approve,
    attach,
    doctor,
    envs,
    files,
    image,
    keys,
    logs,
    mcp,
    models,
    run,
    serve,
    triggers,
    webhooks,
)
from orchestrator.cli.typer_app import WarrenTyper

app = WarrenTyper(
    name="warren",
    help="Warren: self-hosted managed agents, one hardened sandbox per session.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
for noun in (agents, envs, files, image, keys, triggers, webhooks):
    app.add_typer(noun.app, name=noun.NAME)
for verb in (
    serve.serve,
    run.run,
    approve.approve,
    logs.logs,
    attach.attach,
    models.models,
    doctor.doctor,
    mcp.mcp,
):
    app.command()(verb)

if __name__ == "__main__":
    app()

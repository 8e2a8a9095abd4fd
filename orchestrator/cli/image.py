"""`warren image`: build and inspect the sandbox image."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from orchestrator.cli.console import err, literal, out

if TYPE_CHECKING:
    import docker

NAME = "image"
app = typer.Typer(help="Build and inspect the sandbox image.", no_args_is_help=True)


def _client() -> docker.DockerClient:
    """The engine's client, imported here: only these commands need it (~0.1 s of every other
    command's start)."""
    import docker
    import docker.errors

    try:
        return docker.from_env(version="auto")
    except docker.errors.DockerException as exc:
        err.print(f"[red]error:[/] no Docker engine answers ({literal(exc)}); run scripts/ensure-engine.sh")
        raise typer.Exit(1) from exc


@app.command()
def build(
    force: Annotated[bool, typer.Option(help="Rebuild even when the tag for this tree exists.")] = False,
) -> None:
    """Build the sandbox image for this source tree, unless it is already built.

    The base is a debootstrapped Debian bookworm (no registry needed); the tag is a hash of the
    image's inputs, so an unchanged tree never rebuilds.

    Example: warren image build
    """
    from orchestrator.sandbox.image import ImageBuildError, build_image

    client = _client()
    with err.status("building the sandbox image") as status:

        def progress(line: str) -> None:
            err.print(f"[dim]{literal(line)}[/]")
            status.update(literal(line))

        try:
            ref = build_image(client, progress=progress, force=force)
        except ImageBuildError as exc:
            err.print(f"[red]error:[/] {literal(exc)}")
            raise typer.Exit(1) from exc
    out.print(ref.sandbox)


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Show the image tags this tree maps to and whether the engine has them.

    Example: warren image status --json
    """
    from orchestrator.sandbox.image import image_exists
    from orchestrator.sandbox.image_tags import image_ref

    client = _client()
    ref = image_ref()
    state = {
        "base": ref.base,
        "base_built": image_exists(client, ref.base),
        "sandbox": ref.sandbox,
        "sandbox_built": image_exists(client, ref.sandbox),
    }
    if as_json:
        out.print_json(json.dumps(state))
        return
    for key, value in state.items():
        out.print(f"{key:14} {value}")

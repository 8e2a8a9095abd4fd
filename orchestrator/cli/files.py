"""`warren files`: list, download and upload an environment's workspace files."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path, PurePosixPath
from typing import Annotated

import typer

from orchestrator.cli.artifacts import download_tree
from orchestrator.cli.common import ApiKeyOpt, JsonOpt, UrlOpt, UsageProblem, run_async
from orchestrator.cli.connection import connection
from orchestrator.cli.console import err, literal, out, printable
from orchestrator.cli.files_display import transfer_progress, workspace_tree
from orchestrator.cli.sources import pack_sources

NAME = "files"
app = typer.Typer(help="List, download and upload workspace files.", no_args_is_help=True)

EnvArg = Annotated[str, typer.Argument(help="The environment's id.")]


@app.command("ls")
def ls(
    environment_id: EnvArg,
    path: Annotated[str, typer.Argument(help="A folder or file in the workspace.")] = "",
    recursive: Annotated[bool, typer.Option("--recursive", "-r", help="Show sub-folders as a tree.")] = False,
    as_json: JsonOpt = False,
    url: UrlOpt = None,
    api_key: ApiKeyOpt = None,
) -> None:
    """List a workspace folder (with -r, as a tree).

    Example: warren files ls env_0123abcd notes -r
    """

    async def go() -> None:
        conn = connection(url, api_key)
        assert conn is not None
        async with conn.client() as client:
            entries = await client.list_files(environment_id, path, recursive=recursive)
        if as_json:
            out.print_json(json.dumps(entries))
        elif recursive:
            out.print(workspace_tree(entries, path))
        else:
            for entry in entries:
                suffix = "/" if entry.get("type") == "directory" else ""
                size = entry.get("size_bytes", "")
                out.print(printable(f"{size:>10}  {entry['path']}{suffix}"), markup=False, highlight=False)

    run_async(go())


@app.command()
def get(
    environment_id: EnvArg,
    path: Annotated[str, typer.Argument(help="A file or folder in the workspace.")],
    dest: Annotated[Path, typer.Argument(help="Local file or folder to write.")] = Path("."),
    url: UrlOpt = None,
    api_key: ApiKeyOpt = None,
) -> None:
    """Download a file, or a whole folder with its tree, from the workspace.

    Example: warren files get env_0123abcd notes ./notes
    """

    async def go() -> None:
        conn = connection(url, api_key)
        assert conn is not None
        async with conn.client() as client:
            entries = await client.list_files(environment_id, path, recursive=True)
            single = (
                len(entries) == 1 and entries[0]["path"] == path.strip("/") and entries[0]["type"] == "file"
            )
            if single:
                data = await client.download(environment_id, path)
                target = await asyncio.to_thread(_save_single, dest, path, data)
                err.print(f"saved {literal(target)} ({len(data)} bytes)")
                return
            paths = [str(e["path"]) for e in entries if e.get("type") == "file"]
            with transfer_progress() as bar:
                task = bar.add_task("downloading", total=len(paths))
                artifacts = await download_tree(
                    client,
                    environment_id,
                    paths,
                    dest,
                    strip=path.strip("/"),
                    progress=lambda p: bar.update(task, advance=1, description=literal(p)),
                )
        failed = [a for a in artifacts if a.error]
        for artifact in failed:
            err.print(f"[red]failed[/] {literal(artifact.path)}: {literal(artifact.error)}")
        err.print(f"saved {len(artifacts) - len(failed)} files to {literal(dest)}")
        if failed:
            raise typer.Exit(1)

    run_async(go())


@app.command()
def put(
    environment_id: EnvArg,
    local: Annotated[Path, typer.Argument(help="A local file or folder.")],
    path: Annotated[str, typer.Argument(help="Where it goes in the workspace (default: its name).")] = "",
    url: UrlOpt = None,
    api_key: ApiKeyOpt = None,
) -> None:
    """Upload a file, or a folder (sent as one archive), into the workspace.

    Example: warren files put env_0123abcd ./data data
    """

    async def go() -> None:
        if not local.exists():
            raise UsageProblem(f"no such file or folder: {local}")
        target = path.strip("/") or local.name
        if local.is_dir():
            data, count = await asyncio.to_thread(pack_sources, [(local, target)])
            where, extract, label = "", True, f"{count} files"
        else:
            data, where, extract, label = await asyncio.to_thread(local.read_bytes), target, False, local.name
        conn = connection(url, api_key)
        assert conn is not None
        async with conn.client() as client:
            with transfer_progress(bytes_=True) as bar:
                task = bar.add_task(f"uploading {label}", total=len(data))
                await client.upload(
                    environment_id,
                    where,
                    data,
                    extract=extract,
                    progress=lambda n: bar.update(task, completed=n),
                )
        err.print(f"uploaded {literal(label)} to {literal(target)}")

    run_async(go())


def _save_single(dest: Path, path: str, data: bytes) -> Path:
    """Write one downloaded file to `dest` (or into it, when it is a folder); blocking, for a thread."""
    target = dest / PurePosixPath(path).name if dest.is_dir() else dest
    target.write_bytes(data)
    return target

"""`warren files`: list, download and upload an environment's workspace files."""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn
from rich.tree import Tree

from orchestrator.cli.common import ApiKeyOpt, JsonOpt, UrlOpt, UsageProblem, connection, run_async
from orchestrator.cli.console import err, literal, out, printable
from orchestrator.cli.workspace import download_tree, pack_sources

NAME = "files"
app = typer.Typer(help="List, download and upload workspace files.", no_args_is_help=True)

EnvArg = Annotated[str, typer.Argument(help="The environment's id.")]


def _tree(entries: list[dict[str, Any]], root: str) -> Tree:
    tree = Tree(f"[bold]{literal(root or '/workspace')}[/]")
    nodes: dict[str, Tree] = {root.strip("/"): tree}
    for entry in sorted(entries, key=lambda e: str(e["path"])):
        parent = str(PurePosixPath(entry["path"]).parent)
        parent = "" if parent == "." else parent
        node = nodes.get(parent, tree)
        if entry.get("type") == "directory":
            nodes[entry["path"]] = node.add(f"[blue]{literal(entry['name'])}/[/]")
        else:
            node.add(f"{literal(entry['name'])} [dim]{literal(entry.get('size_bytes', '?'))} B[/]")
    return tree


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
            out.print(_tree(entries, path))
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
                target = dest / PurePosixPath(path).name if dest.is_dir() else dest
                target.write_bytes(data)
                err.print(f"saved {literal(target)} ({len(data)} bytes)")
                return
            paths = [str(e["path"]) for e in entries if e.get("type") == "file"]
            with _progress() as bar:
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
            data, count = pack_sources([(local, target)])
            where, extract, label = "", True, f"{count} files"
        else:
            data, where, extract, label = local.read_bytes(), target, False, local.name
        conn = connection(url, api_key)
        assert conn is not None
        async with conn.client() as client:
            with _progress(bytes_=True) as bar:
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


def _progress(bytes_: bool = False) -> Progress:
    columns: list[Any] = [TextColumn("{task.description}"), BarColumn()]
    if bytes_:
        columns += [DownloadColumn(), TransferSpeedColumn()]
    else:
        columns.append(TextColumn("{task.completed}/{task.total}"))
    return Progress(*columns, console=err, transient=True)

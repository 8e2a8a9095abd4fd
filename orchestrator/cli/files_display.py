"""How `warren files` shows a workspace and a transfer: a Rich tree, and a progress bar on stderr.

The progress bar goes to stderr (and vanishes when done) so stdout stays clean for `--json` and
pipes; the tree quotes every name literally, since names come from the sandbox.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn
from rich.tree import Tree

from orchestrator.cli.console import err, literal

__all__ = ["transfer_progress", "workspace_tree"]


def workspace_tree(entries: list[dict[str, Any]], root: str) -> Tree:
    """The listing `entries` as a tree under `root` (folders in blue, files with their size)."""
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


def transfer_progress(bytes_: bool = False) -> Progress:
    """A transient bar counting files, or bytes and speed when `bytes_`."""
    columns: list[Any] = [TextColumn("{task.description}"), BarColumn()]
    if bytes_:
        columns += [DownloadColumn(), TransferSpeedColumn()]
    else:
        columns.append(TextColumn("{task.completed}/{task.total}"))
    return Progress(*columns, console=err, transient=True)

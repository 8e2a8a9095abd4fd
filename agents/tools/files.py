"""`read_file`, `write_file`, `edit_file` and `list_files`: the model's file tools over the workspace.

The work is synchronous file I/O, so each tool runs its body in a worker thread.
"""

from __future__ import annotations

import asyncio
import base64
import os
import struct
from pathlib import Path

from agents.tools.args import EditFileArgs, ListFilesArgs, ReadFileArgs, WriteFileArgs
from agents.tools.results import ImageData, ToolError, ToolResult
from agents.tools.text import DEFAULT_OUTPUT_LIMIT
from agents.tools.workspace import Workspace

__all__ = ["FileTools"]

_MAX_LINE = 2000
_MAX_LIST_ENTRIES = 1000
_MAX_IMAGE_BYTES = 5 * 1024 * 1024
_NO_DESCENT = frozenset({".git", "node_modules", "__pycache__", ".venv"})
_MAGIC: list[tuple[bytes, str, str]] = [
    (b"\x89PNG\r\n\x1a\n", "PNG image", "image/png"),
    (b"\xff\xd8\xff", "JPEG image", "image/jpeg"),
    (b"GIF87a", "GIF image", "image/gif"),
    (b"GIF89a", "GIF image", "image/gif"),
    (b"%PDF", "PDF document", ""),
    (b"PK\x03\x04", "ZIP archive (also .xlsx/.docx/.pptx)", ""),
    (b"\x1f\x8b", "gzip archive", ""),
    (b"\x7fELF", "ELF executable", ""),
    (b"SQLite format 3\x00", "SQLite database", ""),
]


def _human(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


class FileTools:
    """The workspace file tools; each method takes its validated arguments and returns a result."""

    def __init__(self, workspace: Workspace, output_limit: int = DEFAULT_OUTPUT_LIMIT) -> None:
        self._ws = workspace
        self._limit = output_limit

    async def read_file(self, args: ReadFileArgs) -> ToolResult:
        """Numbered lines of a text file, or a description (and image part) of a binary one."""
        return await asyncio.to_thread(self._read, args)

    async def write_file(self, args: WriteFileArgs) -> ToolResult:
        """Create or replace a file, creating its parent directories."""
        return await asyncio.to_thread(self._write, args)

    async def edit_file(self, args: EditFileArgs) -> ToolResult:
        """Replace exactly one occurrence of `old_text`."""
        return await asyncio.to_thread(self._edit, args)

    async def list_files(self, args: ListFilesArgs) -> ToolResult:
        """A depth-limited tree of a directory."""
        return await asyncio.to_thread(self._list, args)

    def _existing_file(self, raw: str) -> Path:
        path = self._ws.resolve(raw)
        if not path.exists():
            raise ToolError(f"{raw!r} does not exist in the workspace. Use list_files to see what is there.")
        if path.is_dir():
            raise ToolError(f"{raw!r} is a directory, not a file. Use list_files to see its contents.")
        return path

    def _read(self, args: ReadFileArgs) -> ToolResult:
        path = self._existing_file(args.path)
        rel = self._ws.relative(path)
        with path.open("rb") as handle:
            head = handle.read(8192)
        if b"\x00" in head or any(head.startswith(magic) for magic, _, _ in _MAGIC):
            return self._describe_binary(path, rel, head)
        lines: list[str] = []
        used = 0
        more = False
        with path.open("r", encoding="utf-8", errors="replace", newline=None) as handle:
            for number, line in enumerate(handle, start=1):
                if number < args.offset:
                    continue
                if len(lines) >= args.limit or used > self._limit:
                    more = True
                    break
                text = line.rstrip("\n")
                if len(text) > _MAX_LINE:
                    text = text[:_MAX_LINE] + f" [... line cut at {_MAX_LINE} characters]"
                entry = f"{number:>6}\t{text}"
                lines.append(entry)
                used += len(entry) + 1
        if not lines:
            if path.stat().st_size == 0:
                return ToolResult(output=f"{rel} is empty.")
            return ToolResult(output=f"{rel} has fewer than {args.offset} lines (offset is past the end).")
        last = args.offset + len(lines) - 1
        body = "\n".join(lines)
        if more:
            body += f"\n[more lines follow: continue with offset={last + 1}]"
        return ToolResult(output=body)

    def _describe_binary(self, path: Path, rel: str, head: bytes) -> ToolResult:
        size = path.stat().st_size
        kind, mime = "binary data", ""
        for magic, name, media in _MAGIC:
            if head.startswith(magic):
                kind, mime = name, media
                break
        if mime == "image/png" and len(head) >= 24:
            width, height = struct.unpack(">II", head[16:24])
            kind += f", {width}x{height}"
        text = f"{rel}: {kind}, {_human(size)}. Its bytes are not shown as text."
        if mime and size <= _MAX_IMAGE_BYTES:
            data = base64.b64encode(path.read_bytes()).decode("ascii")
            return ToolResult(
                output=text + " The image is attached.", images=[ImageData(mime_type=mime, data_b64=data)]
            )
        return ToolResult(output=text + " Use run_code to inspect it with a suitable library or command.")

    def _write(self, args: WriteFileArgs) -> ToolResult:
        path = self._ws.resolve(args.path)
        if path.is_dir():
            raise ToolError(f"{args.path!r} is a directory; give a file path.")
        existed = path.exists()
        path.parent.mkdir(parents=True, exist_ok=True)
        data = args.content.encode("utf-8")
        path.write_bytes(data)
        rel = self._ws.relative(path)
        verb = "Overwrote" if existed else "Created"
        return ToolResult(output=f"{verb} {rel} ({len(data)} bytes).", files=[rel])

    def _edit(self, args: EditFileArgs) -> ToolResult:
        path = self._existing_file(args.path)
        rel = self._ws.relative(path)
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ToolError(f"{rel} is not UTF-8 text, so edit_file cannot change it.") from exc
        count = text.count(args.old_text)
        if count == 0:
            raise ToolError(
                f"old_text was not found in {rel}. It must match exactly, including whitespace and "
                "indentation, and must not include read_file's line-number prefixes. Read the file again."
            )
        if count > 1:
            raise ToolError(
                f"old_text matches {count} times in {rel}. Include more surrounding lines so that it "
                "matches exactly once."
            )
        start = text.index(args.old_text)
        updated = text[:start] + args.new_text + text[start + len(args.old_text) :]
        path.write_bytes(updated.encode("utf-8"))
        first = text.count("\n", 0, start) + 1
        shown = self._excerpt(updated, first, args.new_text.count("\n") + 1)
        return ToolResult(output=f"Edited {rel} at line {first}:\n{shown}", files=[rel])

    @staticmethod
    def _excerpt(text: str, first: int, length: int, context: int = 3) -> str:
        lines = text.split("\n")
        start = max(first - context, 1)
        end = min(first + length - 1 + context, len(lines))
        return "\n".join(f"{n:>6}\t{lines[n - 1][:_MAX_LINE]}" for n in range(start, end + 1))

    def _list(self, args: ListFilesArgs) -> ToolResult:
        root = self._ws.resolve(args.path)
        if not root.exists():
            raise ToolError(f"{args.path!r} does not exist in the workspace.")
        if not root.is_dir():
            return ToolResult(output=f"{self._ws.relative(root)} ({_human(root.stat().st_size)})")
        lines: list[str] = []
        truncated = self._walk(root, args.depth, 0, lines)
        header = f"{self._ws.relative(root)}/"
        if not lines:
            return ToolResult(output=f"{header} is empty.")
        footer = (
            f"\n[listing stopped at {_MAX_LIST_ENTRIES} entries: list a subdirectory]" if truncated else ""
        )
        return ToolResult(output=header + "\n" + "\n".join(lines) + footer)

    def _walk(self, directory: Path, depth: int, level: int, lines: list[str]) -> bool:
        try:
            entries = sorted(os.scandir(directory), key=lambda e: (not e.is_dir(), e.name))
        except OSError as exc:
            lines.append(f"{'  ' * (level + 1)}[cannot list: {exc.strerror}]")
            return False
        for entry in entries:
            if len(lines) >= _MAX_LIST_ENTRIES:
                return True
            indent = "  " * (level + 1)
            if entry.is_symlink():
                lines.append(f"{indent}{entry.name} -> {os.readlink(entry.path)}")
            elif entry.is_dir():
                lines.append(f"{indent}{entry.name}/")
                descend = level + 1 < depth and entry.name not in _NO_DESCENT
                if descend and self._walk(Path(entry.path), depth, level + 1, lines):
                    return True
            else:
                lines.append(f"{indent}{entry.name} ({_human(entry.stat().st_size)})")
        return False

"""`search_files`: a regular-expression search over the workspace.

Uses ripgrep when it is installed (it is in the sandbox image), and a pure-Python walk
otherwise, so the tool also works in unit tests and slim images.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from pathlib import Path

from agents.tools.args import SearchFilesArgs
from agents.tools.results import ToolError, ToolResult
from agents.tools.workspace import Workspace

__all__ = ["FileSearch"]

_MAX_MATCHES = 200
_MAX_COLUMNS = 300
_MAX_FILE_BYTES = 10 * 1024 * 1024
_TIMEOUT_S = 30.0


class FileSearch:
    """Runs `search_files`; `use_ripgrep=False` forces the Python fallback."""

    def __init__(self, workspace: Workspace, *, use_ripgrep: bool = True) -> None:
        self._ws = workspace
        self._rg = shutil.which("rg") if use_ripgrep else None

    async def search_files(self, args: SearchFilesArgs) -> ToolResult:
        """Matching lines as `path:line: text`, capped at 200 matches."""
        target = self._ws.resolve(args.path)
        if not target.exists():
            raise ToolError(f"{args.path!r} does not exist in the workspace.")
        if self._rg:
            matches, capped = await self._ripgrep(self._rg, args.pattern, target)
        else:
            matches, capped = await asyncio.to_thread(self._python, args.pattern, target)
        if not matches:
            return ToolResult(output=f"No matches for {args.pattern!r} in {self._ws.relative(target)}.")
        note = f"\n[stopped after {_MAX_MATCHES} matches: narrow the pattern or the path]" if capped else ""
        return ToolResult(output="\n".join(matches) + note)

    def _line(self, path: Path, number: int, text: str) -> str:
        text = text.rstrip("\r\n")
        if len(text) > _MAX_COLUMNS:
            text = text[:_MAX_COLUMNS] + " [...]"
        return f"{self._ws.relative(path)}:{number}: {text}"

    async def _ripgrep(self, rg: str, pattern: str, target: Path) -> tuple[list[str], bool]:
        proc = await asyncio.create_subprocess_exec(
            rg, "--line-number", "--no-heading", "--with-filename", "--color=never", "--null",
            "--max-filesize=10M", "-e", pattern, "--", str(target),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=self._ws.root,
        )  # fmt: skip
        assert proc.stdout is not None and proc.stderr is not None
        matches: list[str] = []
        capped = False
        try:
            async with asyncio.timeout(_TIMEOUT_S):
                while raw := await proc.stdout.readline():
                    if len(matches) >= _MAX_MATCHES:
                        capped = True
                        break
                    name, _, rest = raw.decode("utf-8", "replace").partition("\0")
                    number, _, text = rest.partition(":")
                    if number.isdigit():
                        matches.append(self._line(Path(name), int(number), text))
        except TimeoutError:
            capped = True
        if capped:
            proc.kill()
        await proc.wait()
        error = (await proc.stderr.read()).decode("utf-8", "replace").strip()
        if proc.returncode == 2 and not matches and error:
            raise ToolError(f"search_files failed: {error}")
        return matches, capped

    def _python(self, pattern: str, target: Path) -> tuple[list[str], bool]:
        try:
            regex = re.compile(pattern)
        except re.error as exc:
            raise ToolError(f"Invalid regular expression {pattern!r}: {exc}") from exc
        matches: list[str] = []
        for path in self._files(target):
            try:
                if path.stat().st_size > _MAX_FILE_BYTES:
                    continue
                with path.open("rb") as handle:
                    if b"\0" in handle.read(1024):
                        continue
                with path.open("r", encoding="utf-8", errors="replace") as handle:
                    for number, line in enumerate(handle, start=1):
                        if regex.search(line):
                            if len(matches) >= _MAX_MATCHES:
                                return matches, True
                            matches.append(self._line(path, number, line))
            except OSError:
                continue
        return matches, False

    def _files(self, target: Path) -> list[Path]:
        if target.is_file():
            return [target]
        found: list[Path] = []
        for directory, dirs, files in os.walk(target):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            found.extend(Path(directory, name) for name in sorted(files) if not name.startswith("."))
        return found

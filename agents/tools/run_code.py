"""`run_code`: the two persistent sessions it drives (the Python kernel and the bash shell) and the
note of the workspace files a run created or changed.

Apart from the toolbox because these sessions are the only tools with a life between calls (start
ahead of use, interrupt on cancel, close at the end); the toolbox only routes a call here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from pathlib import Path

from agents.tools.args import RunCodeArgs
from agents.tools.bash import BashSession
from agents.tools.kernel import PythonKernel
from agents.tools.results import ToolResult
from agents.tools.workspace import FileStamps, Workspace

__all__ = ["CodeSessions"]

_log = logging.getLogger(__name__)
_MAX_NOTED = 50
"""Changed paths named in a result's note; the result's `files` lists them all."""
_INLINE_SCAN_MAX = 500
"""A workspace of at most this many entries is scanned on the event loop: under gVisor a thread hop
costs ~1 ms, more than such a scan; a bigger one is scanned in a thread, not to hold the loop."""


class CodeSessions:
    """The kernel and the shell of one toolbox, both working in its workspace."""

    def __init__(self, workspace: Workspace, env: Mapping[str, str], output_limit: int) -> None:
        root: Path = workspace.root
        self.workspace = workspace
        self.kernel = PythonKernel(root, env=env, output_limit=output_limit)
        self.bash = BashSession(root, env=env, output_limit=output_limit)
        self._small = True
        """Whether the last scan found the workspace small enough to scan inline."""

    async def run(self, args: RunCodeArgs) -> ToolResult:
        """Run the code in the language's session; name the files it created or changed."""
        before = await self._stamps()
        session = self.kernel if args.language == "python" else self.bash
        result = await session.run(args.code, args.timeout_s)
        after = await self._stamps()
        changed = self.workspace.changed(before, after)
        if not changed:
            return result
        more = " ..." if len(changed) > _MAX_NOTED else ""
        note = f"[files created or changed: {', '.join(changed[:_MAX_NOTED])}{more}]"
        output = f"{result.output}\n{note}" if result.output else note
        return result.model_copy(update={"files": changed, "output": output})

    async def _stamps(self) -> FileStamps | None:
        """The workspace's stamps: on the loop while it is small, else in a thread."""
        if self._small:
            found = self.workspace.stamps(_INLINE_SCAN_MAX)
            if found is not None:
                return found
        found = await asyncio.to_thread(self.workspace.stamps)
        self._small = found is not None and len(found) <= _INLINE_SCAN_MAX
        return found

    async def prestart(self) -> None:
        """Start the bash session ahead of the first `run_code`, which then skips the shell's start-up.

        The shell is cheap to keep idle; the Python kernel (~10 MB) still starts on first use.
        """
        try:
            await self.bash.start()
        except OSError as exc:  # the first call tries again and reports it to the model
            _log.warning("starting the bash session ahead of use failed: %s", exc)

    async def adopt(self, env: Mapping[str, str]) -> None:
        """Both sessions run with `env` from now on (`BashSession.adopt`, `PythonKernel.adopt`)."""
        await asyncio.gather(self.kernel.adopt(env), self.bash.adopt(env))

    async def interrupt(self) -> None:
        """Stop the kernel's execution and the shell's command; both sessions survive."""
        await asyncio.gather(self.kernel.interrupt(), self.bash.interrupt())

"""The persistent bash session behind `run_code` with `language: bash`.

One long-lived `bash` process reads commands from a pipe given to it as its script (fd 255, closed
to what it starts) while its standard input is `/dev/null`, so the code it runs cannot eat the
session's own input. Each call's code is written to a file and sourced (so `cd` and `export`
persist), then a sentinel line carrying a per-session token, the exit status and `$PWD` marks the
end of its output. Job control (`set -m`) gives every command its own process group, so a timeout
can kill what the call started without killing the shell, and a USR1 trap makes the sourced script
`return` at once, even from a loop of builtins.

What wraps each call lives in two read-only functions defined once when the shell starts, and the
call's script is always the same file, named by a read-only variable; an alias stands for the three,
so a call writes a line of 4 bytes: bash reads a pipe one byte at a time (one system call each,
~70 µs under gVisor, so the 20-byte line before cost ~1.1 ms more per call). An alias, not a
function, because the script must be sourced at the top level; `_POST` defines it again after every
call, so code that removed it cannot stall the next one. Under gVisor every path a command opens costs
far more than a call on an open descriptor (~1 ms for `/dev/null`), so no call opens one: the job
notices go to a closed stdout, the script's input is the shell's own, and the trap stays set between
calls.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import os
import re
import shlex
import shutil
import signal
import tempfile
from collections.abc import Mapping
from pathlib import Path

from agents.tools.procs import Proc, children, descendants, kill_tree
from agents.tools.results import ToolResult
from agents.tools.short_write import write_file
from agents.tools.text import DEFAULT_OUTPUT_LIMIT, OutputCollector, strip_ansi

__all__ = ["BashSession"]

_TERM_GRACE_S = 1.0
_KILL_GRACE_S = 2.0
_RESYNC_S = 2.0
_CHUNK = 65536
_TIMEOUT_STATUS = 124
"""Exit status of a stopped call, as GNU `timeout` reports it."""
_SESSION_ENV = {"TERM": "dumb", "PAGER": "cat", "GIT_PAGER": "cat", "PYTHONUNBUFFERED": "1"}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_READ_AT_START = frozenset({"BASH_ENV", "ENV", "SHELLOPTS", "BASHOPTS", "POSIXLY_CORRECT", "IFS", "PS4"})
"""Variables bash reads when it starts (or holds itself), so an `export` later is not the same."""
_OWN = frozenset({"UID", "EUID", "PPID", "PWD", "OLDPWD", "SHLVL"})
_PRE, _POST, _SCRIPT, _RUN = "__wb", "__we", "__wc", "__w"
"""The functions before and after each sourced script, the variable naming it, and the alias for
the three (`_wrappers`): short, since the shell reads every byte of `_CALL` with its own system call."""
_RUN_AS = f'{_PRE};. "${_SCRIPT}";{_POST}'
"""What `_RUN` expands to when the shell reads it: the script is sourced at the top level, so
`declare` and `local` act in it as in a script."""
_CALL = f"{_RUN}\n".encode()
"""What the shell reads for each call, 4 bytes."""
_DEFINE_RUN = f"builtin shopt -s expand_aliases; builtin alias {_RUN}={shlex.quote(_RUN_AS)}"
"""`_RUN` defined, with alias expansion on (a script's shell has it off)."""


_DROP_NOTICES = "[[ -z $! ]] || builtin jobs >&- 2>&-"
"""Job notices listed to a closed stdout, once the shell has started anything in the background
(`$!` is set): a shell that never has cannot owe one, and the two redirections cost 16 system
calls (~1 ms under gVisor's ptrace platform) around every call."""


def _wrappers(token: str, commands_fd: int, script: Path) -> bytes:
    """The command pipe's inherited descriptor closed (bash reads it through its own), job control
    on, the call's script path and the two functions around each call, defined once per shell
    (read-only), and the alias a call line names (`_DEFINE_RUN`, again at the end of each call).

    `_PRE` drops job notices and sets the USR1 trap; `_POST` drops notices again and prints the
    sentinel with the script's status (`$?` as it starts). `jobs` before and after (`_DROP_NOTICES`):
    job control's notices ("[1]+ Terminated ...") about background jobs that ended, often ones a
    timeout stopped, would otherwise land in some later output; they go to a closed stdout. The
    trap returns from whatever runs (the sourced script, or a function it called) unless that is
    `_POST`, so a signal that comes late cannot skip the sentinel; one that comes while the shell is
    idle makes a `return` that fails with its error to a closed stderr, so nothing lands in the next
    call's output. `_PRE` sets it again each call, since the code may have changed it.
    """
    trap = f"[[ ${{FUNCNAME[0]-}} == {_POST} ]] || return {_TIMEOUT_STATUS} 2>&-"
    return (
        f"exec {commands_fd}<&-\n"
        "set -m\n"
        f"{_PRE}() {{ {_DROP_NOTICES}; trap {shlex.quote(trap)} USR1; }}\n"
        f"{_POST}() {{ builtin local s=$?; {_DROP_NOTICES}; {_DEFINE_RUN}; "
        f'builtin printf \'\\n%s %d %s\\n\' {token} "$s" "$PWD"; }}\n'
        f"readonly -f {_PRE} {_POST}\n"
        f"readonly {_SCRIPT}={shlex.quote(str(script))}\n"
        f"{_DEFINE_RUN}\n"
    ).encode()


def _exportable(name: str) -> bool:
    """Whether `export NAME=...` in a running shell gives what starting with NAME set would."""
    return bool(_NAME.fullmatch(name)) and name not in _READ_AT_START | _OWN and not name.startswith("BASH")


class _Timeout(Exception):
    pass


class _CommandPipe:
    """The write end of the pipe the shell reads its commands from (non-blocking, never inherited)."""

    def __init__(self) -> None:
        self.read_fd, self._write_fd = os.pipe()
        os.set_blocking(self._write_fd, False)

    async def send(self, data: bytes) -> None:
        """Write all of `data`; a full pipe (only a very large `adopt`) is waited out, not blocked on."""
        view = memoryview(data)
        while view:
            try:
                view = view[os.write(self._write_fd, view) :]
            except BlockingIOError:
                await asyncio.sleep(0.005)

    def close(self) -> None:
        """Close the write end: a shell still reading sees the end of its script and exits."""
        with contextlib.suppress(OSError):
            os.close(self._write_fd)


class BashSession:
    """A bash shell whose working directory and exported variables persist between calls.

    `env` is the shell's whole environment (default: this process's).
    """

    def __init__(
        self, cwd: Path, *, env: Mapping[str, str] | None = None, output_limit: int = DEFAULT_OUTPUT_LIMIT
    ) -> None:
        self._cwd = cwd
        self._env = dict(os.environ if env is None else env)
        self._limit = output_limit
        self._proc: asyncio.subprocess.Process | None = None
        self._commands: _CommandPipe | None = None
        self._read_later: list[Path] = []
        """Files of `adopt` the shell sources before its next call; removed once that call ends."""
        self._tmp: Path | None = None
        self._token = b""
        self._calls = 0
        self._lock = asyncio.Lock()
        self._started_pids: set[int] = set()
        self._children: set[int] | None = None
        """The shell's children as its last call left them (None: unknown, list them at the next call)."""
        self._running = False
        self._interrupted = False
        self._stale = False

    async def _start(self) -> asyncio.subprocess.Process:
        if self._tmp is None:
            self._tmp = Path(tempfile.mkdtemp(prefix="warren-bash-"))
        # not `secrets`: its hmac loads OpenSSL into the runner (`agents.lean_imports`)
        self._token = f"__WARREN_DONE_{os.urandom(8).hex()}__".encode()
        cwd = self._cwd if self._cwd.is_dir() else Path.home()
        commands = _CommandPipe()
        try:
            proc = await asyncio.create_subprocess_exec(
                "bash", "--noprofile", "--norc", f"/dev/fd/{commands.read_fd}",
                stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT, cwd=cwd, env={**self._env, **_SESSION_ENV},
                start_new_session=True, pass_fds=(commands.read_fd,),
            )  # fmt: skip
        except BaseException:
            commands.close()
            raise
        finally:
            os.close(commands.read_fd)
        if self._commands is not None:
            self._commands.close()
        self._commands = commands
        await commands.send(_wrappers(self._token.decode(), commands.read_fd, self._tmp / "call.sh"))
        self._proc = proc
        self._stale = False
        self._children = set()  # a new shell has started nothing yet
        return proc

    async def start(self) -> None:
        """Start the shell now, so the first call does not wait for it; a no-op when it runs."""
        async with self._lock:
            if self._proc is None or self._proc.returncode is not None:
                await self._start()

    async def adopt(self, env: Mapping[str, str]) -> None:
        """From now on the shell's environment is `env` (a warm-pool sandbox got its environment).

        A running shell learns the new and changed variables by `export`, as if it had started with
        them; when that cannot be the same (a variable dropped, a name `export` cannot set or one
        bash reads only at start-up), the shell is replaced and the next call starts a fresh one.
        """
        async with self._lock:
            before, self._env = self._env, dict(env)
            proc = self._proc
            commands = self._commands
            if proc is None or proc.returncode is not None or commands is None:
                return
            changed = {k: v for k, v in self._env.items() if before.get(k) != v and k not in _SESSION_ENV}
            dropped = before.keys() - self._env.keys() - _SESSION_ENV.keys()
            if dropped or not all(_exportable(name) for name in changed):
                await self._terminate(proc)
                return
            if changed and self._tmp is not None:  # sourced from a file: bash reads a file in blocks
                self._calls += 1
                exports = self._tmp / f"env-{self._calls}.sh"
                write_file(exports, "".join(f"export {k}={shlex.quote(v)}\n" for k, v in changed.items()))
                self._read_later.append(exports)
                await commands.send(f". {shlex.quote(str(exports))}\n".encode())

    async def run(self, code: str, timeout_s: float) -> ToolResult:
        """Run `code` in the session; stop what it started after `timeout_s` seconds."""
        async with self._lock:
            proc = self._proc
            if proc is None or proc.returncode is not None:
                proc = await self._start()
            elif self._stale:
                proc = await self._resync(proc)
            return await self._run(proc, code, timeout_s)

    async def _run(self, proc: asyncio.subprocess.Process, code: str, timeout_s: float) -> ToolResult:
        assert self._commands is not None and self._tmp is not None
        script = self._tmp / "call.sh"  # read whole by `.`: the next call may overwrite it
        write_file(script, code if code.endswith("\n") else code + "\n")
        known, self._children = self._children, None
        self._started_pids = known if known is not None else {child.pid for child in children(proc.pid)}
        self._interrupted = False
        self._running = True
        collector = OutputCollector(self._limit)
        notes: list[str] = []
        status: int | None = None
        try:
            await self._commands.send(_CALL)
            try:
                status = await self._read(proc, collector, timeout_s)
            except _Timeout:
                notes.append(f"[timed out after {timeout_s:g} s: the command was stopped]")
                status = await self._stop_command(proc, collector)
            if self._interrupted:
                notes.append("[interrupted: the command was stopped]")
        except asyncio.CancelledError:
            self._kill_started(proc, signal.SIGKILL)
            self._stale = True
            raise
        finally:
            self._running = False
        if status is not None:  # between calls the shell starts nothing: list what this one left
            asyncio.get_running_loop().call_soon(self._note_children, proc)  # while the result travels
        for sourced in self._read_later:  # the shell has read past them
            sourced.unlink(missing_ok=True)
        self._read_later.clear()
        if status is None:
            code_ = await self._exit_status(proc)
            notes.append(
                f"[the shell exited with status {code_}; a fresh session starts in {self._cwd} on the next "
                "call, and exported variables are lost]"
            )
            status = code_
        output = strip_ansi(collector.text())
        if status != 0 and not any(note.startswith("[timed out") for note in notes):
            notes.insert(0, f"[exit status {status}]")
        text = "\n".join(part for part in (output.rstrip("\n"), *notes) if part)
        return ToolResult(output=text, is_error=status != 0 or bool(notes), exit_code=status)

    async def _read(
        self, proc: asyncio.subprocess.Process, out: OutputCollector, timeout_s: float
    ) -> int | None:
        """Read to the sentinel (-> exit status) or EOF (-> None); raise _Timeout at the deadline."""
        assert proc.stdout is not None
        pattern = re.compile(rb"\n" + re.escape(self._token) + rb" (-?\d+) ([^\n]*)\n")
        keep = len(self._token) + 4096
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        pending = b""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                out.add(decoder.decode(pending, final=True))
                raise _Timeout
            try:
                chunk = await asyncio.wait_for(proc.stdout.read(_CHUNK), remaining)
            except TimeoutError:
                out.add(decoder.decode(pending, final=True))
                raise _Timeout from None
            if not chunk:
                out.add(decoder.decode(pending, final=True))
                return None
            pending += chunk
            match = pattern.search(pending)
            if match:
                out.add(decoder.decode(pending[: match.start()], final=True))
                self._cwd = Path(match.group(2).decode("utf-8", "replace"))
                return int(match.group(1))
            if len(pending) > keep:
                out.add(decoder.decode(pending[:-keep]))
                pending = pending[-keep:]

    def _note_children(self, proc: asyncio.subprocess.Process) -> None:
        """Remember the shell's children after a call: the next call's `_started_pids`, listed off
        its path (reading /proc costs ~2 ms under gVisor). Skipped when a call began meanwhile: that
        call listed them itself."""
        if self._proc is proc and not self._running and proc.returncode is None:
            self._children = {child.pid for child in children(proc.pid)}

    def _kill_started(self, proc: asyncio.subprocess.Process, sig: int) -> None:
        """Make the sourced script return, and signal the processes this call started."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGUSR1)
        started = [child for child in children(proc.pid) if child.pid not in self._started_pids]
        kill_tree(started, sig, spare_pgid=proc.pid)

    async def _stop_command(self, proc: asyncio.subprocess.Process, out: OutputCollector) -> int | None:
        """Stop the running call, escalating TERM -> KILL -> replacing the shell; None if the shell exited."""
        for sig, grace in ((signal.SIGTERM, _TERM_GRACE_S), (signal.SIGKILL, _KILL_GRACE_S)):
            self._kill_started(proc, sig)
            with contextlib.suppress(_Timeout):
                return await self._read(proc, out, grace)
        await self._terminate(proc)
        out.add(f"\n[the shell did not stop, so a fresh session will start in {self._cwd}]")
        return _TIMEOUT_STATUS

    async def _resync(self, proc: asyncio.subprocess.Process) -> asyncio.subprocess.Process:
        """After a cancelled call, skip its leftover output up to its sentinel, or restart the shell."""
        with contextlib.suppress(_Timeout):
            if await self._read(proc, OutputCollector(0), _RESYNC_S) is not None:
                self._stale = False
                return proc
        await self._terminate(proc)
        return await self._start()

    async def _exit_status(self, proc: asyncio.subprocess.Process) -> int:
        try:
            return await asyncio.wait_for(proc.wait(), _KILL_GRACE_S)
        except TimeoutError:
            await self._terminate(proc)
            return proc.returncode if proc.returncode is not None else -1

    async def interrupt(self) -> None:
        """Stop whatever the current call started (used by cancel); the session survives."""
        proc = self._proc
        if proc is not None and self._running and proc.returncode is None:
            self._interrupted = True
            self._kill_started(proc, signal.SIGKILL)

    async def _terminate(self, proc: asyncio.subprocess.Process) -> None:
        if proc.returncode is None:
            tree = descendants(proc.pid)
            kill_tree([*tree, Proc(pid=proc.pid, ppid=0, pgid=proc.pid)], signal.SIGKILL)
            await proc.wait()
        if self._proc is proc:
            self._proc = None
            if self._commands is not None:
                self._commands.close()
                self._commands = None

    async def close(self) -> None:
        """Kill the shell and everything it started, and remove its scratch files."""
        if self._proc is not None:
            await self._terminate(self._proc)
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

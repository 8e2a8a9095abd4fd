"""run_code: the persistent Python worker and bash session, timeouts, truncation and file reports."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import signal
from pathlib import Path

import pytest

from agents.protocol import TOKEN_ENV
from agents.tools import Toolbox, ToolboxConfig
from agents.tools.bash import BashSession
from tests.support.procs import processes_with

pytestmark = pytest.mark.alone  # bash's job notices are timed: a loaded machine broke one (de5b97d)

PNG_1PX = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


async def test_python_keeps_state_between_calls(toolbox: Toolbox) -> None:
    first = await toolbox.call(
        "run_code", {"language": "python", "code": "import math\nx = 40\nprint('set')"}
    )
    assert not first.is_error and first.output == "set"
    second = await toolbox.call("run_code", {"code": "x + 2 + int(math.sqrt(0))"})
    assert second.output == "42" and second.exit_code == 0


async def test_python_keeps_cwd_and_reports_files(toolbox: Toolbox, module_workspace: Path) -> None:
    await toolbox.call("run_code", {"code": "import os\nos.makedirs('sub', exist_ok=True)\nos.chdir('sub')"})
    result = await toolbox.call("run_code", {"code": "open('made.txt', 'w').write('hi')\nprint(os.getcwd())"})
    assert result.output.startswith(str(module_workspace / "sub"))
    assert result.files == ["sub/made.txt"]
    assert "[files created or changed: sub/made.txt]" in result.output
    await toolbox.call("run_code", {"code": f"os.chdir({str(module_workspace)!r})"})


async def test_python_error_is_a_clean_traceback(toolbox: Toolbox) -> None:
    result = await toolbox.call("run_code", {"code": "import sys\nprint('before', file=sys.stderr)\n1/0"})
    assert result.is_error and result.exit_code == 1
    assert "before" in result.output and "ZeroDivisionError" in result.output
    assert "\x1b[" not in result.output


async def test_python_display_images_become_image_parts(toolbox: Toolbox) -> None:
    code = (
        "from IPython.display import Image, display\nimport base64\n"
        f"display(Image(data=base64.b64decode({PNG_1PX!r})))"
    )
    result = await toolbox.call("run_code", {"code": code})
    assert [image.mime_type for image in result.images] == ["image/png"]
    assert base64.b64decode(result.images[0].data_b64) == result.images[0].data
    assert result.images[0].data.startswith(b"\x89PNG")


async def test_python_display_hooks_and_matplotlib_figures(toolbox: Toolbox, tmp_path: Path) -> None:
    fake = tmp_path / "fake_mpl" / "matplotlib"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "figure.py").write_text(
        "import base64\n"
        "class Figure:\n"
        "    def savefig(self, out, **kw):\n"
        f"        out.write(base64.b64decode({PNG_1PX!r}))\n"
    )
    (fake / "pyplot.py").write_text(
        "from matplotlib.figure import Figure\n_figs = {}\n"
        "def figure(num=None):\n"
        "    globals()['show'].__signature__ = None  # as matplotlib's switch_backend does\n"
        "    num = num or len(_figs) + 1\n"
        "    return _figs.setdefault(num, Figure())\n"
        "def get_fignums():\n    return sorted(_figs)\n"
        "def close(which):\n    _figs.clear()\n"
        "def show():\n    print('unpatched show')\n"
    )
    code = (
        f"import sys\nsys.path.insert(0, {str(fake.parent)!r})\nimport matplotlib.pyplot as plt\n"
        "plt.figure()\nplt.show()\nplt.figure(); plt.figure(2)\nprint(len(plt.get_fignums()))"
    )
    result = await toolbox.call("run_code", {"code": code})
    assert result.output == "2" and not result.is_error
    assert [image.mime_type for image in result.images] == ["image/png"] * 3
    shown = await toolbox.call("run_code", {"code": "plt.get_fignums(), plt.figure(5)"})
    assert len(shown.images) == 1 and shown.images[0].data.startswith(b"\x89PNG")
    assert len((await toolbox.call("run_code", {"code": "plt.figure(6)"})).images) == 1  # not twice
    assert (await toolbox.call("run_code", {"code": "plt.get_fignums()"})).output == "[]"

    code = (
        "class Pic:\n    def _repr_png_(self):\n"
        f"        return __import__('base64').b64decode({PNG_1PX!r})\n"
        "display(Pic(), 'text')\nPic()"
    )
    result = await toolbox.call("run_code", {"code": code})
    assert result.output == "'text'" and len(result.images) == 2


async def test_python_timeout_interrupts_and_keeps_the_session(toolbox: Toolbox) -> None:
    await toolbox.call("run_code", {"code": "kept = 'yes'"})
    result = await toolbox.call("run_code", {"code": "import time\ntime.sleep(30)", "timeout_s": 1})
    assert result.is_error and "timed out after 1 s" in result.output and "KeyboardInterrupt" in result.output
    after = await toolbox.call("run_code", {"code": "kept"})
    assert after.output == "'yes'"


async def test_python_output_is_capped_with_a_marker(toolbox: Toolbox) -> None:
    result = await toolbox.call("run_code", {"code": "print('a' * 100_000 + 'END')"})
    assert len(result.output) < 21_000
    assert "characters omitted" in result.output and result.output.endswith("END")


async def test_files_are_reported_in_a_workspace_too_big_to_scan_inline(tmp_path: Path) -> None:
    """Past a few hundred entries the scan moves off the event loop; what a call changed is still named,
    and the scan comes back once the workspace is small again."""
    async with Toolbox(ToolboxConfig(workspace=tmp_path)) as toolbox:
        code = "mkdir -p many && for i in $(seq 600); do : > many/$i; done"
        made = await toolbox.call("run_code", {"language": "bash", "code": code})
        assert made.files is not None and len(made.files) == 600
        touched = await toolbox.call("run_code", {"language": "bash", "code": "echo x > many/7"})
        assert touched.files == ["many/7"] and not toolbox._code._small
        await toolbox.call("run_code", {"language": "bash", "code": "rm -r many"})
        small = await toolbox.call("run_code", {"language": "bash", "code": "echo y > one.txt"})
        assert small.files == ["one.txt"] and toolbox._code._small


async def test_bash_keeps_cwd_and_environment(toolbox: Toolbox, module_workspace: Path) -> None:
    await toolbox.call(
        "run_code", {"language": "bash", "code": "mkdir -p dir1 && cd dir1 && export GREETING=hello"}
    )
    result = await toolbox.call("run_code", {"language": "bash", "code": 'pwd; echo "$GREETING"'})
    assert result.output == f"{module_workspace / 'dir1'}\nhello"
    await toolbox.call("run_code", {"language": "bash", "code": f"cd {module_workspace}"})


async def test_bash_script_runs_at_the_top_level(toolbox: Toolbox) -> None:
    """The call's script is sourced at the shell's top level, not inside the wrapper functions: its
    `declare`s stay global for later calls, it sees no positional parameters, and `local` is refused
    as it would be in a plain shell."""
    first = await toolbox.call(
        "run_code", {"language": "bash", "code": 'declare -A KEPT=([k]=v); echo "args:$#"; local x=1'}
    )
    assert first.output.startswith("args:0") and "local: can only be used in a function" in first.output
    second = await toolbox.call("run_code", {"language": "bash", "code": 'echo "${KEPT[k]}"'})
    assert second.output == "v"


async def test_bash_wrappers_cannot_be_replaced(toolbox: Toolbox) -> None:
    """Code cannot redefine or drop the functions that print each call's end marker, nor point the
    variable naming each call's script elsewhere."""
    code = "__we() { :; }; unset -f __we; echo still"
    result = await toolbox.call("run_code", {"language": "bash", "code": code, "timeout_s": 5})
    assert "readonly function" in result.output and "still" in result.output and result.exit_code == 0
    moved = await toolbox.call("run_code", {"language": "bash", "code": "__wc=/tmp/x.sh", "timeout_s": 5})
    assert "readonly variable" in moved.output
    assert (await toolbox.call("run_code", {"language": "bash", "code": "echo next"})).output == "next"


async def test_bash_code_that_drops_the_call_alias_does_not_stall_the_next_call(toolbox: Toolbox) -> None:
    """Each call is a 4-byte line naming an alias (bash reads a pipe a byte per system call); code
    that removes every alias and turns their expansion off still leaves the next call working."""
    code = "unalias -a; shopt -u expand_aliases; echo dropped"
    dropped = await toolbox.call("run_code", {"language": "bash", "code": code, "timeout_s": 5})
    assert (dropped.output, dropped.exit_code) == ("dropped", 0)
    after = await toolbox.call("run_code", {"language": "bash", "code": "echo next", "timeout_s": 5})
    assert (after.output, after.exit_code) == ("next", 0)


async def test_bash_reports_exit_status_and_stderr(toolbox: Toolbox) -> None:
    result = await toolbox.call("run_code", {"language": "bash", "code": "echo out; echo err >&2; false"})
    assert result.is_error and result.exit_code == 1
    assert "out\nerr" in result.output and "[exit status 1]" in result.output


async def test_bash_commands_cannot_read_the_session_input(toolbox: Toolbox) -> None:
    result = await toolbox.call("run_code", {"language": "bash", "code": "cat; read line; echo after"})
    assert result.output == "after"


async def test_bash_code_inherits_no_descriptor_of_the_session(toolbox: Toolbox) -> None:
    """What the code starts holds its standard streams only: never the pipe the shell reads its
    commands from (a child reading it would eat the session's next calls)."""
    code = "python3 -c 'import os; print(sorted(os.listdir(\"/proc/self/fd\")))'"
    result = await toolbox.call("run_code", {"language": "bash", "code": code})
    assert result.output == "['0', '1', '2', '3']"  # 3: the listing's own


async def test_bash_job_notices_never_reach_a_later_output(toolbox: Toolbox) -> None:
    """Job control's note that a background job ended ("[1]+ Terminated ...") is dropped, not printed
    into whichever call comes next.

    The job is gone (the shell reaped it) before the next call, as between two steps: a job that
    dies only while a later call's own command runs is noted by bash after that command, in its
    output, as an interactive shell would print it."""
    started = await toolbox.call("run_code", {"language": "bash", "code": "sleep 46.5 & echo $!"})
    assert (await toolbox.call("run_code", {"language": "bash", "code": "kill $!; echo k"})).output == "k"
    for _ in range(400):  # reaped by the shell: the notice is owed from now on
        if not os.path.exists(f"/proc/{int(started.output)}"):
            break
        await asyncio.sleep(0.05)
    else:  # on a loaded machine the job may die late; then the next call may note it, as promised
        pytest.fail("the killed job was not reaped within 20 s")
    result = await toolbox.call("run_code", {"language": "bash", "code": "sleep 0.2; echo next"})
    assert result.output == "next"


async def test_bash_a_stop_signal_while_idle_leaves_the_next_output_clean(tmp_path: Path) -> None:
    """A stop (USR1) that arrives after its call ended does nothing visible: the next call's output is
    its own."""
    session = BashSession(tmp_path)
    try:
        assert (await session.run("true", 5)).output == ""
        assert session._proc is not None
        os.kill(session._proc.pid, signal.SIGUSR1)
        await asyncio.sleep(0.2)
        result = await session.run("echo next", 5)
        assert (result.output, result.exit_code) == ("next", 0)
    finally:
        await session.close()


async def test_bash_timeout_spares_what_earlier_calls_started(toolbox: Toolbox) -> None:
    """A timeout stops what its own call started; a server an earlier call left running survives."""
    await toolbox.call("run_code", {"language": "bash", "code": "sleep 45.75 &"})
    await asyncio.sleep(0.05)  # as between two steps: the shell's children are noted meanwhile
    stopped = await toolbox.call("run_code", {"language": "bash", "code": "sleep 46.25", "timeout_s": 1})
    assert stopped.exit_code == 124
    await asyncio.sleep(0.2)
    try:
        assert processes_with("sleep 46.25") == []
        assert len(processes_with("sleep 45.75")) == 1
    finally:
        await toolbox.call("run_code", {"language": "bash", "code": "kill %1; wait"})


async def test_bash_timeout_kills_the_command_not_the_session(toolbox: Toolbox) -> None:
    await toolbox.call("run_code", {"language": "bash", "code": "export SURVIVES=1"})
    code = "sleep 47.25 | cat & sleep 47.5; echo never"
    result = await toolbox.call("run_code", {"language": "bash", "code": code, "timeout_s": 1})
    assert result.is_error and result.exit_code == 124 and "timed out after 1 s" in result.output
    assert "never" not in result.output
    await asyncio.sleep(0.2)
    assert processes_with("sleep 47.") == []
    after = await toolbox.call("run_code", {"language": "bash", "code": "echo $SURVIVES"})
    assert after.output == "1"


async def test_bash_timeout_stops_a_busy_shell_loop(toolbox: Toolbox) -> None:
    result = await toolbox.call(
        "run_code", {"language": "bash", "code": "while true; do :; done", "timeout_s": 1}
    )
    assert result.exit_code == 124
    assert (await toolbox.call("run_code", {"language": "bash", "code": "echo ok"})).output == "ok"


async def test_bash_output_is_capped(toolbox: Toolbox) -> None:
    result = await toolbox.call(
        "run_code", {"language": "bash", "code": "yes line | head -n 50000; echo END"}
    )
    assert len(result.output) < 21_000 and "characters omitted" in result.output
    assert result.output.endswith("END")


async def test_bash_exit_starts_a_fresh_session_in_the_same_directory(
    toolbox: Toolbox, module_workspace: Path
) -> None:
    await toolbox.call("run_code", {"language": "bash", "code": "cd dir1"})
    result = await toolbox.call("run_code", {"language": "bash", "code": "exit 7"})
    assert result.exit_code == 7 and "fresh session" in result.output
    after = await toolbox.call("run_code", {"language": "bash", "code": "pwd"})
    assert after.output == str(module_workspace / "dir1")
    await toolbox.call("run_code", {"language": "bash", "code": f"cd {module_workspace}"})


async def test_interrupt_stops_running_code(toolbox: Toolbox) -> None:
    for language, code in (("python", "import time\ntime.sleep(30)"), ("bash", "sleep 48.5")):
        call = asyncio.create_task(
            toolbox.call("run_code", {"language": language, "code": code, "timeout_s": 60})
        )
        await asyncio.sleep(0.5)
        started = asyncio.get_running_loop().time()
        await toolbox.interrupt()
        result = await asyncio.wait_for(call, 5)
        assert result.is_error and "[interrupted" in result.output, language
        assert asyncio.get_running_loop().time() - started < 2
    assert processes_with("sleep 48.5") == []
    assert (await toolbox.call("run_code", {"code": "1 + 1"})).output == "2"


async def test_cancelled_calls_leave_usable_sessions(toolbox: Toolbox) -> None:
    for language, code in (("python", "import time\ntime.sleep(30)"), ("bash", "echo partial; sleep 49.5")):
        call = asyncio.create_task(toolbox.call("run_code", {"language": language, "code": code}))
        await asyncio.sleep(0.5)
        call.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await call
    await asyncio.sleep(0.2)  # SIGKILL was sent; the process may need a moment to exit (as above)
    assert processes_with("sleep 49.5") == []
    assert (await toolbox.call("run_code", {"language": "bash", "code": "echo clean"})).output == "clean"
    assert (await toolbox.call("run_code", {"code": "'clean'"})).output == "'clean'"


async def test_code_does_not_inherit_the_runner_token(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TOKEN_ENV, "secret-token")
    async with Toolbox(ToolboxConfig(workspace=workspace, code_env={"EXTRA": "1"})) as tools:
        result = await tools.call("run_code", {"language": "bash", "code": f'echo "[${TOKEN_ENV}] $EXTRA"'})
    assert result.output == "[] 1"


async def test_prestart_starts_the_shell_before_the_first_call(tmp_path: Path) -> None:
    marker = f"PRESTART_{tmp_path.name}"
    async with Toolbox(ToolboxConfig(workspace=tmp_path, code_env={"WARREN_TEST_MARKER": marker})) as toolbox:
        await toolbox.prestart()
        shells = [pid for pid in processes_with("bash --noprofile --norc") if _environ_has(pid, marker)]
        assert len(shells) == 1, "the shell runs before any run_code call"

        result = await toolbox.call(
            "run_code", {"language": "bash", "code": "echo $WARREN_TEST_MARKER; echo $$"}
        )

        assert result.output.splitlines() == [marker, str(shells[0])], "the first call uses that shell"
        await toolbox.prestart()
        assert [
            pid for pid in processes_with("bash --noprofile --norc") if _environ_has(pid, marker)
        ] == shells


def _environ_has(pid: int, text: str) -> bool:
    try:
        return text.encode() in Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return False


async def test_adopt_gives_the_running_shell_new_variables(tmp_path: Path) -> None:
    """A warm-pool runner's shell, started before its environment existed, gets that environment's
    variables by `export` (same shell); a change `export` cannot make the same replaces the shell."""
    async with Toolbox(ToolboxConfig(workspace=tmp_path, code_env={"KEPT": "k"})) as toolbox:
        await toolbox.warm()
        first = await toolbox.call("run_code", {"language": "bash", "code": "echo $$"})
        shell, base = first.output, toolbox._code_env()
        await toolbox._code.adopt(base | {"GREETING": "it's a\nnew line", "PATH": "/usr/bin:/bin"})
        same = await toolbox.call("run_code", {"language": "bash", "code": 'echo "$$|$GREETING|$PATH"'})
        assert same.output == f"{shell}|it's a\nnew line|/usr/bin:/bin"
        python = await toolbox.call("run_code", {"code": "import os\nprint(os.environ['GREETING'])"})
        assert python.output == "it's a\nnew line"

        await toolbox._code.adopt(base | {"odd-name": "1"})
        code = 'echo "$$|${GREETING-gone}"; env'
        fresh = await toolbox.call("run_code", {"language": "bash", "code": code})
        pid, rest = fresh.output.split("\n", 1)
        assert pid != f"{shell}|gone" and pid.endswith("|gone") and "odd-name=1" in rest


async def test_adopt_environment_reads_the_process_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with Toolbox(ToolboxConfig(workspace=tmp_path)) as toolbox:
        await toolbox.warm()
        monkeypatch.setenv("WARREN_TEST_ASSIGNED", "yes")
        monkeypatch.setenv(TOKEN_ENV, "secret-token")
        await toolbox.adopt_environment()
        result = await toolbox.call(
            "run_code", {"language": "bash", "code": f'echo "$WARREN_TEST_ASSIGNED [${TOKEN_ENV}]"'}
        )
    assert result.output == "yes []"
    assert list(tmp_path.iterdir()) == [], "the warm-up left nothing in the workspace"

"""The Python worker behind run_code: protocol robustness, crashes, stubborn code, IPython-like cells."""

from __future__ import annotations

import asyncio
import base64
import signal
import sys
import types
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from agents.tools import kernel as kernel_module
from agents.tools import pyworker
from agents.tools.kernel import PythonKernel
from tests.support.procs import processes_with

PNG_1PX = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


@pytest.fixture
async def kernel(workspace: Path) -> AsyncIterator[PythonKernel]:
    """A fresh worker per test: several of these tests kill it on purpose."""
    session = PythonKernel(workspace, output_limit=5000)
    yield session
    await session.close()


async def test_cells_behave_like_ipython(kernel: PythonKernel, workspace: Path) -> None:
    assert (await kernel.run("x = 41\nx + 1", 10)).output == "42"
    assert (await kernel.run("x + 1;", 10)).output == ""
    assert (await kernel.run("_", 10)).output == "42"
    assert (await kernel.run("None", 10)).output == ""
    coro = await kernel.run("import asyncio\nawait asyncio.sleep(0)\nawait asyncio.sleep(0, 'awaited')", 10)
    assert coro.output == "'awaited'"
    (workspace / "localmod.py").write_text("VALUE = 'local'\n")
    assert (await kernel.run("import localmod\nlocalmod.VALUE", 10)).output == "'local'"
    magics = await kernel.run("!echo from-shell\n%cd /\nimport os\nprint(os.getcwd())", 10)
    assert magics.output == "from-shell\n/" and not magics.is_error
    nested = await kernel.run("def f():\n    raise ValueError('boom')\nf()", 10)
    assert nested.is_error and nested.output.startswith("Traceback (most recent call last):")
    assert 'File "<cell-' in nested.output and "raise ValueError('boom')" in nested.output
    assert "pyworker" not in nested.output
    syntax = await kernel.run("def (", 10)
    assert syntax.is_error and "SyntaxError" in syntax.output and "pyworker" not in syntax.output
    exited = await kernel.run("import sys\nsys.exit(0)", 10)
    assert not exited.is_error and "SystemExit: 0" in exited.output
    assert (await kernel.run("x", 10)).output == "41"


async def test_user_output_cannot_corrupt_the_protocol(kernel: PythonKernel) -> None:
    frame = pyworker.encode_frame({"id": 2, "ok": True, "images": []})
    code = (
        "import os, sys, subprocess\n"
        f"os.write(1, {frame!r}); os.write(2, b'\\x00__WARREN_PY_x__\\x00')\n"
        "sys.stdout.buffer.write(b'\\xff\\xfe raw\\n'); print('end')\n"
        "subprocess.run(['echo', 'child'])"
    )
    result = await kernel.run(code, 10)
    assert result.output.endswith("raw\nend\nchild\nCompletedProcess(args=['echo', 'child'], returncode=0)")
    big = "y = " + repr("z" * 300_000) + "\nlen(y)"
    assert (await kernel.run(big, 10)).output == "300000"
    capped = await kernel.run("print('a' * 100_000 + 'END')", 10)
    assert "characters omitted" in capped.output and capped.output.endswith("END")


async def test_output_after_a_run_does_not_leak_into_the_next(kernel: PythonKernel) -> None:
    await kernel.run("import threading\nthreading.Timer(0.2, print, ['late']).start()\n", 10)
    await asyncio.sleep(0.4)
    assert (await kernel.run("'next'", 10)).output == "'next'"


async def test_a_stray_sigint_between_runs_is_harmless(kernel: PythonKernel) -> None:
    await kernel.run("kept = 1", 10)
    assert kernel._worker is not None
    kernel._worker.signal(signal.SIGINT)
    await asyncio.sleep(0.1)
    assert (await kernel.run("kept", 10)).output == "1"
    own = await kernel.run(
        "import os, signal\nos.kill(os.getpid(), signal.SIGINT)\nimport time\ntime.sleep(1)", 10
    )
    assert own.is_error and "KeyboardInterrupt" in own.output


async def test_a_dead_worker_is_replaced(kernel: PythonKernel) -> None:
    await kernel.run("kept = 1", 10)
    code = (
        "import os, subprocess\nsubprocess.Popen(['sleep', '47.75'])\nprint('bye', flush=True)\nos._exit(3)"
    )
    died = await asyncio.wait_for(kernel.run(code, 30), 5)
    assert died.is_error and died.output.startswith("bye") and "died" in died.output
    assert processes_with("sleep 47.75") == []
    after = await kernel.run("'kept' in globals()", 10)
    assert after.output == "False" and not after.is_error


async def test_code_that_ignores_the_interrupt_is_killed(
    kernel: PythonKernel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kernel_module, "_INTERRUPT_GRACE_S", 0.5)
    await kernel.run("kept = 1", 10)
    code = "import time\nwhile True:\n    try:\n        time.sleep(10)\n"
    code += "    except KeyboardInterrupt:\n        pass"
    result = await asyncio.wait_for(kernel.run(code, 1), 5)
    assert (
        result.is_error
        and "timed out after 1 s" in result.output
        and "variables and imports" in result.output
    )
    assert (await kernel.run("'kept' in globals()", 10)).output == "False"


async def test_a_missing_workspace_falls_back_to_home(tmp_path: Path) -> None:
    session = PythonKernel(tmp_path / "gone")
    try:
        assert (await session.run("1 + 1", 10)).output == "2"
    finally:
        await session.close()


def test_ipython_stand_in_serves_display_and_image() -> None:
    worker = pyworker.Worker()
    stand_in = pyworker._IPythonStandIn(worker)
    assert stand_in.find_spec("numpy", None) is None
    spec = stand_in.find_spec("IPython.display", None)
    assert spec is not None
    module = types.ModuleType("IPython.display")
    stand_in.exec_module(module)
    image = module.Image(data=PNG_1PX)
    assert image._repr_png_() == PNG_1PX and image._repr_jpeg_() is None
    module.display(image)
    assert worker.images == [["image/png", base64.b64encode(PNG_1PX).decode()]]
    assert repr(module.HTML("<b>x</b>")) == "<b>x</b>"


def test_magic_lines_are_translated() -> None:
    code = "x = 1\n!ls -l\n  %pip install foo\n%cd ~"
    lines = pyworker._translate_magics(code).split("\n")
    assert lines[0] == "x = 1"
    assert lines[1] == "__import__('_warren_pyworker')._shell('ls -l')"
    assert lines[2].startswith("  __import__") and f"{sys.executable} -m pip install foo" in lines[2]
    assert "chdir" in lines[3] and "'~'" in lines[3]

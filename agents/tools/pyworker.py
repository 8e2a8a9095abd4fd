"""The persistent Python process behind `run_code` (`language: python`); stdlib only.

`agents.tools.worker_process` starts it as `python -P pyworker.py REQ_FD REPLY_FD TOKEN` and keeps it
for the session, so variables, imports and the working directory persist. Requests and
replies are length-prefixed JSON frames on two dedicated pipes: the code's own stdout and
stderr (fds 1 and 2, shared by any subprocess it starts) are a separate pipe the parent
reads as the call's output, so nothing user code prints can corrupt the protocol. After
each run the worker writes a mark made from TOKEN to fd 1, then the reply: the parent reads output up to
the mark, so it has all of a call's output once it has its reply.

The run looks like an IPython cell: the last expression's value is shown (`1+1` -> `2`;
a trailing `;` hides it), `display()` is a builtin, objects with `_repr_png_` and friends
become images, matplotlib figures (Agg backend) are returned as PNGs at `plt.show()` and at
the end of the run, top-level `await` works, `!cmd` / `%pip` / `%cd` lines work, and
`from IPython.display import display, Image` works even when IPython is not installed.
SIGINT raises KeyboardInterrupt in the running code only; between runs it is ignored.

It stays one file past the size rule on purpose: it is the user's own process, run as a script by
path, so every module it imported would sit in the user's `sys.modules`; one stdlib-only file keeps
that process clean and its start fast.
"""

from __future__ import annotations

import ast
import base64
import builtins
import contextlib
import io
import json
import linecache
import os
import re
import signal
import struct
import sys
import traceback
import types
from collections.abc import Callable, Sequence
from importlib.machinery import ModuleSpec, PathFinder
from typing import Any

__all__ = ["HEADER", "encode_frame", "end_mark", "main"]

HEADER = struct.Struct(">I")
"""Frame header: the JSON payload's length in bytes, big-endian."""

_CO_COROUTINE = 0x0080  # inspect.CO_COROUTINE, without importing inspect
_FLAGS = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
_IMAGE_MIMES = ("image/png", "image/jpeg", "image/gif", "image/webp")
_REPR_METHODS = (("_repr_png_", "image/png"), ("_repr_jpeg_", "image/jpeg"))
_PRETTY_WIDTH = 100
_MAGIC = re.compile(r"^(?P<indent>[ \t]*)(?:!(?P<shell>.*)|%pip\b(?P<pip>.*)|%cd\b(?P<cd>.*))$")
_SUBPROCESS_ENV = {"PYTHONUNBUFFERED": "1", "MPLBACKEND": "Agg"}


def encode_frame(message: dict[str, Any]) -> bytes:
    """One protocol frame: header + compact JSON."""
    body = json.dumps(message, separators=(",", ":")).encode()
    return HEADER.pack(len(body)) + body


def end_mark(token: str) -> bytes:
    """The end-of-run mark written to the output pipe (NULs: unlikely in text, impossible in argv)."""
    return f"\x00__WARREN_PY_{token}__\x00".encode()


def _read_exact(fd: int, size: int) -> bytes | None:
    chunks: list[bytes] = []
    while size:
        chunk = os.read(fd, size)
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _method(value: object, name: str) -> Callable[..., Any] | None:
    """A display hook looked up on the type, as IPython does (instances' `__getattr__` can lie)."""
    found = getattr(type(value), name, None)
    return found if callable(found) else None


def _as_b64(data: object) -> str | None:
    if isinstance(data, tuple) and data:  # (data, metadata)
        data = data[0]
    if isinstance(data, bytes):
        return base64.b64encode(data).decode("ascii")
    if isinstance(data, str):
        return data.replace("\n", "")
    return None


def _is_figure(value: object) -> bool:
    cls = type(value)
    return cls.__module__.startswith("matplotlib.") and any(base.__name__ == "Figure" for base in cls.__mro__)


def _figure_png(figure: Any) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


class Worker:
    """The interpreter state of one session and the logic of one run."""

    def __init__(self) -> None:
        self.main = types.ModuleType("__main__")
        self.main.__dict__["__builtins__"] = builtins
        self.namespace: dict[str, Any] = self.main.__dict__
        self.images: list[list[str]] = []
        self.shown_figures: set[int] = set()
        """Figures this run already displayed, which the end-of-run flush must not repeat."""
        self.executing = False
        self.count = 0
        self._loop: Any = None

    # -- display -------------------------------------------------------------------------------

    def display(self, *objects: object, **_options: object) -> None:
        """IPython's `display()`: show each object as an image when it can be one, else as text."""
        for value in objects:
            self.show(value)

    def show(self, value: object) -> None:
        """Show one value: an image part if it has an image form, else its (pretty) repr on stdout."""
        if not self._show_image(value):
            sys.stdout.write(self._text(value) + "\n")

    def _show_image(self, value: object) -> bool:
        if _is_figure(value):
            self.images.append(["image/png", _figure_png(value)])
            self.shown_figures.add(id(value))
            return True
        bundle = _method(value, "_repr_mimebundle_")
        if bundle is not None:
            data = bundle(value, include=None, exclude=None)
            data = data[0] if isinstance(data, tuple) else data
            if isinstance(data, dict):
                for mime in _IMAGE_MIMES:
                    encoded = _as_b64(data.get(mime))
                    if encoded:
                        self.images.append([mime, encoded])
                        return True
        for name, mime in _REPR_METHODS:
            method = _method(value, name)
            encoded = _as_b64(method(value)) if method is not None else None
            if encoded:
                self.images.append([mime, encoded])
                return True
        return False

    @staticmethod
    def _text(value: object) -> str:
        text = repr(value)
        if len(text) > _PRETTY_WIDTH and type(value) in (dict, list, tuple, set, frozenset):
            import pprint

            text = pprint.pformat(value, width=_PRETTY_WIDTH, sort_dicts=False)
        return text

    def flush_figures(self, *_args: object, **_kwargs: object) -> None:
        """`plt.show()` and the end of a run: every open matplotlib figure becomes a PNG, then closes."""
        pyplot = sys.modules.get("matplotlib.pyplot")
        if pyplot is None:
            return
        numbers = pyplot.get_fignums()
        try:
            for number in numbers:
                figure = pyplot.figure(number)
                if id(figure) not in self.shown_figures:
                    self.images.append(["image/png", _figure_png(figure)])
        finally:
            if numbers:
                pyplot.close("all")

    # -- running -------------------------------------------------------------------------------

    def run(self, code: str) -> bool:
        """Execute one cell; print its traceback on failure. True when it succeeded."""
        self.count += 1
        filename = f"<cell-{self.count}>"
        try:
            try:
                tree = self._parse(code, filename)
                last: ast.Expression | None = None
                tail = tree.body[-1] if tree.body else None
                if isinstance(tail, ast.Expr) and not code.rstrip().endswith(";"):
                    tree.body.pop()
                    last = ast.Expression(tail.value)
                self.executing = True
                self._execute(compile(tree, filename, "exec", _FLAGS))
                if last is not None:
                    value = self._execute(compile(last, filename, "eval", _FLAGS))
                    if value is not None:
                        self.namespace["_"] = value
                        self.show(value)
            finally:
                self.executing = False
            ok = True
        except BaseException as exc:  # the model's code may raise anything, even SystemExit
            self.executing = False
            ok = isinstance(exc, SystemExit) and exc.code in (None, 0)
            self._report(exc)
        try:
            self.flush_figures()
        except Exception as exc:
            ok = False
            self._report(exc)
        return ok

    def _parse(self, code: str, filename: str) -> ast.Module:
        """Parse the cell (registering its source for tracebacks); retry with `!`/`%` lines translated."""
        linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
        try:
            tree: ast.Module = compile(code, filename, "exec", ast.PyCF_ONLY_AST | _FLAGS)
            return tree
        except SyntaxError:
            translated = _translate_magics(code)
            if translated == code:
                raise
            try:
                tree = compile(translated, filename, "exec", ast.PyCF_ONLY_AST | _FLAGS)
            except SyntaxError:
                pass
            else:
                linecache.cache[filename] = (len(translated), None, translated.splitlines(True), filename)
                return tree
            raise

    def _execute(self, code: types.CodeType) -> Any:
        if code.co_flags & _CO_COROUTINE:  # top-level await: one loop for the session, as in IPython
            if self._loop is None:
                import asyncio

                self._loop = asyncio.new_event_loop()
            return self._loop.run_until_complete(eval(code, self.namespace))  # noqa: S307 (the model's code)
        return eval(code, self.namespace)  # noqa: S307 (running the model's code is the point)

    @staticmethod
    def _report(exc: BaseException) -> None:
        """Print the traceback without the worker's own frames (the model did not write them)."""
        report = traceback.TracebackException(type(exc), exc, exc.__traceback__)
        pending, seen = [report], set()
        while pending:
            item = pending.pop()
            if id(item) in seen:
                continue
            seen.add(id(item))
            item.stack = traceback.StackSummary.from_list([f for f in item.stack if f.filename != __file__])
            pending.extend(e for e in (item.__cause__, item.__context__) if e is not None)
        _flush()
        sys.stderr.write("".join(report.format()))
        _flush()

    def on_sigint(self, _signum: int, _frame: types.FrameType | None) -> None:
        """Ctrl-C for the running code; a stray SIGINT between runs must not kill the session."""
        if self.executing:
            raise KeyboardInterrupt


def _shell(command: str) -> None:
    """`!command` in a cell: run it through the shell, its output going straight to the call's output."""
    import subprocess

    _flush()
    subprocess.run(command, shell=True, check=False)  # noqa: S602 (a shell line the model wrote)


def _translate_magics(code: str) -> str:
    lines = []
    for line in code.split("\n"):
        match = _MAGIC.match(line)
        if match is None:
            lines.append(line)
            continue
        indent, shell, pip, cd = match.group("indent", "shell", "pip", "cd")
        if shell is not None:
            call = f"__import__('_warren_pyworker')._shell({shell.strip()!r})"
        elif pip is not None:
            command = f"{sys.executable} -m pip {pip.strip()}"
            call = f"__import__('_warren_pyworker')._shell({command!r})"
        else:
            call = f"__import__('os').chdir(__import__('os').path.expanduser({cd.strip() or '~'!r}))"
        lines.append(indent + call)
    return "\n".join(lines)


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        with contextlib.suppress(Exception):  # the code may have replaced or closed them
            if stream is not None:
                stream.flush()


# -- matplotlib and IPython.display ------------------------------------------------------------


class _PatchingLoader:
    """Wraps matplotlib.pyplot's loader so `plt.show()` returns the figures instead of warning."""

    def __init__(self, loader: Any, patch: Callable[[types.ModuleType], None]) -> None:
        self._loader = loader
        self._patch = patch

    def create_module(self, spec: ModuleSpec) -> types.ModuleType | None:
        created: types.ModuleType | None = self._loader.create_module(spec)
        return created

    def exec_module(self, module: types.ModuleType) -> None:
        self._loader.exec_module(module)
        self._patch(module)


class _Hooks:
    """First on sys.meta_path: patches pyplot's `show` and IPython's `display` as they load.

    Without a running IPython shell, `IPython.display.display` only prints a repr and Agg's
    `plt.show()` only warns; the patched ones return images, as in a notebook.
    """

    def __init__(self, worker: Worker) -> None:
        # Plain functions, not bound methods: matplotlib sets `__signature__` on pyplot.show.
        def show(*_args: object, **_kwargs: object) -> None:
            worker.flush_figures()

        def display(*objects: object, **_options: object) -> None:
            worker.display(*objects)

        self._patches: dict[str, dict[str, Any]] = {
            "matplotlib.pyplot": {"show": show},
            "IPython.display": {"display": display},
            "IPython.core.display_functions": {"display": display},
        }

    def find_spec(
        self, name: str, path: Sequence[str] | None, target: types.ModuleType | None = None
    ) -> ModuleSpec | None:
        patch = self._patches.get(name)
        if patch is None:
            return None
        spec = PathFinder.find_spec(name, path, target)
        if spec is not None and spec.loader is not None:
            spec.loader = _PatchingLoader(spec.loader, lambda module: module.__dict__.update(patch))  # type: ignore[assignment]
        return spec


class _IPythonStandIn:
    """Last on sys.meta_path: serves `IPython` and `IPython.display` only when IPython is absent."""

    def __init__(self, worker: Worker) -> None:
        self._worker = worker

    def find_spec(
        self, name: str, path: Sequence[str] | None, target: types.ModuleType | None = None
    ) -> ModuleSpec | None:
        if name not in ("IPython", "IPython.display"):
            return None
        return ModuleSpec(name, self, is_package=name == "IPython")  # type: ignore[arg-type]

    def create_module(self, spec: ModuleSpec) -> None:
        return None

    def exec_module(self, module: types.ModuleType) -> None:
        module.__dict__.update(display=self._worker.display, get_ipython=lambda: None)
        if module.__name__ == "IPython.display":
            module.__dict__.update(
                Image=_Image, HTML=_Text, Markdown=_Text, Pretty=_Text, clear_output=lambda wait=False: None
            )


class _Image:
    """A minimal `IPython.display.Image` (data bytes or a file name) for the stand-in module."""

    def __init__(
        self, data: bytes | str | None = None, *, filename: str | None = None, format: str | None = None
    ) -> None:
        if isinstance(data, str) and filename is None and not data.startswith(("http://", "https://")):
            data, filename = None, data
        if filename is not None:
            with open(filename, "rb") as handle:
                data = handle.read()
        if not isinstance(data, bytes):
            raise ValueError("Image() needs the image bytes or a file name here (no URLs)")
        self.data = data
        kind = (format or (filename or "").rsplit(".", 1)[-1]).lower()
        self.format = "jpeg" if kind in ("jpg", "jpeg") or data.startswith(b"\xff\xd8") else "png"

    def _repr_png_(self) -> bytes | None:
        return self.data if self.format == "png" else None

    def _repr_jpeg_(self) -> bytes | None:
        return self.data if self.format == "jpeg" else None


class _Text:
    """`HTML`, `Markdown`, `Pretty`: shown to the model as their source text."""

    def __init__(self, data: str = "", **_options: object) -> None:
        self.data = data

    def __repr__(self) -> str:
        return self.data


# -- the loop ----------------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    """Serve requests until the parent closes the request pipe."""
    request_fd, reply_fd, mark = int(argv[1]), int(argv[2]), end_mark(argv[3])
    for fd in (request_fd, reply_fd):  # code's subprocesses must not hold the protocol pipes open
        os.set_inheritable(fd, False)
    for stream in (sys.stdout, sys.stderr):
        stream.reconfigure(encoding="utf-8", errors="backslashreplace", line_buffering=True)  # type: ignore[union-attr]
    for key, value in _SUBPROCESS_ENV.items():
        os.environ.setdefault(key, value)
    worker = Worker()
    sys.modules["_warren_pyworker"] = sys.modules[__name__]  # for translated `!` lines
    sys.modules["__main__"] = worker.main
    sys.meta_path.insert(0, _Hooks(worker))
    sys.meta_path.append(_IPythonStandIn(worker))
    builtins.display = worker.display  # type: ignore[attr-defined]
    sys.path.insert(0, "")  # modules in the working directory import, as in IPython
    signal.signal(signal.SIGINT, worker.on_sigint)
    while True:
        header = _read_exact(request_fd, HEADER.size)
        if header is None:
            return 0
        body = _read_exact(request_fd, HEADER.unpack(header)[0])
        if body is None:
            return 0
        request = json.loads(body)
        worker.images, worker.shown_figures = [], set()
        ok = worker.run(request["code"])
        _flush()
        with contextlib.suppress(OSError):  # fd 1 closed by the code: the parent times out on the mark
            _write_all(1, mark)
        _write_all(reply_fd, encode_frame({"id": request["id"], "ok": ok, "images": worker.images}))


if __name__ == "__main__":
    sys.exit(main(sys.argv))

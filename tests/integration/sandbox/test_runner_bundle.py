"""The image's runner bundle (`agents/bundle.py`) is there, fits the image's Python and covers the
start path: in a sandbox, every pure-Python module the runner's start imports is served from it.

A bundle that is missing, stale or built by another Python is not an error (the runner falls back to
the disk), so only this check notices it: the cold start would quietly pay ~2 ms per module again.
"""

from __future__ import annotations

import json

import pytest

from orchestrator.interactions.runner_sandbox import RUNNER_COMMAND
from orchestrator.sandbox import DockerBackend, ExecRequest
from tests.conftest import SandboxFactory

pytestmark = pytest.mark.integration

_CHECK = """
import importlib, sys
from agents.boot import prepare
from agents.bundle import START_PATH, BundleFinder
before = set(sys.modules)
finder = prepare()
for root in START_PATH:
    importlib.import_module(root)
from_disk = []
for name in sorted(set(sys.modules) - before):
    spec = getattr(sys.modules[name], "__spec__", None)
    if spec is not None and not isinstance(spec.loader, BundleFinder) and (spec.origin or "").endswith(".py"):
        from_disk.append(name)
import json  # after the check: the bundle serves it to the start path
print(json.dumps({"installed": finder is not None, "left": len(finder or ()), "from_disk": from_disk}))
"""


async def test_the_runner_start_path_is_served_from_the_image_bundle(
    backend: DockerBackend, sandbox_factory: SandboxFactory, sandbox_runtime: str
) -> None:
    info = await sandbox_factory()
    flags = RUNNER_COMMAND[1:-2]  # the runner's own interpreter flags: -P -S
    check = ExecRequest(sandbox_id=info.id, cmd=("python", *flags, "-c", _CHECK), timeout_s=60)
    result = await backend.exec(check)
    assert result.exit_code == 0, f"{sandbox_runtime}: {result.stderr.decode()}"
    assert json.loads(result.stdout) == {"installed": True, "left": 0, "from_disk": []}

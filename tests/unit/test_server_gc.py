"""`server_gc.tune_for_serving`: the start-up heap frozen and young collections rarer (run in a child
process: freezing this test process's heap would keep every later test's cycles)."""

from __future__ import annotations

import json
import subprocess
import sys

from orchestrator.server_gc import YOUNG_THRESHOLD

_PROBE = """
import gc, json
from orchestrator.server_gc import tune_for_serving
before = (gc.get_freeze_count(), gc.get_threshold())
tune_for_serving()
print(json.dumps({"before": before, "frozen": gc.get_freeze_count(), "threshold": gc.get_threshold()}))
"""


def test_the_heap_is_frozen_and_young_collections_come_later() -> None:
    done = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True)
    seen = json.loads(done.stdout)
    assert seen["before"][0] == 0
    assert seen["frozen"] > 1000, "the start-up heap (modules, classes) is in the permanent generation"
    assert seen["threshold"][0] == YOUNG_THRESHOLD > seen["before"][1][0]
    assert seen["threshold"][1:] == seen["before"][1][1:], "the older generations' thresholds stay"

"""The Vercel AI SDK (`ai` + `@ai-sdk/google`, pinned in tests/partners/js/package-lock.json), its
`google.interactions(...)` model, against `warren serve`. Issue 22 item 3.

Node runs js/vercel_suite.mjs once; each case below checks its entry of the report and the model
call the fake Gemini received for it. `make test-deps` installs the packages (`npm ci`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.partners import cases
from tests.partners.serve import PartnerServer

pytestmark = [pytest.mark.conformance, pytest.mark.timeout(300)]

JS = Path(__file__).parent / "js"
_RUN_GUARD_S = 240
"""Only a guard against a hung script; the checks below decide the outcome."""

Report = dict[str, dict[str, Any]]


def node_env(partner: PartnerServer) -> dict[str, str]:
    """The environment a Node script needs to reach `partner`."""
    assert (JS / "node_modules" / "@ai-sdk" / "google").is_dir(), (
        "run `make test-deps` (npm ci in tests/partners/js)"
    )
    return {**os.environ, "WARREN_BASE_URL": partner.url, "WARREN_API_KEY": partner.key}


def run_node(script: str, env: dict[str, str]) -> str:
    """Run `script` in js/ and return what it printed; fail with its stderr if it failed."""
    node = shutil.which("node")
    assert node, "node is missing: run `make test-deps`"
    done = subprocess.run(
        [node, script], cwd=JS, env=env, capture_output=True, text=True, timeout=_RUN_GUARD_S, check=False
    )
    assert done.returncode == 0, f"node {script} failed:\n{done.stderr[-4000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def report(partner: PartnerServer) -> Report:
    env = node_env(partner) | {
        "WARREN_PARTNER_NAMES": json.dumps([cases.MODEL, cases.BARE, cases.PRESET, cases.SYSTEM])
    }
    parsed: Report = json.loads(run_node("vercel_suite.mjs", env).strip().splitlines()[-1])
    return parsed


def _answered(report: Report, case: str) -> str:
    entry = report[case]
    assert entry["ok"], f"{case}: {entry['error']}"
    return str(entry["text"])


def test_model_form(report: Report, partner: PartnerServer) -> None:
    assert _answered(report, "model form") == cases.heard("vercel: say hello")
    assert "/models/gemini-3-flash-preview:" in cases.model_call(partner, "vercel: say hello")["path"]


def test_streaming(report: Report) -> None:
    deltas = report["streaming"]["deltas"]
    assert _answered(report, "streaming") == cases.heard("vercel: stream it")
    assert len(deltas) >= 2, "the answer arrived as several deltas"


def test_multi_turn_with_a_system_prompt(report: Report, partner: PartnerServer) -> None:
    prompt = "vercel: what is my name?"
    body = cases.model_call(partner, prompt)["body"]
    assert cases.system_text(body) == cases.SYSTEM
    assert cases.history(body) == [("user", "My name is Ada."), ("model", "Hello Ada."), ("user", prompt)]
    assert _answered(report, "multi-turn with a system prompt") == cases.heard(prompt)


def test_managed_agent(report: Report) -> None:
    assert _answered(report, "managed agent") == cases.AGENT_ANSWER


def test_agent_preset(report: Report) -> None:
    assert _answered(report, "agent preset") == cases.AGENT_ANSWER


def test_bare_gemini_name(report: Report, partner: PartnerServer) -> None:
    assert _answered(report, "bare gemini name") == cases.heard("vercel: bare name")
    assert f"/models/{cases.BARE}:" in cases.model_call(partner, "vercel: bare name")["path"]


def test_unknown_agent_is_a_404_naming_agent(report: Report) -> None:
    entry = report["unknown agent"]
    assert not entry["ok"], "Warren must refuse an agent it does not have"
    assert entry["error"]["status"] == 404 and "agent" in entry["error"]["message"], entry["error"]


def test_an_unknown_bare_name_is_a_400_naming_model(report: Report) -> None:
    entry = report["unknown bare name"]
    assert not entry["ok"], "Warren must refuse a bare name nothing serves"
    assert entry["error"]["status"] == 400 and "model: " in entry["error"]["message"], entry["error"]

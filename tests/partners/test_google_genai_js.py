"""@google/genai, Google's JavaScript SDK, with Google's own names against `warren serve` (issue 22):
a bare Gemini name reaches the gemini provider (the fake Gemini) unchanged, an Antigravity preset is
the default agent under its own name, and what nothing serves is refused naming the field.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.partners import cases
from tests.partners.serve import PartnerServer
from tests.partners.test_vercel_ai import node_env, run_node

pytestmark = [pytest.mark.conformance, pytest.mark.timeout(300)]

Report = dict[str, dict[str, Any]]


@pytest.fixture(scope="module")
def report(partner: PartnerServer) -> Report:
    env = node_env(partner) | {"WARREN_PARTNER_NAMES": json.dumps([cases.BARE, cases.PRESET])}
    parsed: Report = json.loads(run_node("google_genai_suite.mjs", env).strip().splitlines()[-1])
    return parsed


def test_a_bare_gemini_name_reaches_the_gemini_provider(report: Report, partner: PartnerServer) -> None:
    entry = report["bare gemini name"]
    assert entry["ok"], entry
    assert (entry["status"], entry["model"]) == ("completed", cases.BARE)
    assert entry["text"] == cases.heard("genai-js: bare name")
    assert f"/models/{cases.BARE}:" in cases.model_call(partner, "genai-js: bare name")["path"]


def test_an_agent_preset_is_the_default_agent_under_its_name(report: Report) -> None:
    entry = report["agent preset"]
    assert entry["ok"], entry
    assert (entry["status"], entry["agent"], entry["text"]) == ("completed", cases.PRESET, cases.AGENT_ANSWER)


@pytest.mark.parametrize(
    ("case", "status", "field"), [("unknown bare name", 400, "model"), ("unknown agent", 404, "agent")]
)
def test_names_nothing_serves_are_refused_naming_the_field(
    report: Report, case: str, status: int, field: str
) -> None:
    entry = report[case]
    assert not entry["ok"], entry
    assert entry["error"]["status"] == status and f"{field}:" in entry["error"]["message"], entry["error"]

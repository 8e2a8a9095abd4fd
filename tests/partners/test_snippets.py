"""Each "Use Warren from ..." snippet of docs/clients.md, run unchanged as its own process against
`warren serve`: it must print the fake Gemini's answer, after exactly one model call that reached
the gemini provider with the bare name the snippet uses.

tests/unit/test_clients_doc.py holds the other half: the doc's code blocks are these files.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.partners.serve import PartnerServer, heard, last_user_text
from tests.partners.test_vercel_ai import node_env, run_node

pytestmark = [pytest.mark.conformance, pytest.mark.timeout(180)]

HERE = Path(__file__).parent
SNIPPETS = sorted(p.name for p in (HERE / "snippets").glob("*_quickstart.py"))
JS_SNIPPETS = sorted(p.name for p in (HERE / "js").glob("*_quickstart.mjs"))
PROMPT = "Say hello."


def _calls(partner: PartnerServer) -> list[str]:
    """The paths of the model calls made for PROMPT, oldest first."""
    return [p["path"] for p in partner.gemini_posts() if last_user_text(p["body"]) == PROMPT]


def _env(partner: PartnerServer) -> dict[str, str]:
    return node_env(partner) | {"AGNO_TELEMETRY": "false"}


@pytest.mark.parametrize("snippet", SNIPPETS + JS_SNIPPETS)
def test_snippet_prints_the_models_answer(snippet: str, partner: PartnerServer) -> None:
    before = len(_calls(partner))
    if snippet.endswith(".mjs"):
        printed = run_node(snippet, _env(partner))
    else:
        done = subprocess.run(
            [sys.executable, str(HERE / "snippets" / snippet)],
            env=_env(partner),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-4000:]
        printed = done.stdout
    assert printed.strip() == heard(PROMPT)
    calls = _calls(partner)
    assert len(calls) == before + 1, "one model call"
    assert "/models/gemini-3-flash-preview:" in calls[-1], "the bare name reached the gemini provider"

"""Each "Use Warren from ..." snippet of docs/clients.md, run unchanged as its own process against
`warren serve`: it must print the fake Gemini's answer, after exactly one model call.

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


def _calls(partner: PartnerServer) -> int:
    return sum(last_user_text(p["body"]) == PROMPT for p in partner.gemini_posts())


def _env(partner: PartnerServer) -> dict[str, str]:
    return node_env(partner) | {"AGNO_TELEMETRY": "false"}


@pytest.mark.parametrize("snippet", SNIPPETS + JS_SNIPPETS)
def test_snippet_prints_the_models_answer(snippet: str, partner: PartnerServer) -> None:
    before = _calls(partner)
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
    assert _calls(partner) == before + 1, "one model call, through Warren's gemini provider"

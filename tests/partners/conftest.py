"""Partner clients (LiteLLM, the Vercel AI SDK, and the Google SDKs' quick starts) against a real
`warren serve` whose gemini provider reaches the fake Gemini server (`serve.py`).

LiteLLM fetches a model price list from GitHub when imported unless told to use its bundled copy;
the variable below keeps every test connection on loopback.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.partners.serve import PartnerServer, partner_server

os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"


@pytest.fixture(scope="session")
def partner(sandbox_image: str) -> Iterator[PartnerServer]:
    with partner_server(sandbox_image) as running:
        yield running

"""`check()` against OpenAI-compatible servers, which may lack `GET /models/{id}` (vLLM, llama.cpp)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from orchestrator.gateway.openai_provider import OpenAIProvider
from tests.fakes.openai import FakeOpenAI
from tests.fakes.server import FakeVendor, Status
from tests.unit.gateway.conftest import API_KEY, Vendor, open_vendor

NO_ROUTE = Status(404, "Not Found")
"""What vLLM answers for a route it does not have."""


@pytest.fixture
def compatible(fakes: dict[str, FakeVendor]) -> Iterator[Vendor]:
    vendor = open_vendor("openai", fakes)
    vendor.fake.lookup_error = NO_ROUTE
    yield vendor
    vendor.fake.reset()


def _provider(vendor: Vendor, model: str) -> OpenAIProvider:
    return OpenAIProvider(model, api_key=API_KEY, base_url=vendor.base_url)


async def test_check_falls_back_to_the_model_list(compatible: Vendor) -> None:
    check = await _provider(compatible, "gpt-5").check()
    assert check.ok, check.detail
    assert [r.path for r in compatible.fake.requests] == ["/v1/models/gpt-5", "/v1/models"]


async def test_an_ollama_name_without_a_tag_matches_latest(compatible: Vendor) -> None:
    assert (await _provider(compatible, "qwen3").check()).ok


async def test_a_model_the_server_does_not_list_fails_naming_what_it_serves(compatible: Vendor) -> None:
    fake: FakeOpenAI = compatible.fake
    fake.served = ["llama3.2", "mistral"]
    check = await _provider(compatible, "qwen3").check()
    assert not check.ok
    assert "HTTP 404" in check.detail and "'qwen3' is not served" in check.detail
    assert "llama3.2, mistral" in check.detail and API_KEY not in check.detail

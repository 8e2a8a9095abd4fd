"""Fixtures for the gateway tests: the three fake vendors, started once, and fast retry policies."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from orchestrator.gateway import ModelProvider, RetryPolicy
from orchestrator.gateway.anthropic_provider import AnthropicProvider
from orchestrator.gateway.gemini import GeminiProvider
from orchestrator.gateway.openai_provider import OpenAIProvider
from tests.fakes.anthropic import FakeAnthropic
from tests.fakes.gemini import FakeGemini
from tests.fakes.openai import FakeOpenAI
from tests.fakes.server import FakeVendor

API_KEY = "wrn-test-key-5f3b9c1d7e2a4b6c8d0e"
"""A recognisable fake credential; no test output may ever contain it."""

FAST = RetryPolicy(max_attempts=4, base_delay_s=0.01, max_delay_s=0.05, call_timeout_s=5.0, deadline_s=10.0)
"""Retries in milliseconds, so the suite stays fast."""

MODELS = {"gemini": "gemini-3-pro", "openai": "gpt-5", "anthropic": "claude-sonnet-5"}


@dataclass
class Vendor:
    """A fake vendor and a way to point the production provider at it."""

    name: str
    fake: Any
    make: Callable[..., ModelProvider]
    base_url: str


@pytest.fixture(scope="session")
def fakes() -> Iterator[dict[str, FakeVendor]]:
    started: dict[str, FakeVendor] = {
        "gemini": FakeGemini(),
        "openai": FakeOpenAI(),
        "anthropic": FakeAnthropic(),
    }
    for fake in started.values():
        fake.start()
    yield started
    for fake in started.values():
        fake.stop()


def _maker(name: str, base_url: str) -> Callable[..., ModelProvider]:
    classes: dict[str, Any] = {
        "gemini": GeminiProvider,
        "openai": OpenAIProvider,
        "anthropic": AnthropicProvider,
    }

    def make(*, policy: RetryPolicy = FAST, api_key: str = API_KEY, **kwargs: Any) -> ModelProvider:
        provider: ModelProvider = classes[name](
            MODELS[name], api_key=api_key, base_url=base_url, policy=policy, **kwargs
        )
        return provider

    return make


def open_vendor(name: str, fakes: dict[str, FakeVendor]) -> Vendor:
    """The named vendor's fake, reset, and a maker of its provider pointed at it by base URL."""
    fake = fakes[name]
    fake.reset()
    base_url = fake.url + "/v1" if name == "openai" else fake.url
    return Vendor(name=name, fake=fake, make=_maker(name, base_url), base_url=base_url)


@pytest.fixture(params=["gemini", "openai", "anthropic"])
def vendor(request: pytest.FixtureRequest, fakes: dict[str, FakeVendor]) -> Iterator[Vendor]:
    """Each real provider in turn, pointed at its fake, with a clean fake."""
    yield open_vendor(request.param, fakes)
    fakes[request.param].reset()


@pytest.fixture
def gemini(fakes: dict[str, FakeVendor]) -> Iterator[Vendor]:
    """The Gemini provider and its fake alone, for Gemini-only behaviour."""
    yield open_vendor("gemini", fakes)
    fakes["gemini"].reset()

"""No credential reaches an exception, a repr, a log line or anything but the vendor's auth header."""

from __future__ import annotations

import logging
import traceback

import pytest

from orchestrator.gateway import Message, ModelRequest, ProviderError, RetryPolicy, TextPart
from tests.fakes.server import Hang, Status, Turn
from tests.unit.gateway.conftest import API_KEY, Vendor

ENV = {
    "gemini": ("GOOGLE_GEMINI_BASE_URL", "GEMINI_API_KEY"),
    "openai": ("OPENAI_BASE_URL", "OPENAI_API_KEY"),
    "anthropic": ("ANTHROPIC_BASE_URL", "ANTHROPIC_API_KEY"),
}
REQUEST = ModelRequest(messages=[Message(role="user", parts=[TextPart(text="hi")])])


def _everything_about(exc: BaseException) -> str:
    """The exception as any log handler or error body could render it, chained causes included."""
    return "\n".join([str(exc), repr(exc), *traceback.format_exception(exc), str(vars(exc))])


async def test_key_never_leaks(vendor: Vendor, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    provider = vendor.make()
    quick = vendor.make(policy=RetryPolicy(max_attempts=2, base_delay_s=0, call_timeout_s=0.3, deadline_s=1))
    echo = f"Incorrect API key provided: {API_KEY}"
    vendor.fake.queue(
        Turn(text="fine"),
        Turn(text="streamed fine"),
        Status(401, echo),
        Status(500, echo),
        Status(500, echo),
        Hang(3),
        Hang(3),
    )
    seen: list[str] = [repr(provider), repr(quick)]
    await provider.generate(REQUEST)
    seen += [repr(e) async for e in provider.stream(REQUEST)]
    for call in (provider.generate, quick.generate, quick.generate):
        with pytest.raises(ProviderError) as caught:
            await call(REQUEST)
        seen.append(_everything_about(caught.value))
    seen.append((await provider.check()).detail)
    seen += [r.getMessage() for r in caplog.records] + [caplog.text]
    assert "Incorrect API key provided" in "\n".join(seen)  # the vendor's message is kept...
    leaked = [s for s in seen if API_KEY in s or API_KEY[:12] in s]
    assert leaked == []  # ...but never the key


async def test_sdk_environment_variables_are_honoured(
    vendor: Vendor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no explicit settings, each provider finds its vendor through the SDK's own variables."""
    url_var, key_var = ENV[vendor.name]
    for var in ("GOOGLE_API_KEY", "GOOGLE_GENAI_USE_VERTEXAI", *ENV[vendor.name]):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv(url_var, vendor.base_url)
    monkeypatch.setenv(key_var, API_KEY)
    provider = type(vendor.make())(vendor.make().model)  # type: ignore[call-arg]
    vendor.fake.queue(Turn(text="from env"))
    assert (await provider.generate(REQUEST)).text == "from env"
    headers = vendor.fake.requests[-1].headers
    assert any(API_KEY in v for v in headers.values())

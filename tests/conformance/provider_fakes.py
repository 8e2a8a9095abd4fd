"""The three fake model vendors, a reactive agent policy, and a `warren serve` whose SDKs use them.

The server's environment points each vendor SDK at its fake by the SDK's own base-URL variable
(`GOOGLE_GEMINI_BASE_URL`, `OPENAI_BASE_URL`, `ANTHROPIC_BASE_URL`) and holds the sentinel keys of
`SECRET_KEYS`, so the production providers run unchanged and every key is recognisable in output.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.conformance.conftest import SECRET_KEYS, Server
from tests.fakes.anthropic import FakeAnthropic
from tests.fakes.gemini import FakeGemini
from tests.fakes.openai import FakeOpenAI
from tests.fakes.server import FakeVendor, Policy, Status, ToolCall, Turn
from tests.support.serve import warren_serve

__all__ = [
    "NOTES",
    "READ_ID",
    "VENDORS",
    "WRITE_ID",
    "ProviderServer",
    "Vendor",
    "answer",
    "declared_tools",
    "provider_server",
    "reactive_policy",
]

NOTES = "notes.txt"
WRITE_ID = "call_write_notes"
READ_ID = "call_read_notes"
_VENDOR_VARS = (
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "GOOGLE_GEMINI_BASE_URL",
    "GOOGLE_GENAI_USE_VERTEXAI",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_BASE_URL",
)


@dataclass(frozen=True)
class Vendor:
    """How one vendor is faked and configured."""

    model: str
    """The Warren model name that selects the vendor's provider."""
    fake: type[FakeVendor]
    url_var: str
    """The SDK's base-URL variable."""
    key_var: str
    """The SDK's key variable (its value is a sentinel of `SECRET_KEYS`)."""
    url_path: str
    """What follows the fake's address in the base URL."""

    @property
    def key(self) -> str:
        """The sentinel key the server holds for this vendor."""
        return SECRET_KEYS[self.key_var]


VENDORS = {
    "gemini": Vendor("gemini:gemini-3-pro", FakeGemini, "GOOGLE_GEMINI_BASE_URL", "GEMINI_API_KEY", ""),
    "openai": Vendor("openai:gpt-5", FakeOpenAI, "OPENAI_BASE_URL", "OPENAI_API_KEY", "/v1"),
    "anthropic": Vendor(
        "anthropic:claude-sonnet-4-5", FakeAnthropic, "ANTHROPIC_BASE_URL", "ANTHROPIC_API_KEY", ""
    ),
}
"""The real providers, by name."""


def declared_tools(vendor: str, body: dict[str, Any]) -> set[str]:
    """Names of the tools a request body declares, in the vendor's format."""
    tools = body.get("tools") or []
    if vendor == "gemini":
        return {d["name"] for t in tools for d in t.get("functionDeclarations") or []}
    if vendor == "openai":
        return {t["function"]["name"] for t in tools if t.get("type") == "function"}
    return {t["name"] for t in tools}


def answer(content: str) -> str:
    """The model's final text, quoting what it read back."""
    return f"The note in {NOTES} says: {content}"


def reactive_policy(vendor: str, content: str) -> Policy:
    """A model that writes `content` to notes.txt, reads it back, then quotes it.

    Each turn is decided from the tool results in the request: a missing tool, a wrong call id, a
    write that did not report success or a read without the content is answered with 400, so the
    interaction fails and the test shows the fake's reason.
    """
    fake = VENDORS[vendor].fake

    def decide(body: dict[str, Any]) -> Turn | Status:
        tools = declared_tools(vendor, body)
        if not {"write_file", "read_file"} <= tools:
            return Status(400, f"fake policy: write_file/read_file not declared (got {sorted(tools)})")
        results = fake.tool_results(body)  # type: ignore[attr-defined]
        ids = [call_id for call_id, _ in results]
        if not results:
            write = ToolCall("write_file", {"path": NOTES, "content": content}, id=WRITE_ID)
            return Turn(thought="I will write the note first.", tool_calls=[write])
        if ids == [WRITE_ID] and f"Created {NOTES}" in results[0][1]:
            return Turn(tool_calls=[ToolCall("read_file", {"path": NOTES}, id=READ_ID)])
        if ids == [WRITE_ID, READ_ID] and content in results[1][1]:
            return Turn(text=answer(content), chunks=4)
        return Status(400, f"fake policy: unexpected tool results {results!r}")

    return decide


@dataclass
class ProviderServer:
    """A `warren serve` pointed at the three fakes, and one tenant's key."""

    server: Server
    fakes: dict[str, FakeVendor]
    data_dir: Path

    @property
    def log(self) -> Path:
        """The server's combined stdout and stderr."""
        return self.data_dir / "server.log"

    def reset(self) -> None:
        """Clean fakes (no requests, no policy) for the next test."""
        for fake in self.fakes.values():
            fake.reset()


@contextlib.contextmanager
def provider_server(sandbox_image: str) -> Iterator[ProviderServer]:
    """Start the three fakes and a `warren serve` (fresh SQLite store) that reaches them."""
    fakes: dict[str, FakeVendor] = {name: vendor.fake() for name, vendor in VENDORS.items()}
    for fake in fakes.values():
        fake.start()
    data = Path(tempfile.mkdtemp(prefix="warren-providers-"))
    env = {k: v for k, v in os.environ.items() if k not in _VENDOR_VARS}
    env |= {**SECRET_KEYS, "WARREN_DATA_DIR": str(data), "WARREN_SANDBOX_IMAGE": sandbox_image}
    env |= {"WARREN_MODEL_CALL_TIMEOUT_S": "2", "WARREN_MODEL_DEADLINE_S": "6"}  # a hang ends fast
    env |= {vendor.url_var: fakes[name].url + vendor.url_path for name, vendor in VENDORS.items()}
    try:
        with warren_serve(env, data, ["providers"], start_timeout_s=60) as running:
            key = running.keys["providers"]
            yield ProviderServer(Server(running.url, key, key), fakes, data)
    finally:
        for fake in fakes.values():
            fake.stop()
        shutil.rmtree(data, ignore_errors=True)

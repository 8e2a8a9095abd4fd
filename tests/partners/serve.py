"""A `warren serve` for the partner clients: fresh SQLite store, the real gemini provider pointed at
the fake Gemini server, and `scripts/` ahead of the bundled scripts (a short `demo`).

The fake Gemini answers every call with `heard(<the last user text>)`, so a test knows which request
reached the model; the suite then reads the fake's request log for the model name, the system
instruction and the history it was sent.
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

from tests.conformance.conftest import SECRET_KEYS
from tests.conformance.provider_fakes import VENDORS
from tests.fakes.gemini import FakeGemini
from tests.fakes.server import Turn
from tests.support.serve import warren_serve

SCRIPTS = Path(__file__).parent / "scripts"
_DROPPED = ("GOOGLE_API_KEY", "GOOGLE_GENAI_USE_VERTEXAI", "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL")


def heard(text: str) -> str:
    """The fake Gemini model's answer to a request whose last user text is `text`."""
    return f"Gemini heard: {text}"


def last_user_text(body: dict[str, Any]) -> str:
    """The text of the last user turn of a Gemini request body."""
    users = [c for c in body.get("contents", []) if c.get("role") == "user"]
    return "".join(p.get("text", "") for p in users[-1].get("parts", [])) if users else ""


def _echo(body: dict[str, Any]) -> Turn:
    return Turn(text=heard(last_user_text(body)), chunks=3)


@dataclass(frozen=True)
class PartnerServer:
    """The server, one tenant's key, and the fake Gemini behind it."""

    url: str
    key: str
    gemini: FakeGemini

    def gemini_posts(self) -> list[dict[str, Any]]:
        """(path, body) of every model call the fake received, oldest first."""
        return [{"path": r.path, "body": r.body or {}} for r in self.gemini.requests if r.method == "POST"]


@contextlib.contextmanager
def partner_server(sandbox_image: str) -> Iterator[PartnerServer]:
    """Start the fake Gemini and a `warren serve` that reaches it; stop both afterwards."""
    gemini, spec = FakeGemini(), VENDORS["gemini"]
    gemini.start()
    gemini.fallback = _echo
    data = Path(tempfile.mkdtemp(prefix="warren-partners-"))
    env = {k: v for k, v in os.environ.items() if k not in _DROPPED}
    env |= {**SECRET_KEYS, "WARREN_DATA_DIR": str(data), "WARREN_SANDBOX_IMAGE": sandbox_image}
    env |= {"WARREN_SCRIPTS_DIR": str(SCRIPTS), spec.url_var: gemini.url + spec.url_path}
    try:
        with warren_serve(env, data, ["partners"], start_timeout_s=60) as running:
            yield PartnerServer(running.url, running.keys["partners"], gemini)
    finally:
        gemini.stop()
        shutil.rmtree(data, ignore_errors=True)

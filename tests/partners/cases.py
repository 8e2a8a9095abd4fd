"""The prompts and answers both partner suites use, so each case finds its own model call."""

from __future__ import annotations

from typing import Any

from tests.partners.serve import PartnerServer, heard, last_user_text

MODEL = "gemini:gemini-3-flash-preview"
"""Warren's name: the gemini provider, model `gemini-3-flash-preview`."""
BARE = "gemini-3-flash-preview"
"""The name every Google sample uses."""
PRESET = "antigravity-preview-05-2026"
SYSTEM = "Answer in one short line."
AGENT_ANSWER = "The default agent ran in its sandbox."
"""The answer of `scripts/demo.yaml`, the default agent's model in this suite."""


def model_call(partner: PartnerServer, prompt: str) -> dict[str, Any]:
    """The one model call the fake Gemini received whose last user text is `prompt`."""
    found = [p for p in partner.gemini_posts() if last_user_text(p["body"]) == prompt]
    assert len(found) == 1, f"{len(found)} model calls for {prompt!r}"
    return found[0]


def system_text(body: dict[str, Any]) -> str:
    """The system instruction of a Gemini request body."""
    return "".join(p.get("text", "") for p in (body.get("systemInstruction") or {}).get("parts", []))


def history(body: dict[str, Any]) -> list[tuple[str, str]]:
    """(role, text) of every turn of a Gemini request body."""
    return [(c["role"], "".join(p.get("text", "") for p in c.get("parts", []))) for c in body["contents"]]


__all__ = [
    "AGENT_ANSWER",
    "BARE",
    "MODEL",
    "PRESET",
    "SYSTEM",
    "heard",
    "history",
    "model_call",
    "system_text",
]

"""What the MCP tools answer about a run: its status, its steps (long values shortened), its text.

An IDE agent reads these answers as text, so a run's view keeps what it needs to act (status, the
final text, what each step did, where its files are) and shortens the rest: long strings are cut,
base64 payloads and signatures are left out.
"""

from __future__ import annotations

from typing import Any

__all__ = ["MAX_STRING_CHARS", "TERMINAL", "output_text", "run_view", "shortened"]

TERMINAL = frozenset({"completed", "failed", "cancelled", "requires_action", "incomplete", "budget_exceeded"})
"""Statuses after which a run does nothing more (the API's own list)."""
MAX_STRING_CHARS = 2000
"""A string in a step longer than this is cut (**characters**)."""


def shortened(value: Any) -> Any:
    """`value` (JSON) with long strings cut and opaque payloads replaced by their size."""
    if isinstance(value, str):
        if len(value) <= MAX_STRING_CHARS:
            return value
        return f"{value[:MAX_STRING_CHARS]}… [{len(value) - MAX_STRING_CHARS} more characters]"
    if isinstance(value, list):
        return [shortened(item) for item in value]
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key == "signature":  # opaque, only for the model
                continue
            if key == "data" and isinstance(item, str) and len(item) > MAX_STRING_CHARS:  # base64 media
                out[key] = f"[{len(item)} characters of base64 left out]"
                continue
            out[key] = shortened(item)
        return out
    return value


def _texts(content: Any) -> list[str]:
    if not isinstance(content, list):
        return []
    return [
        str(block["text"]) for block in content if isinstance(block, dict) and block.get("type") == "text"
    ]


def output_text(steps: list[dict[str, Any]]) -> str:
    """The model's text after the last user input: the run's answer."""
    last_input = max((i for i, step in enumerate(steps) if step.get("type") == "user_input"), default=-1)
    parts: list[str] = []
    for step in steps[last_input + 1 :]:
        if step.get("type") == "model_output":
            parts.extend(_texts(step.get("content")))
    return "\n".join(parts)


def run_view(interaction: dict[str, Any], from_step: int = 0) -> dict[str, Any]:
    """A run as an MCP tool answers it: ids, status, the steps from `from_step`, and its text once ended."""
    steps: list[dict[str, Any]] = interaction.get("steps") or []
    status = str(interaction.get("status"))
    view: dict[str, Any] = {"interaction_id": interaction.get("id"), "status": status}
    for name in ("agent", "model", "environment_id", "previous_interaction_id", "errors", "usage"):
        if interaction.get(name):
            view[name] = interaction[name]
    view["steps"] = [shortened(step) for step in steps[from_step:]]
    view["next_step"] = len(steps)
    if status in TERMINAL:
        view["output_text"] = shortened(output_text(steps))
    else:
        view["note"] = "still running: call warren_get_run with wait_s and from_step=next_step to follow it"
    return view

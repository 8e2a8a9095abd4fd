"""Which built-in calls wait for a person's approval (`agent_config.require_approval`).

A rule names tools by a regular expression searched in the tool's name and, optionally, one
searched in each string among the call's arguments (at any depth), so `{"tool": "^run_code$",
"arguments": "rm\\s+-rf|curl"}` guards only the commands that match. The rules are the tenant's own
patterns, so they run here in the tenant's sandbox, never in the orchestrator.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from agents.model_types import ToolCallPart
from agents.protocol import ApprovalRule

__all__ = ["approval_reason"]

_MAX_STRINGS = 256


def approval_reason(rules: list[ApprovalRule], call: ToolCallPart) -> str | None:
    """Why `call` must wait for approval (the first matching rule's reason), or None."""
    for index, rule in enumerate(rules):
        if not re.search(rule.tool, call.name):
            continue
        if rule.arguments is not None and not any(
            re.search(rule.arguments, text) for text in _strings(call.arguments, _MAX_STRINGS)
        ):
            continue
        return rule.reason or f"require_approval[{index}] matches this {call.name} call"
    return None


def _strings(value: Any, budget: int) -> Iterator[str]:
    """The strings in a JSON value, depth first, at most `budget` of them."""
    stack = [value]
    while stack and budget > 0:
        item = stack.pop()
        if isinstance(item, str):
            budget -= 1
            yield item
        elif isinstance(item, dict):
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))

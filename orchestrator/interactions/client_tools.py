"""The client's own functions in a wire request, as the neutral declarations a model is offered.

A request's `tools` mixes the client's `function` declarations with built-in tool types
(`code_execution`, `url_context`, ...); only the former are the client's, to be called by the model
and answered by the client. A model-form turn and an agent's work item both offer them.
"""

from __future__ import annotations

from typing import Any

from agents.model_types import ToolDeclaration

__all__ = ["client_functions"]


def client_functions(request: dict[str, Any]) -> list[ToolDeclaration]:
    """The request's `function` tools, in order, with an empty object schema when none is given."""
    return [
        ToolDeclaration(
            name=t["name"],
            description=t.get("description", ""),
            parameters=t.get("parameters") or {"type": "object"},
        )
        for t in request.get("tools") or []
        if t.get("type") == "function"
    ]

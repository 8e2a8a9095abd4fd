"""A model-form interaction's one turn, run here in the orchestrator through the gateway.

The stored request (system instruction, client function declarations, generation config) and the
conversation so far become one neutral `ModelRequest`; the recorder turns the model's stream into
steps and events. The turn pauses as `requires_action` when the model calls a client function.
"""

from __future__ import annotations

from typing import Any

from agents.model_types import ModelRequest, ToolCallPart
from orchestrator.gateway.registry import ProviderRegistry
from orchestrator.interactions.client_tools import client_functions
from orchestrator.interactions.history import to_messages
from orchestrator.interactions.model_settings import final_status, generation_config
from orchestrator.interactions.recorder import Recorder
from orchestrator.store.interactions import InteractionRecord

__all__ = ["model_request", "run_model_turn"]

Step = dict[str, Any]


def model_request(request: dict[str, Any], history: list[Step]) -> ModelRequest:
    """The neutral model request for a stored wire request and the conversation so far."""
    return ModelRequest(
        system=request.get("system_instruction"),
        messages=to_messages(history),
        tools=client_functions(request),
        config=generation_config(request),
    )


async def run_model_turn(
    gateway: ProviderRegistry, record: InteractionRecord, recorder: Recorder, history: list[Step]
) -> str:
    """Run the turn and return the interaction's status after it.

    Raises:
        GatewayError: the provider failed.
    """
    request = model_request(record.request, history)
    provider = gateway.resolve(str(record.model))
    # The caller ends the interaction at once and stores the turn with the final status, in one transaction.
    response = await recorder.model_turn(provider.stream(request), flush=False)
    if any(isinstance(part, ToolCallPart) for part in response.parts):
        return "requires_action"
    return await final_status(response, request.config)

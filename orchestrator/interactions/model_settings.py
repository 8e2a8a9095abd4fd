"""A create request's model settings as the neutral `GenerationConfig`, refused by name when not honoured.

The wire request (as stored) carries `generation_config`, `response_format`, `response_mime_type`
and `safety_settings`; `generation_config` turns them into the neutral settings every provider
reads, and `check_supported` asks the model's provider which it cannot honour. Both raise
`InvalidArgument` with the wire field path at create time, before anything is stored, so no
setting is accepted and then silently dropped.

Structured output is text in Warren: a `response_format` of another `type` is refused. The agent
form takes safety settings (passed to every model call of the agent) but not structured output,
whose final-answer check is the model form's (`model_form.run_model_turn`).
"""

from __future__ import annotations

import asyncio
from typing import Any

from agents.model_types import GenerationConfig, ModelRequest, ModelResponse, SafetySetting, ToolChoice
from orchestrator.errors import InvalidArgument
from orchestrator.gateway.provider import ModelProvider
from orchestrator.gateway.structured import schema_problem, validate_answer

__all__ = ["agent_config", "check_supported", "final_status", "generation_config"]

_JSON, _PLAIN = "application/json", "text/plain"
_WIRE_PATHS = {
    "seed": "generation_config.seed",
    "tool_choice": "generation_config.tool_choice",
    "thinking_level": "generation_config.thinking_level",
    "safety_settings": "safety_settings",
}


def _text_format(request: dict[str, Any]) -> tuple[str | None, dict[str, Any] | None, str]:
    """(mime type, schema, field path) of the request's one text format."""
    formats = request.get("response_format")
    if formats is None:
        return None, None, "response_format"
    indexed = [(None, formats)] if isinstance(formats, dict) else list(enumerate(formats))
    found: tuple[str | None, dict[str, Any] | None, str] | None = None
    for index, item in indexed:
        path = "response_format" if index is None else f"response_format[{index}]"
        if item.get("type", "text") != "text":
            message = f"Warren answers in text only; {item['type']!r} output is not supported"
            raise InvalidArgument(message, field=f"{path}.type")
        if found is not None:
            raise InvalidArgument("only one text format may be given", field=path)
        found = (item.get("mime_type"), item.get("schema"), path)
    return found or (None, None, "response_format")


def _json_settings(request: dict[str, Any]) -> tuple[bool, dict[str, Any] | None]:
    mime, schema, path = _text_format(request)
    legacy = request.get("response_mime_type")
    if legacy is not None and legacy not in (_JSON, _PLAIN):
        raise InvalidArgument(f"must be {_JSON!r} or {_PLAIN!r}", field="response_mime_type")
    if legacy is not None and mime is not None and legacy != mime:
        raise InvalidArgument(f"conflicts with {path}.mime_type {mime!r}", field="response_mime_type")
    mime = mime or legacy
    if schema is not None:
        if mime == _PLAIN:
            raise InvalidArgument(f"a schema needs mime_type {_JSON!r}", field=f"{path}.schema")
        problem = schema_problem(schema)
        if problem is not None:
            raise InvalidArgument(f"the schema {problem}", field=f"{path}.schema")
    return mime == _JSON or schema is not None, schema


def _safety(request: dict[str, Any]) -> list[SafetySetting]:
    settings, seen = [], set()
    for index, item in enumerate(request.get("safety_settings") or []):
        if item["type"] in seen:
            raise InvalidArgument(f"{item['type']!r} is set twice", field=f"safety_settings[{index}].type")
        seen.add(item["type"])
        method = item.get("method")
        settings.append(SafetySetting(category=item["type"], threshold=item["threshold"], method=method))
    return settings


def _tool_choice(value: Any) -> ToolChoice | None:
    if value is None or isinstance(value, str):
        return None if value is None else ToolChoice(mode=value)
    allowed = value.get("allowed_tools") or {}
    return ToolChoice(mode=allowed.get("mode") or "auto", tools=allowed.get("tools"))


def generation_config(request: dict[str, Any]) -> GenerationConfig:
    """The neutral settings of a model-form request. Raises `InvalidArgument` naming the field."""
    config = request.get("generation_config") or {}
    json_output, schema = _json_settings(request)
    return GenerationConfig(
        temperature=config.get("temperature"),
        max_output_tokens=config.get("max_output_tokens"),
        top_p=config.get("top_p"),
        stop=config.get("stop_sequences") or [],
        seed=config.get("seed"),
        thinking_level=config.get("thinking_level"),
        tool_choice=_tool_choice(config.get("tool_choice")),
        json_output=json_output,
        response_schema=schema,
        safety_settings=_safety(request),
        include_thoughts=config.get("thinking_summaries") != "none",
    )


def agent_config(request: dict[str, Any]) -> GenerationConfig:
    """The neutral settings of an agent-form request: safety settings only; structured output is refused."""
    json_output, _ = _json_settings(request)
    if json_output:
        field = "response_mime_type" if request.get("response_format") is None else "response_format"
        raise InvalidArgument("structured output is supported in the model form only", field=field)
    return GenerationConfig(safety_settings=_safety(request))


def check_supported(provider: ModelProvider, model_request: ModelRequest, request: dict[str, Any]) -> None:
    """Refuse the first setting `provider` cannot honour, naming its wire field.

    Raises:
        InvalidArgument: the provider named a setting it cannot honour.
    """
    for refusal in provider.unsupported(model_request):
        field = _WIRE_PATHS.get(refusal.setting) or _text_format(request)[2]
        if refusal.setting == "response_schema" and request.get("response_format") is None:
            field = "response_mime_type"
        raise InvalidArgument(f"{refusal.reason} (model {provider.name}:{provider.model})", field=field)


async def final_status(response: ModelResponse, config: GenerationConfig) -> str:
    """`incomplete` for a cut-off answer, else `completed` once a JSON answer matched its schema.

    Raises:
        StructuredOutputError: JSON was asked for and the answer is not it (`invalid_structured_output`).
    """
    if response.finish_reason == "max_tokens":
        return "incomplete"
    if config.wants_json:  # a tenant's schema: off the loop (a thread hop costs every other answer)
        await asyncio.to_thread(validate_answer, response.text, config)
    return "completed"

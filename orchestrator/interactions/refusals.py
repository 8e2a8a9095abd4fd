"""Request fields Warren does not carry out, refused by name before anything is stored.

A field the SDK can send is either honoured or refused with a 400 naming it: accepting it and
doing nothing would give the client a 200 and a silent difference. `docs/wire.md` lists every
field and what Warren does; this module holds the refusals that depend on no provider (those that
depend on the model's provider are the gateway's).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from orchestrator.egress.policy import Resolver
from orchestrator.errors import InvalidArgument
from orchestrator.mcp_tools import refuse_mcp_servers

__all__ = ["ModelBuiltins", "refuse_environment", "refuse_tools", "refuse_unsupported"]

_REFUSED = {
    "cached_content": "is not supported: this server keeps no cached contents; send the content as input",
    "continuation_token": "is not supported: this server never answers requires_continuation, so it has "
    "no continuation token to take back",
}
_MEDIA_OUTPUT = ("speech_config", "image_config", "video_config")
_MODEL_FORM_TOOLS = {
    "url_context": "url_context is not enabled in the model form on this server (its operator allows no "
    "URLs); use an agent, whose sandbox browses through its environment's network allowlist",
    "google_search": "google_search is not enabled in the model form on this server (it has no search "
    "backend); use an agent, whose sandbox searches the web through its environment's network allowlist",
}


@dataclass(frozen=True)
class ModelBuiltins:
    """Which server-side tools a model-form interaction can use on this server."""

    code_execution: bool = False
    """A sandbox backend exists to run the model's code."""
    url_context: bool = False
    """The operator allows some URLs (`WARREN_MODEL_URL_ALLOWLIST`)."""
    google_search: bool = False
    """The operator configured a search backend (`WARREN_SEARCH_URL`)."""


def refuse_unsupported(
    request: Mapping[str, Any], builtins: ModelBuiltins, mcp: Resolver | None = None
) -> None:
    """Raise `InvalidArgument` naming the first field of a create request Warren would not carry out.

    `mcp`: the address rules `mcp_server` tools connect under; None refuses them.
    """
    if request.get("store") is False and request.get("background"):
        raise InvalidArgument(
            "must be true with background: a background interaction is read later with get", field="store"
        )
    for name, why in _REFUSED.items():
        if request.get(name) is not None:
            raise InvalidArgument(why, field=name)
    for index, modality in enumerate(request.get("response_modalities") or []):
        if modality != "text":
            raise InvalidArgument(
                f"only 'text' output is supported, not {modality!r}", field=f"response_modalities[{index}]"
            )
    config = request.get("generation_config") or {}
    for name in _MEDIA_OUTPUT:
        if config.get(name) is not None:
            raise InvalidArgument("only text output is supported", field=f"generation_config.{name}")
    model_form = request.get("model") is not None
    if model_form and request.get("environment") is not None:
        raise InvalidArgument(
            "a model-form interaction runs in no environment; use an agent, or leave it out",
            field="environment",
        )
    if isinstance(request.get("environment"), Mapping):
        refuse_environment(request["environment"], "environment")
    refuse_tools(request.get("tools") or [], "tools", builtins if model_form else None, mcp)


def refuse_tools(
    tools: Sequence[Mapping[str, Any]],
    field: str,
    builtins: ModelBuiltins | None,
    mcp: Resolver | None = None,
) -> None:
    """Refuse the tools Warren cannot run; `builtins` is None for an agent (its sandbox runs them all),
    `mcp` None when this server connects to no MCP server (`mcp_tools.refuse_mcp_servers`)."""
    refuse_mcp_servers(tools, field, mcp)
    for index, tool in enumerate(tools):
        kind, where = tool.get("type"), f"{field}[{index}]"
        if kind == "function" and tool.get("defer_loading"):
            raise InvalidArgument(
                "deferred loading needs tool_search, which this server does not support; "
                "send false or leave it out",
                field=f"{where}.defer_loading",
            )
        if builtins is None:
            continue
        if kind in _MODEL_FORM_TOOLS and not getattr(builtins, str(kind)):
            raise InvalidArgument(_MODEL_FORM_TOOLS[kind], field=f"{where}.type")
        if kind == "google_search" and set(tool.get("search_types") or []) - {"web_search"}:
            raise InvalidArgument(
                "only web_search is supported in the model form", field=f"{where}.search_types"
            )
        if kind == "code_execution" and not builtins.code_execution:
            raise InvalidArgument(
                "code_execution needs a sandbox backend; this server has none", field=f"{where}.type"
            )


def refuse_environment(environment: Mapping[str, Any], field: str) -> None:
    """Refuse the self-hosted settings of an environment config (at `field`, "" for a top-level
    body): Warren runs every sandbox itself."""
    prefix = f"{field}." if field else ""
    if environment.get("mode") == "self_hosted":
        raise InvalidArgument(
            "self_hosted environments are not supported; use on_demand", field=f"{prefix}mode"
        )
    for name in ("custom_config", "system_instruction"):
        if environment.get(name) is not None:
            raise InvalidArgument(
                "is only for self_hosted environments, which this server does not support",
                field=f"{prefix}{name}",
            )

"""A wire `mcp_server` tool, checked: its name, URL, headers and allowed tools.

`McpServerSpec.parse` refuses, with a 400 naming the field, what Warren would not send: a name that
cannot prefix the model's tool names, a URL that is not absolute http(s), headers that are not plain
tokens and visible ASCII (or that the MCP transport sets itself), `allowed_tools` modes other than
`auto`, and `defer_loading`. The model sees a server's tool `t` as `<name>__<t>` (`model_name`), so
tools of several servers and the built-ins never share a name; `McpServerSpec.parse_all` refuses two
servers of one name and a client function whose name takes a server's prefix.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from orchestrator.egress.pinned import check_uri
from orchestrator.errors import InvalidArgument

__all__ = [
    "MAX_HEADERS",
    "MAX_SERVERS",
    "REDACTED",
    "SEPARATOR",
    "McpServerSpec",
    "model_name",
    "redacted_tools",
    "split_name",
]

SEPARATOR = "__"
"""Between the server's name and its tool's name in the name the model calls."""
MAX_SERVERS = 8
"""`mcp_server` tools on one interaction or agent."""
MAX_HEADERS = 16
"""Headers on one `mcp_server` tool."""
_MAX_VALUE = 4096
_SERVER_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,31}(?:_[A-Za-z0-9-]+)*")
"""A letter, then letters, digits, `-` and single `_` (never the separator), at most 32 or so."""
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}")
_VALUE = re.compile(r"[\x20-\x7e\t]*")
_TRANSPORT_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "content-type",
        "accept",
        "accept-encoding",
        "connection",
        "keep-alive",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
        "last-event-id",
        "mcp-session-id",
        "mcp-protocol-version",
        "mcp-method",
        "mcp-name",
    }
)
"""Headers the MCP transport or HTTP itself sets; a tool may not replace them."""


REDACTED = "[redacted]"
"""What an echoed `mcp_server` tool shows for each header value."""


def redacted_tools(tools: Any) -> Any:
    """A wire tool list as echoed back (a resource, an event): `mcp_server` header values hidden.

    The stored request keeps them (the orchestrator sends them); nothing shown to anyone does.
    """
    if not isinstance(tools, list):
        return tools
    return [
        {**tool, "headers": dict.fromkeys(tool["headers"], REDACTED)}
        if isinstance(tool, Mapping)
        and tool.get("type") == "mcp_server"
        and isinstance(tool.get("headers"), Mapping)
        else tool
        for tool in tools
    ]


def model_name(server: str, tool: str) -> str:
    """The name the model calls the server's `tool` by."""
    return f"{server}{SEPARATOR}{tool}"


def split_name(name: str) -> tuple[str, str]:
    """`(server, tool)` of a model-facing name (the server's name never holds the separator)."""
    server, _, tool = name.partition(SEPARATOR)
    return server, tool


@dataclass(frozen=True)
class McpServerSpec:
    """One `mcp_server` tool, checked."""

    name: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    """Sent only to this server; never logged, stored in steps or put in an error (hence no repr)."""
    allowed: frozenset[str] | None = None
    """The tool names the model may call; None: every tool the server lists."""

    def allows(self, tool: str) -> bool:
        """Whether `allowed_tools` lets the model call `tool`."""
        return self.allowed is None or tool in self.allowed

    @classmethod
    def parse(cls, tool: Mapping[str, Any], where: str) -> McpServerSpec:
        """The spec of one wire tool at `where` (e.g. `tools[2]`).

        Raises:
            InvalidArgument: naming the offending field.
        """
        name = tool.get("name")
        if not isinstance(name, str) or not _SERVER_NAME.fullmatch(name) or len(name) > 32:
            raise InvalidArgument(
                "must be 1 to 32 letters, digits, '-' or '_', starting with a letter and without '__' "
                f"(the model calls the server's tools '<name>{SEPARATOR}<tool>')",
                field=f"{where}.name",
            )
        url = tool.get("url")
        if not isinstance(url, str):
            raise InvalidArgument("must be the server's http(s) URL", field=f"{where}.url")
        try:
            check_uri(url)
        except ValueError as exc:
            raise InvalidArgument(str(exc), field=f"{where}.url") from None
        if tool.get("defer_loading"):
            raise InvalidArgument(
                "deferred loading needs tool_search, which this server does not support; "
                "send false or leave it out",
                field=f"{where}.defer_loading",
            )
        return cls(
            name, url, _headers(tool.get("headers"), where), _allowed(tool.get("allowed_tools"), where)
        )

    @classmethod
    def parse_all(cls, tools: Sequence[Mapping[str, Any]], where: str) -> list[McpServerSpec]:
        """The specs of every `mcp_server` tool in a wire tool list, names unique and unclaimed."""
        specs: list[McpServerSpec] = []
        for index, tool in enumerate(tools):
            if tool.get("type") != "mcp_server":
                continue
            spec = cls.parse(tool, f"{where}[{index}]")
            if any(other.name == spec.name for other in specs):
                raise InvalidArgument(
                    f"another mcp_server tool is named {spec.name!r}", field=f"{where}[{index}].name"
                )
            specs.append(spec)
        if len(specs) > MAX_SERVERS:
            raise InvalidArgument(f"at most {MAX_SERVERS} mcp_server tools", field=where)
        prefixes = tuple(model_name(spec.name, "") for spec in specs)
        for index, tool in enumerate(tools):
            if tool.get("type") == "function" and str(tool.get("name") or "").startswith(prefixes or ("\0",)):
                raise InvalidArgument(
                    "a function may not take an mcp_server tool's prefix "
                    f"('<server name>{SEPARATOR}'): the model calls that server's tools so",
                    field=f"{where}[{index}].name",
                )
        return specs


def _headers(value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or len(value) > MAX_HEADERS:
        raise InvalidArgument(
            f"must map at most {MAX_HEADERS} header names to values", field=f"{where}.headers"
        )
    headers: dict[str, str] = {}
    for key, text in value.items():
        name = str(key)
        if not _TOKEN.fullmatch(name) or name.lower() in _TRANSPORT_HEADERS:
            raise InvalidArgument(
                f"header {name[:64]!r} is not a plain header name, or one the MCP transport sets itself",
                field=f"{where}.headers",
            )
        if not isinstance(text, str) or len(text) > _MAX_VALUE or not _VALUE.fullmatch(text):
            # the value itself is never echoed: it is usually a secret
            raise InvalidArgument(
                f"header {name!r} needs a value of at most {_MAX_VALUE} visible ASCII characters",
                field=f"{where}.headers",
            )
        headers[name] = text
    return headers


def _allowed(value: Any, where: str) -> frozenset[str] | None:
    if not value:
        return None
    names: set[str] = set()
    listed = False
    for index, entry in enumerate(value):
        mode = entry.get("mode") if isinstance(entry, Mapping) else None
        if mode not in (None, "auto"):
            raise InvalidArgument(
                "only mode auto is supported for an mcp_server's tools",
                field=f"{where}.allowed_tools[{index}].mode",
            )
        tools = entry.get("tools") if isinstance(entry, Mapping) else None
        if tools is not None:
            listed = True
            names.update(str(tool) for tool in tools)
    return frozenset(names) if listed else None

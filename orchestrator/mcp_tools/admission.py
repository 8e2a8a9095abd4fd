"""At create: the `mcp_server` tools of a request or an agent, refused with a 400 naming the field.

Besides the spec's own checks (`McpServerSpec.parse_all`), a URL whose host is an IP literal is
decided now by the egress address rules: loopback, private, link-local and this host's own
addresses are refused (`<field>.url`) unless the operator allowed that address and port
(`WARREN_EGRESS_ALLOW_ADDRESSES`), and a public literal needs the same allowance, as in the egress
proxy. A name is resolved and decided at every connection (`client.McpClient`), so a name that
resolves to a forbidden address is refused then, as the tool listing's error.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any

from orchestrator.egress.pinned import check_uri, literal_refusal
from orchestrator.egress.policy import Resolver
from orchestrator.errors import InvalidArgument
from orchestrator.mcp_tools.spec import McpServerSpec

__all__ = ["refuse_mcp_servers"]


def refuse_mcp_servers(tools: Sequence[Mapping[str, Any]], where: str, resolver: Resolver | None) -> None:
    """Raise `InvalidArgument` for the first `mcp_server` tool Warren would not connect to.

    `resolver` None: this server offers no `mcp_server` tools at all.
    """
    for index, tool in enumerate(tools):
        if tool.get("type") == "mcp_server" and resolver is None:
            raise InvalidArgument(
                "mcp_server tools are not enabled on this server", field=f"{where}[{index}].type"
            )
    if resolver is None:
        return
    McpServerSpec.parse_all(tools, where)
    for index, tool in enumerate(tools):
        if tool.get("type") != "mcp_server":
            continue
        url = str(tool["url"])
        why = literal_refusal(url, resolver)
        host, port = check_uri(url)
        if (
            why is None
            and _is_literal(host)
            and not resolver.operator_allows(ipaddress.ip_address(host.strip("[]")), port)
        ):
            why = "an IP literal, which only the operator can allow"
        if why is not None:
            raise InvalidArgument(
                f"refused by the egress address policy ({why}); an operator can allow that address "
                "and port with WARREN_EGRESS_ALLOW_ADDRESSES",
                field=f"{where}[{index}].url",
            )


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True

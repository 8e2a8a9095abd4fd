"""`mcp_server` tools: the orchestrator is the MCP client, so a tool's headers never enter a sandbox.

    client = McpClient(Resolver(allow=[AddressAllowance.parse("127.0.0.1:8931")]))
    refuse_mcp_servers(request["tools"], "tools", client.resolver)     # at create: 400 naming the field
    toolset = await McpToolset.open(client, McpServerSpec.parse_all(request["tools"], "tools"))
    request.tools += toolset.declarations                              # `<server>__<tool>` for the model
    step, result = await toolset.run(call)                             # an `mcp_server_tool_result` step

`spec` checks a wire tool, `admission` refuses at create, `client` talks to one server (pinned to
the address the egress rules checked, bounded), `toolset` is one interaction's tools.
"""

from orchestrator.mcp_tools.admission import refuse_mcp_servers
from orchestrator.mcp_tools.client import McpClient, McpError, McpLimits, McpOutput, McpTool
from orchestrator.mcp_tools.spec import SEPARATOR, McpServerSpec, model_name, redacted_tools, split_name
from orchestrator.mcp_tools.toolset import McpToolset, call_step_of, result_step_of

__all__ = [
    "SEPARATOR",
    "McpClient",
    "McpError",
    "McpLimits",
    "McpOutput",
    "McpServerSpec",
    "McpTool",
    "McpToolset",
    "call_step_of",
    "model_name",
    "redacted_tools",
    "refuse_mcp_servers",
    "result_step_of",
    "split_name",
]

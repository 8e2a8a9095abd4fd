"""Warren as an MCP server: Warren's verbs as MCP tools, for IDEs and other agents.

`tools.py` declares the tools (names, descriptions, input schemas), `verbs.py` carries each one out
as calls to Warren's public HTTP API (`api.py`) with the caller's own key, so tenancy, quotas and
rate limits are the API's. `server.py` builds the MCP server over them; `stdio.py` serves it on
stdin/stdout (`warren mcp`) and `http.py` on `warren serve`'s `/mcp` (streamable HTTP, key checked).
"""

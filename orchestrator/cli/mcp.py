"""`warren mcp`: serve Warren's verbs as MCP tools on stdin/stdout, for an IDE or another agent.

It talks to the server named by `--url` / `WARREN_URL` with the key of `--api-key` /
`WARREN_API_KEY` (or the config file), like the other commands; the key is checked before the MCP
session starts. The tools and their calls are in `orchestrator/mcp_server/`.
"""

from __future__ import annotations

from orchestrator.cli.common import ApiKeyOpt, CliError, UrlOpt, run_async
from orchestrator.cli.connection import connection

__all__ = ["mcp"]


def mcp(url: UrlOpt = None, api_key: ApiKeyOpt = None) -> None:
    """Serve Warren as an MCP server over stdio, for IDEs and agents that speak MCP.

    Its tools start an agent run in a sandbox, follow it, list and read its files, continue and
    cancel it (warren_start_run, warren_get_run, warren_list_files, warren_read_file,
    warren_continue_run, warren_cancel_run), each a call of the server's API with your key.
    Only MCP goes to stdout; errors go to stderr. See docs/clients.md for an IDE's config.

    Example: WARREN_URL=http://127.0.0.1:8080 WARREN_API_KEY=wk_... warren mcp
    """

    from orchestrator.mcp_server.api import ApiRefusal, ApiUnreachable  # the MCP SDK: ~0.5 s
    from orchestrator.mcp_server.stdio import serve_stdio

    async def go() -> None:
        conn = connection(url, api_key)
        assert conn is not None
        try:
            await serve_stdio(conn.url, conn.api_key)
        except ApiRefusal as exc:
            raise CliError(f"the server said {exc.status} {exc.code}: {exc.message}") from None
        except ApiUnreachable as exc:
            raise CliError(str(exc)) from None

    run_async(go())

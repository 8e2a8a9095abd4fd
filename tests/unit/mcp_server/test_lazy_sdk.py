"""`warren serve` starts without the MCP SDK (~0.45 s of every start): the `/mcp` endpoint imports it
with its first request, and the `mcp_server` tools' client with its first listing or call. That both
still work once imported is what `tests/cli/test_mcp_http.py` and `tests/unit/mcp_tools/` prove."""

from __future__ import annotations

import json

from tests.support.fresh_python import run_python

SDK = ("mcp", "mcp_types", "httpx2")


def test_the_server_imports_no_mcp_sdk_until_it_is_used() -> None:
    loaded = run_python(
        "import json, sys, orchestrator.compose\n"
        "print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})))"
    )
    assert not set(json.loads(loaded)) & set(SDK)

"""Tool calls refused before any API call: unknown tools and arguments outside the tool's schema."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from orchestrator.mcp_server.api import WarrenApi
from orchestrator.mcp_server.tools import MAX_WAIT_S, TOOL_SCHEMAS, TOOLS
from orchestrator.mcp_server.verbs import ToolFailure, call_tool, utf8_text


@pytest.fixture
async def api() -> AsyncIterator[WarrenApi]:
    """An API client of a closed port: a test that reaches it fails with a connection error."""
    async with httpx.AsyncClient(base_url="http://127.0.0.1:9") as http:
        yield WarrenApi(http, "wk_unused")


def test_every_tool_has_a_closed_object_schema_and_a_description() -> None:
    assert {tool.name for tool in TOOLS} == set(TOOL_SCHEMAS)
    for tool in TOOLS:
        assert tool.description and tool.input_schema["type"] == "object"
        assert tool.input_schema["additionalProperties"] is False


@pytest.mark.parametrize(
    ("name", "arguments", "named"),
    [
        ("warren_start_run", {}, "'input' is a required property"),
        ("warren_start_run", {"input": "x", "wait_s": MAX_WAIT_S + 1}, "wait_s"),
        ("warren_start_run", {"input": "x", "files": {"a": 1}}, "files.a"),
        ("warren_get_run", {"interaction_id": "i", "colour": "red"}, "colour"),
        ("warren_read_file", {"environment_id": "e", "path": "p", "max_bytes": 0}, "max_bytes"),
        ("warren_fly", {}, "unknown tool 'warren_fly'"),
    ],
)
async def test_bad_calls_are_refused_naming_what_is_wrong(
    api: WarrenApi, name: str, arguments: dict[str, object], named: str
) -> None:
    with pytest.raises(ToolFailure, match=named):
        await call_tool(api, name, arguments)


async def test_seed_files_and_an_environment_exclude_each_other(api: WarrenApi) -> None:
    with pytest.raises(ToolFailure, match="either environment_id or files"):
        await call_tool(api, "warren_start_run", {"input": "x", "environment_id": "e", "files": {"a": "b"}})


async def test_an_unreachable_server_is_a_tool_failure(api: WarrenApi) -> None:
    with pytest.raises(ToolFailure, match="cannot reach Warren"):
        await call_tool(api, "warren_get_run", {"interaction_id": "int_1"})


def test_text_cut_inside_a_character_stays_text_and_binary_does_not() -> None:
    data = "héllo".encode()
    assert utf8_text(data[:2], complete=False) == "h"  # the cut é is dropped, not an error
    assert utf8_text(data, complete=True) == "héllo"
    assert utf8_text(b"\x89PNG\r\n\x1a\n\x00\xff", complete=True) is None

"""The `result` shapes of function and MCP tool results: an object, a string, or a list of parts."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, Tag

from .common import by_json_kind
from .content import AudioContent, DocumentContent, ImageContent, TextContent, VideoContent
from .tools import Function

__all__ = ["CodeExecutionResult", "FunctionResultPart", "ToolResult"]

FunctionResultPart = Annotated[
    TextContent | ImageContent | AudioContent | VideoContent | DocumentContent | Function,
    Field(discriminator="type"),
]
"""One part of a list result: a content block, or a function declaration (`type: function`)."""

ToolResult = Annotated[
    Annotated[dict[str, Any], Tag("object")]
    | Annotated[str, Tag("string")]
    | Annotated[list[FunctionResultPart], Tag("array")],
    by_json_kind("an object, a string or an array of content blocks"),
]
"""What a function or MCP tool returned: any JSON object, a string, or a list of parts."""

CodeExecutionResult = Annotated[
    Annotated[str, Tag("string")]
    | Annotated[
        list[
            Annotated[
                TextContent | ImageContent | AudioContent | VideoContent | DocumentContent,
                Field(discriminator="type"),
            ]
        ],
        Tag("array"),
    ],
    by_json_kind("a string or an array of content blocks"),
]
"""What a code execution produced: its output as a string, or a list of content blocks (e.g. plots)."""

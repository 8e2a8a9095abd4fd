"""One instance of every step kind and every delta kind, built from Warren's wire models."""

from __future__ import annotations

from datetime import UTC, datetime

from orchestrator.api.wire.annotations import (
    FileCitation,
    PlaceCitation,
    ReviewSnippet,
    SpeechAnnotation,
    URLCitation,
    WordInfo,
)
from orchestrator.api.wire.content import (
    AudioContent,
    DocumentContent,
    ImageContent,
    TextContent,
    VideoContent,
)
from orchestrator.api.wire.deltas import (
    ArgumentsDelta,
    AudioDelta,
    CodeExecutionCallDelta,
    CodeExecutionResultDelta,
    Delta,
    DocumentDelta,
    FunctionResultDelta,
    ImageDelta,
    TextAnnotationDelta,
    TextDelta,
    ThoughtSignatureDelta,
    ThoughtSummaryDelta,
    VideoDelta,
)
from orchestrator.api.wire.media import (
    DocumentStaticMediaProcessing,
    PageProcessingOptions,
    StaticMediaProcessing,
)
from orchestrator.api.wire.server_deltas import (
    FileSearchCallDelta,
    FileSearchResult,
    FileSearchResultDelta,
    GoogleMapsCallDelta,
    GoogleMapsResultDelta,
    GoogleSearchCallDelta,
    GoogleSearchResultDelta,
    MCPServerToolCallDelta,
    MCPServerToolResultDelta,
    ProcessingCallDelta,
    ProcessingResultDelta,
    RetrievalCallDelta,
    RetrievalResultDelta,
    ToolSearchCallDelta,
    ToolSearchResultDelta,
    URLContextCallDelta,
    URLContextResultDelta,
)
from orchestrator.api.wire.server_payloads import (
    GoogleMapsCallArguments,
    GoogleMapsResult,
    GoogleMapsResultPlaces,
    GoogleSearchCallArguments,
    GoogleSearchResult,
    RetrievalCallArguments,
    ToolSearchCallStepArguments,
    URLContextCallArguments,
    URLContextResult,
)
from orchestrator.api.wire.server_steps import (
    FileSearchCallStep,
    FileSearchResultStep,
    GoogleMapsCallStep,
    GoogleMapsResultStep,
    GoogleSearchCallStep,
    GoogleSearchResultStep,
    MCPServerToolCallStep,
    MCPServerToolResultStep,
    ProcessingCallStep,
    ProcessingResultStep,
    RetrievalCallStep,
    RetrievalResultStep,
    ToolSearchCallStep,
    ToolSearchResultStep,
    URLContextCallStep,
    URLContextResultStep,
)
from orchestrator.api.wire.steps import (
    CodeExecutionCallArguments,
    CodeExecutionCallStep,
    CodeExecutionResultStep,
    FunctionCallStep,
    FunctionResultStep,
    ModelOutputStep,
    Status,
    Step,
    ThoughtStep,
    UserInputStep,
)
from orchestrator.api.wire.tools import Function

T0 = datetime(2026, 5, 20, 10, 0, 0, tzinfo=UTC)

TEXT = TextContent(
    text="Hi there!",
    annotations=[
        URLCitation(url="https://example.com", title="Example", start_index=0, end_index=2),
        FileCitation(file_name="a.pdf", page_number=2, custom_metadata={"k": "v"}),
        PlaceCitation(name="Cafe", review_snippets=[ReviewSnippet(title="good")]),
        SpeechAnnotation(speaker="A", style="calm"),
        WordInfo(text="Hi", start_offset="0s", end_offset="0.2s"),
    ],
)
IMAGE = ImageContent(data="iVBORw0=", mime_type="image/png", resolution="high")
AUDIO = AudioContent(
    uri="gs://b/a.wav", mime_type="audio/wav", sample_rate=16000, channels=1, processing="static"
)
VIDEO = VideoContent(
    uri="gs://b/v.mp4",
    mime_type="video/mp4",
    name="clip",
    processing=StaticMediaProcessing(content_layers=["frames"], fps=1.0),
)
DOCUMENT = DocumentContent(
    data="JVBERi0=",
    mime_type="application/pdf",
    processing=DocumentStaticMediaProcessing(page_options=PageProcessingOptions(start_page=1)),
)
FUNCTION = Function(name="get_weather", description="Weather", parameters={"type": "object"})

STEPS: list[Step] = [
    UserInputStep(content=[TextContent(text="Hello"), IMAGE, AUDIO, VIDEO, DOCUMENT]),
    ThoughtStep(signature="c2ln", summary=[TextContent(text="greeting"), IMAGE]),
    ModelOutputStep(content=[TEXT]),
    ModelOutputStep(error=Status(code=13, message="model failed", details=[{"@type": "x"}])),
    FunctionCallStep(id="call_1", name="get_weather", arguments={"city": "Paris", "n": None}),
    FunctionResultStep(call_id="call_1", name="get_weather", result={"temp_c": 21}),
    FunctionResultStep(call_id="call_2", result="plain text", is_error=True),
    FunctionResultStep(call_id="call_3", result=[TextContent(text="a"), IMAGE, FUNCTION]),
    CodeExecutionCallStep(
        id="ce_1", arguments=CodeExecutionCallArguments(code="print(1)", language="python"), signature="s"
    ),
    CodeExecutionResultStep(call_id="ce_1", result="1\n"),
    CodeExecutionResultStep(call_id="ce_2", result=[TextContent(text="plot"), IMAGE], is_error=False),
    GoogleSearchCallStep(
        id="gs_1", arguments=GoogleSearchCallArguments(queries=["q"]), search_type="web_search"
    ),
    GoogleSearchResultStep(call_id="gs_1", result=[GoogleSearchResult(search_suggestions="<div/>")]),
    URLContextCallStep(id="uc_1", arguments=URLContextCallArguments(urls=["https://example.com"])),
    URLContextResultStep(
        call_id="uc_1", result=[URLContextResult(url="https://example.com", status="success")]
    ),
    MCPServerToolCallStep(id="mcp_1", name="search", server_name="docs", arguments={"q": "x"}),
    MCPServerToolResultStep(call_id="mcp_1", result={"hits": 1}, name="search", server_name="docs"),
    FileSearchCallStep(id="fs_1"),
    FileSearchResultStep(call_id="fs_1"),
    GoogleMapsCallStep(id="gm_1", arguments=GoogleMapsCallArguments(queries=["cafe"])),
    GoogleMapsResultStep(
        call_id="gm_1",
        result=[GoogleMapsResult(places=[GoogleMapsResultPlaces(name="Cafe")], widget_context_token="t")],
    ),
    RetrievalCallStep(id="rt_1", arguments=RetrievalCallArguments(queries=["q"]), retrieval_type="rag_store"),
    RetrievalResultStep(call_id="rt_1", is_error=False),
    ToolSearchCallStep(id="ts_1", arguments=ToolSearchCallStepArguments(function_names=["get_weather"])),
    ToolSearchResultStep(call_id="ts_1", result=[FUNCTION]),
    ProcessingCallStep(id="pr_1"),
    ProcessingResultStep(call_id="pr_1"),
]

DELTAS: list[Delta] = [
    TextDelta(text="Hi "),
    ImageDelta(data="iVBORw0=", mime_type="image/png"),
    AudioDelta(data="UklGRg==", mime_type="audio/wav", sample_rate=24000, channels=1),
    VideoDelta(uri="gs://b/v.mp4", mime_type="video/mp4"),
    DocumentDelta(uri="gs://b/d.pdf", mime_type="application/pdf"),
    TextAnnotationDelta(annotations=[URLCitation(url="https://example.com")]),
    ThoughtSummaryDelta(content=TextContent(text="planning")),
    ThoughtSignatureDelta(signature="c2ln"),
    ArgumentsDelta(arguments='{"city":'),
    CodeExecutionCallDelta(arguments=CodeExecutionCallArguments(code="ls", language="bash")),
    CodeExecutionResultDelta(result="a.txt\n", is_error=False),
    FunctionResultDelta(result={"ok": True}, name="f"),
    GoogleSearchCallDelta(arguments=GoogleSearchCallArguments(queries=["q"])),
    GoogleSearchResultDelta(result=[GoogleSearchResult(search_suggestions="s")]),
    URLContextCallDelta(arguments=URLContextCallArguments(urls=["https://example.com"])),
    URLContextResultDelta(result=[URLContextResult(url="https://example.com", status="paywall")]),
    MCPServerToolCallDelta(name="search", server_name="docs", arguments={}),
    MCPServerToolResultDelta(result="done", server_name="docs"),
    FileSearchCallDelta(),
    FileSearchResultDelta(result=[FileSearchResult()]),
    GoogleMapsCallDelta(arguments=GoogleMapsCallArguments(queries=["q"])),
    GoogleMapsResultDelta(result=[GoogleMapsResult(widget_context_token="t")]),
    RetrievalCallDelta(arguments=RetrievalCallArguments(queries=["q"]), retrieval_type="vertex_ai_search"),
    RetrievalResultDelta(is_error=False),
    ToolSearchCallDelta(arguments=ToolSearchCallStepArguments(function_names=["f"])),
    ToolSearchResultDelta(result=[FUNCTION]),
    ProcessingCallDelta(),
    ProcessingResultDelta(signature="s"),
]

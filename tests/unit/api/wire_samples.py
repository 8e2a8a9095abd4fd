"""One instance of every step kind and every delta kind, built from Warren's wire models."""

from __future__ import annotations

from datetime import UTC, datetime

from orchestrator.api import wire as w

T0 = datetime(2026, 5, 20, 10, 0, 0, tzinfo=UTC)

TEXT = w.TextContent(
    text="Hi there!",
    annotations=[
        w.URLCitation(url="https://example.com", title="Example", start_index=0, end_index=2),
        w.FileCitation(file_name="a.pdf", page_number=2, custom_metadata={"k": "v"}),
        w.PlaceCitation(name="Cafe", review_snippets=[w.ReviewSnippet(title="good")]),
        w.SpeechAnnotation(speaker="A", style="calm"),
        w.WordInfo(text="Hi", start_offset="0s", end_offset="0.2s"),
    ],
)
IMAGE = w.ImageContent(data="iVBORw0=", mime_type="image/png", resolution="high")
AUDIO = w.AudioContent(
    uri="gs://b/a.wav", mime_type="audio/wav", sample_rate=16000, channels=1, processing="static"
)
VIDEO = w.VideoContent(
    uri="gs://b/v.mp4",
    mime_type="video/mp4",
    name="clip",
    processing=w.StaticMediaProcessing(content_layers=["frames"], fps=1.0),
)
DOCUMENT = w.DocumentContent(
    data="JVBERi0=",
    mime_type="application/pdf",
    processing=w.DocumentStaticMediaProcessing(page_options=w.PageProcessingOptions(start_page=1)),
)
FUNCTION = w.Function(name="get_weather", description="Weather", parameters={"type": "object"})

STEPS: list[w.Step] = [
    w.UserInputStep(content=[w.TextContent(text="Hello"), IMAGE, AUDIO, VIDEO, DOCUMENT]),
    w.ThoughtStep(signature="c2ln", summary=[w.TextContent(text="greeting"), IMAGE]),
    w.ModelOutputStep(content=[TEXT]),
    w.ModelOutputStep(error=w.Status(code=13, message="model failed", details=[{"@type": "x"}])),
    w.FunctionCallStep(id="call_1", name="get_weather", arguments={"city": "Paris", "n": None}),
    w.FunctionResultStep(call_id="call_1", name="get_weather", result={"temp_c": 21}),
    w.FunctionResultStep(call_id="call_2", result="plain text", is_error=True),
    w.FunctionResultStep(call_id="call_3", result=[w.TextContent(text="a"), IMAGE, FUNCTION]),
    w.CodeExecutionCallStep(
        id="ce_1", arguments=w.CodeExecutionCallArguments(code="print(1)", language="python"), signature="s"
    ),
    w.CodeExecutionResultStep(call_id="ce_1", result="1\n"),
    w.CodeExecutionResultStep(call_id="ce_2", result=[w.TextContent(text="plot"), IMAGE], is_error=False),
    w.GoogleSearchCallStep(
        id="gs_1", arguments=w.GoogleSearchCallArguments(queries=["q"]), search_type="web_search"
    ),
    w.GoogleSearchResultStep(call_id="gs_1", result=[w.GoogleSearchResult(search_suggestions="<div/>")]),
    w.URLContextCallStep(id="uc_1", arguments=w.URLContextCallArguments(urls=["https://example.com"])),
    w.URLContextResultStep(
        call_id="uc_1", result=[w.URLContextResult(url="https://example.com", status="success")]
    ),
    w.MCPServerToolCallStep(id="mcp_1", name="search", server_name="docs", arguments={"q": "x"}),
    w.MCPServerToolResultStep(call_id="mcp_1", result={"hits": 1}, name="search", server_name="docs"),
    w.FileSearchCallStep(id="fs_1"),
    w.FileSearchResultStep(call_id="fs_1"),
    w.GoogleMapsCallStep(id="gm_1", arguments=w.GoogleMapsCallArguments(queries=["cafe"])),
    w.GoogleMapsResultStep(
        call_id="gm_1",
        result=[w.GoogleMapsResult(places=[w.GoogleMapsResultPlaces(name="Cafe")], widget_context_token="t")],
    ),
    w.RetrievalCallStep(
        id="rt_1", arguments=w.RetrievalCallArguments(queries=["q"]), retrieval_type="rag_store"
    ),
    w.RetrievalResultStep(call_id="rt_1", is_error=False),
    w.ToolSearchCallStep(id="ts_1", arguments=w.ToolSearchCallStepArguments(function_names=["get_weather"])),
    w.ToolSearchResultStep(call_id="ts_1", result=[FUNCTION]),
    w.ProcessingCallStep(id="pr_1"),
    w.ProcessingResultStep(call_id="pr_1"),
]

DELTAS: list[w.Delta] = [
    w.TextDelta(text="Hi "),
    w.ImageDelta(data="iVBORw0=", mime_type="image/png"),
    w.AudioDelta(data="UklGRg==", mime_type="audio/wav", sample_rate=24000, channels=1),
    w.VideoDelta(uri="gs://b/v.mp4", mime_type="video/mp4"),
    w.DocumentDelta(uri="gs://b/d.pdf", mime_type="application/pdf"),
    w.TextAnnotationDelta(annotations=[w.URLCitation(url="https://example.com")]),
    w.ThoughtSummaryDelta(content=w.TextContent(text="planning")),
    w.ThoughtSignatureDelta(signature="c2ln"),
    w.ArgumentsDelta(arguments='{"city":'),
    w.CodeExecutionCallDelta(arguments=w.CodeExecutionCallArguments(code="ls", language="bash")),
    w.CodeExecutionResultDelta(result="a.txt\n", is_error=False),
    w.FunctionResultDelta(result={"ok": True}, name="f"),
    w.GoogleSearchCallDelta(arguments=w.GoogleSearchCallArguments(queries=["q"])),
    w.GoogleSearchResultDelta(result=[w.GoogleSearchResult(search_suggestions="s")]),
    w.URLContextCallDelta(arguments=w.URLContextCallArguments(urls=["https://example.com"])),
    w.URLContextResultDelta(result=[w.URLContextResult(url="https://example.com", status="paywall")]),
    w.MCPServerToolCallDelta(name="search", server_name="docs", arguments={}),
    w.MCPServerToolResultDelta(result="done", server_name="docs"),
    w.FileSearchCallDelta(),
    w.FileSearchResultDelta(result=[w.FileSearchResult()]),
    w.GoogleMapsCallDelta(arguments=w.GoogleMapsCallArguments(queries=["q"])),
    w.GoogleMapsResultDelta(result=[w.GoogleMapsResult(widget_context_token="t")]),
    w.RetrievalCallDelta(
        arguments=w.RetrievalCallArguments(queries=["q"]), retrieval_type="vertex_ai_search"
    ),
    w.RetrievalResultDelta(is_error=False),
    w.ToolSearchCallDelta(arguments=w.ToolSearchCallStepArguments(function_names=["f"])),
    w.ToolSearchResultDelta(result=[FUNCTION]),
    w.ProcessingCallDelta(),
    w.ProcessingResultDelta(signature="s"),
]

"""Step deltas (spec section 8): the increments a `step.delta` event carries, discriminated by `type`."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from .annotations import Annotation
from .common import WireModel
from .content import (
    AudioMimeType,
    DocumentMimeType,
    ImageMimeType,
    MediaResolution,
    ThoughtSummaryContent,
    VideoMimeType,
)
from .results import ToolResult
from .server_deltas import (
    FileSearchCallDelta,
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
from .steps import CodeExecutionCallArguments

__all__ = [
    "ArgumentsDelta",
    "AudioDelta",
    "CodeExecutionCallDelta",
    "CodeExecutionResultDelta",
    "Delta",
    "DocumentDelta",
    "FunctionResultDelta",
    "ImageDelta",
    "TextAnnotationDelta",
    "TextDelta",
    "ThoughtSignatureDelta",
    "ThoughtSummaryDelta",
    "VideoDelta",
]


class TextDelta(WireModel):
    """More text for the current text block of a `model_output` step."""

    type: Literal["text"] = "text"
    """Always `text`."""
    text: str
    """The text to append."""


class ImageDelta(WireModel):
    """An image for a `model_output` step."""

    type: Literal["image"] = "image"
    """Always `image`."""
    data: str | None = None
    """The image bytes, base64-encoded."""
    uri: str | None = None
    """Where the image lives, instead of `data`."""
    mime_type: ImageMimeType | None = None
    """The image's media type."""
    resolution: MediaResolution | None = None
    """The image's resolution class."""


class AudioDelta(WireModel):
    """A chunk of audio for a `model_output` step."""

    type: Literal["audio"] = "audio"
    """Always `audio`."""
    data: str | None = None
    """The audio bytes, base64-encoded."""
    uri: str | None = None
    """Where the audio lives, instead of `data`."""
    mime_type: AudioMimeType | None = None
    """The audio's media type."""
    sample_rate: int | None = None
    """Samples per second."""
    channels: int | None = None
    """Number of channels."""


class VideoDelta(WireModel):
    """A video for a `model_output` step."""

    type: Literal["video"] = "video"
    """Always `video`."""
    data: str | None = None
    """The video bytes, base64-encoded."""
    uri: str | None = None
    """Where the video lives, instead of `data`."""
    mime_type: VideoMimeType | None = None
    """The video's media type."""
    resolution: MediaResolution | None = None
    """The video's resolution class."""


class DocumentDelta(WireModel):
    """A document for a `model_output` step."""

    type: Literal["document"] = "document"
    """Always `document`."""
    data: str | None = None
    """The document bytes, base64-encoded."""
    uri: str | None = None
    """Where the document lives, instead of `data`."""
    mime_type: DocumentMimeType | None = None
    """The document's media type."""


class TextAnnotationDelta(WireModel):
    """Annotations for the current text block of a `model_output` step."""

    type: Literal["text_annotation_delta"] = "text_annotation_delta"
    """Always `text_annotation_delta`."""
    annotations: list[Annotation] | None = None
    """The annotations to add."""


class ThoughtSummaryDelta(WireModel):
    """One more block of a `thought` step's summary."""

    type: Literal["thought_summary"] = "thought_summary"
    """Always `thought_summary`."""
    content: ThoughtSummaryContent | None = None
    """The block: text or an image."""


class ThoughtSignatureDelta(WireModel):
    """The signature of a `thought` step."""

    type: Literal["thought_signature"] = "thought_signature"
    """Always `thought_signature`."""
    signature: str | None = None
    """The opaque, base64-encoded signature."""


class ArgumentsDelta(WireModel):
    """A fragment of a `function_call` step's JSON arguments; clients concatenate the fragments."""

    type: Literal["arguments_delta"] = "arguments_delta"
    """Always `arguments_delta`."""
    arguments: str | None = None
    """The next fragment of the JSON text."""


class CodeExecutionCallDelta(WireModel):
    """The code of a `code_execution_call` step."""

    type: Literal["code_execution_call"] = "code_execution_call"
    """Always `code_execution_call`."""
    arguments: CodeExecutionCallArguments
    """What to run."""
    signature: str | None = None
    """An opaque signature."""


class CodeExecutionResultDelta(WireModel):
    """Output of a `code_execution_result` step."""

    type: Literal["code_execution_result"] = "code_execution_result"
    """Always `code_execution_result`."""
    result: str
    """The output so far."""
    is_error: bool | None = None
    """True when the code failed."""
    signature: str | None = None
    """An opaque signature."""


class FunctionResultDelta(WireModel):
    """The result of a `function_result` step."""

    type: Literal["function_result"] = "function_result"
    """Always `function_result`."""
    result: ToolResult
    """What the function returned."""
    name: str | None = None
    """The function's name."""
    is_error: bool | None = None
    """True when the function failed."""


Delta = Annotated[
    TextDelta
    | ImageDelta
    | AudioDelta
    | VideoDelta
    | DocumentDelta
    | TextAnnotationDelta
    | ThoughtSummaryDelta
    | ThoughtSignatureDelta
    | ArgumentsDelta
    | CodeExecutionCallDelta
    | CodeExecutionResultDelta
    | FunctionResultDelta
    | GoogleSearchCallDelta
    | GoogleSearchResultDelta
    | URLContextCallDelta
    | URLContextResultDelta
    | MCPServerToolCallDelta
    | MCPServerToolResultDelta
    | FileSearchCallDelta
    | FileSearchResultDelta
    | GoogleMapsCallDelta
    | GoogleMapsResultDelta
    | RetrievalCallDelta
    | RetrievalResultDelta
    | ToolSearchCallDelta
    | ToolSearchResultDelta
    | ProcessingCallDelta
    | ProcessingResultDelta,
    Field(discriminator="type"),
]
"""One delta, discriminated by `type`."""

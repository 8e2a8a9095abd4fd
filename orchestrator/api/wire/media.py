"""How the model processes media blocks: the `processing` field of audio, video and document content."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Tag

from .common import WireModel, by_json_kind

__all__ = [
    "AudioProcessing",
    "AudioStaticMediaProcessing",
    "DocumentProcessing",
    "DocumentStaticMediaProcessing",
    "PageProcessingOptions",
    "SpreadsheetProcessingOptions",
    "StaticMediaProcessing",
    "VideoProcessing",
]


class AudioStaticMediaProcessing(WireModel):
    """Use a fixed window of an audio clip."""

    type: Literal["static"] = "static"
    """Always `static`."""
    start_offset: str | None = None
    """Where to start, as a duration string such as `10s`."""
    end_offset: str | None = None
    """Where to stop, as a duration string."""


class StaticMediaProcessing(WireModel):
    """Use a fixed window of a video, sampled at a fixed rate."""

    type: Literal["static"] = "static"
    """Always `static`."""
    content_layers: list[Literal["frames", "audio", "transcript"]] | None = None
    """Which layers of the video to use."""
    start_offset: str | None = None
    """Where to start, as a duration string."""
    end_offset: str | None = None
    """Where to stop, as a duration string."""
    fps: float | None = None
    """Frames sampled per second."""


class PageProcessingOptions(WireModel):
    """Which pages of a paged document to use."""

    content_layers: list[Literal["page_image", "page_text"]] | None = None
    """Use the page images, the page text, or both."""
    start_page: int | None = None
    """First page, 1-based."""
    end_page: int | None = None
    """Last page, inclusive."""


class SpreadsheetProcessingOptions(WireModel):
    """Which sheet of a spreadsheet to use."""

    content_layers: list[Literal["visual", "data", "formulas"]] | None = None
    """Which layers of the sheet to use."""
    sheet_index: int | None = None
    """The sheet, 0-based."""
    visible_cells: str | None = None
    """A cell range such as `A1:F20`."""


class DocumentStaticMediaProcessing(WireModel):
    """Fixed options for reading a document."""

    type: Literal["static"] = "static"
    """Always `static`."""
    page_options: PageProcessingOptions | None = None
    """Options for paged documents."""
    spreadsheet_options: SpreadsheetProcessingOptions | None = None
    """Options for spreadsheets."""


AudioProcessing = Annotated[
    Annotated[Literal["static"], Tag("string")] | Annotated[AudioStaticMediaProcessing, Tag("object")],
    by_json_kind("'static' or a processing object"),
]
"""Audio processing: the mode name or a static-window object."""

VideoProcessing = Annotated[
    Annotated[Literal["static", "agentic"], Tag("string")] | Annotated[StaticMediaProcessing, Tag("object")],
    by_json_kind("'static', 'agentic' or a processing object"),
]
"""Video processing: the mode name or a static-window object."""

DocumentProcessing = Annotated[
    Annotated[Literal["static"], Tag("string")] | Annotated[DocumentStaticMediaProcessing, Tag("object")],
    by_json_kind("'static' or a processing object"),
]
"""Document processing: the mode name or a static-options object."""

"""Content blocks (spec section 8): text, image, audio, video and document, discriminated by `type`.

The media types each block accepts live here too; the annotations a text block carries are in
`annotations`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from .annotations import Annotation
from .common import WireModel
from .media import AudioProcessing, DocumentProcessing, VideoProcessing

__all__ = [
    "CONTENT_TYPES",
    "AudioContent",
    "AudioMimeType",
    "Content",
    "DocumentContent",
    "DocumentMimeType",
    "ImageContent",
    "ImageMimeType",
    "MediaResolution",
    "TextContent",
    "ThoughtSummaryContent",
    "VideoContent",
    "VideoMimeType",
]

ImageMimeType = Literal[
    "image/png",
    "image/jpeg",
    "image/webp",
    "image/heic",
    "image/heif",
    "image/gif",
    "image/bmp",
    "image/tiff",
]
"""The image media types the wire knows."""
AudioMimeType = Literal[
    "audio/wav", "audio/mp3", "audio/aiff", "audio/aac", "audio/ogg", "audio/flac", "audio/mpeg",
    "audio/m4a", "audio/l16", "audio/opus", "audio/alaw", "audio/mulaw", "audio/webm",
]  # fmt: skip
"""The audio media types the wire knows."""
VideoMimeType = Literal[
    "video/mp4", "video/mpeg", "video/mpg", "video/mov", "video/avi", "video/x-flv", "video/webm",
    "video/wmv", "video/3gpp",
]  # fmt: skip
"""The video media types the wire knows."""
DocumentMimeType = Literal[
    "application/pdf",
    "text/csv",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.ms-powerpoint",
    "application/vnd.oasis.opendocument.presentation",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.template",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.ms-excel",
    "application/vnd.oasis.opendocument.spreadsheet",
]
"""The document media types the wire knows."""
MediaResolution = Literal["low", "medium", "high", "ultra_high"]
"""How finely the model looks at an image, a video or a document."""


class TextContent(WireModel):
    """A block of text."""

    type: Literal["text"] = "text"
    """Always `text`."""
    text: str
    """The text."""
    annotations: list[Annotation] | None = None
    """Citations and other annotations of spans of the text."""


class ImageContent(WireModel):
    """An image, inline (`data`) or by reference (`uri`)."""

    type: Literal["image"] = "image"
    """Always `image`."""
    data: str | None = None
    """The image bytes, base64-encoded."""
    uri: str | None = None
    """Where the image lives, instead of `data`."""
    mime_type: ImageMimeType | None = None
    """The image's media type."""
    resolution: MediaResolution | None = None
    """How finely the model looks at the image."""


class AudioContent(WireModel):
    """A piece of audio, inline (`data`) or by reference (`uri`)."""

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
    processing: AudioProcessing | None = None
    """Which part of the audio to use."""


class VideoContent(WireModel):
    """A video, inline (`data`) or by reference (`uri`)."""

    type: Literal["video"] = "video"
    """Always `video`."""
    data: str | None = None
    """The video bytes, base64-encoded."""
    uri: str | None = None
    """Where the video lives, instead of `data`."""
    mime_type: VideoMimeType | None = None
    """The video's media type."""
    resolution: MediaResolution | None = None
    """How finely the model looks at the frames."""
    name: str | None = None
    """A display name of the video."""
    processing: VideoProcessing | None = None
    """Which part of the video to use, and how."""


class DocumentContent(WireModel):
    """A document (PDF, CSV, office formats), inline (`data`) or by reference (`uri`)."""

    type: Literal["document"] = "document"
    """Always `document`."""
    data: str | None = None
    """The document bytes, base64-encoded."""
    uri: str | None = None
    """Where the document lives, instead of `data`."""
    mime_type: DocumentMimeType | None = None
    """The document's media type."""
    resolution: MediaResolution | None = None
    """How finely the model looks at the pages."""
    processing: DocumentProcessing | None = None
    """Which pages or sheets to use, and how."""


Content = Annotated[
    TextContent | ImageContent | AudioContent | VideoContent | DocumentContent, Field(discriminator="type")
]
"""One content block, discriminated by `type`."""

ThoughtSummaryContent = Annotated[TextContent | ImageContent, Field(discriminator="type")]
"""The content a thought summary may hold: text or an image."""

CONTENT_TYPES = frozenset({"text", "image", "audio", "video", "document"})
"""The `type` values of content blocks; an input array of these is content, anything else is steps."""

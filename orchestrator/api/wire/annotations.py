"""Annotations on a text block (spec section 8): citations of URLs, files and places, speech and words.

Kept apart from the content blocks: the model's grounding answers cite sources through these, and the
server steps (`ReviewSnippet` of Google Maps) reuse them without the content blocks.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from .common import WireModel

__all__ = [
    "Annotation",
    "FileCitation",
    "PlaceCitation",
    "ReviewSnippet",
    "SpeechAnnotation",
    "URLCitation",
    "WordInfo",
]


class URLCitation(WireModel):
    """A citation of a web page inside a text block."""

    type: Literal["url_citation"] = "url_citation"
    """Always `url_citation`."""
    url: str | None = None
    """The cited page."""
    title: str | None = None
    """The page's title."""
    start_index: int | None = None
    """First character of the cited span in the text."""
    end_index: int | None = None
    """One past the last character of the cited span."""


class FileCitation(WireModel):
    """A citation of a file or document inside a text block."""

    type: Literal["file_citation"] = "file_citation"
    """Always `file_citation`."""
    document_uri: str | None = None
    """The cited document."""
    file_name: str | None = None
    """The cited file's name."""
    source: str | None = None
    """Where the file came from."""
    media_id: str | None = None
    """An id of the cited media."""
    page_number: int | None = None
    """The cited page, 1-based."""
    custom_metadata: dict[str, Any] | None = None
    """Free-form metadata of the file."""
    start_index: int | None = None
    """First character of the cited span in the text."""
    end_index: int | None = None
    """One past the last character of the cited span."""


class ReviewSnippet(WireModel):
    """A review quoted for a place."""

    review_id: str | None = None
    """The review's id."""
    title: str | None = None
    """The review's title."""
    url: str | None = None
    """Where the review lives."""


class PlaceCitation(WireModel):
    """A citation of a place inside a text block."""

    type: Literal["place_citation"] = "place_citation"
    """Always `place_citation`."""
    name: str | None = None
    """The place's name."""
    place_id: str | None = None
    """The place's id."""
    url: str | None = None
    """A link to the place."""
    review_snippets: list[ReviewSnippet] | None = None
    """Reviews quoted for the place."""
    start_index: int | None = None
    """First character of the cited span in the text."""
    end_index: int | None = None
    """One past the last character of the cited span."""


class SpeechAnnotation(WireModel):
    """Who speaks a span of text, and how."""

    type: Literal["speech_metadata"] = "speech_metadata"
    """Always `speech_metadata`."""
    speaker: str | None = None
    """The speaker."""
    style: str | None = None
    """The speaking style."""
    start_index: int | None = None
    """First character of the span."""
    end_index: int | None = None
    """One past the last character of the span."""


class WordInfo(WireModel):
    """Timing of one word of a transcript."""

    type: Literal["word_info"] = "word_info"
    """Always `word_info`."""
    text: str | None = None
    """The word."""
    speaker: str | None = None
    """Who said it."""
    start_offset: str | None = None
    """When it starts, as a duration string such as `1.5s`."""
    end_offset: str | None = None
    """When it ends, as a duration string."""
    start_index: int | None = None
    """First character of the word in the text."""
    end_index: int | None = None
    """One past the last character of the word."""


Annotation = Annotated[
    URLCitation | FileCitation | PlaceCitation | SpeechAnnotation | WordInfo, Field(discriminator="type")
]
"""An annotation on a text block, discriminated by `type`."""

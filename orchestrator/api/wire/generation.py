"""Model settings of an interaction: generation config, response format, safety and webhooks (spec 7.1)."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import Field, Strict, Tag, field_validator

from .common import WireModel, by_json_kind
from .tools import AllowedTools, ToolChoiceMode

__all__ = [
    "AspectRatio",
    "AudioResponseFormat",
    "GenerationConfig",
    "ImageConfig",
    "ImageResponseFormat",
    "ResponseFormat",
    "ResponseFormats",
    "SafetySetting",
    "SpeakerConfig",
    "SpeechConfig",
    "TextResponseFormat",
    "ToolChoice",
    "ToolChoiceConfig",
    "VideoConfig",
    "VideoResponseFormat",
    "WebhookConfig",
]

AspectRatio = Literal[
    "1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9", "1:8", "8:1", "1:4", "4:1"
]
"""Image aspect ratios."""
INT32_MAX = 2**31 - 1
"""The largest int32: seeds and token counts are int32 in Google's API."""
_ImageSize = Literal["512", "1K", "2K", "4K"]
_Delivery = Literal["inline", "uri"]


class ToolChoiceConfig(WireModel):
    """A tool choice restricted to some tools."""

    allowed_tools: AllowedTools | None = None
    """Which tools, and how freely."""


ToolChoice = Annotated[
    Annotated[ToolChoiceMode, Tag("string")] | Annotated[ToolChoiceConfig, Tag("object")],
    by_json_kind("a mode string or an object with 'allowed_tools'"),
]
"""How the model may call tools: a mode, or an `allowed_tools` restriction."""


class ImageConfig(WireModel):
    """Settings for generated images."""

    aspect_ratio: AspectRatio | None = None
    """The aspect ratio."""
    image_size: _ImageSize | None = None
    """The size class."""


class SpeechConfig(WireModel):
    """The voice of one speaker of generated speech."""

    voice: str | None = None
    """The voice's name."""
    language: str | None = None
    """A BCP-47 language code."""
    speaker: str | None = None
    """The speaker's name in a multi-speaker script."""


class SpeakerConfig(WireModel):
    """The voices of a multi-speaker script."""

    speakers: list[SpeechConfig] | None = None
    """One entry per speaker."""


class VideoConfig(WireModel):
    """Settings for generated video."""

    task: (
        Literal["text_to_video", "image_to_video", "reference_to_video", "edit", "extend", "upscale"] | None
    ) = None
    """What to do."""


class GenerationConfig(WireModel):
    """Sampling and output settings for the model form (strict: numbers are JSON numbers, never strings)."""

    temperature: Annotated[float, Strict(), Field(ge=0, le=2)] | None = None
    """Sampling temperature."""
    top_p: Annotated[float, Strict(), Field(ge=0, le=1)] | None = None
    """Nucleus sampling mass."""
    max_output_tokens: Annotated[int, Strict(), Field(ge=1, le=INT32_MAX)] | None = None
    """Stop (status `incomplete`) after this many output tokens."""
    seed: Annotated[int, Strict(), Field(ge=-INT32_MAX - 1, le=INT32_MAX)] | None = None
    """A sampling seed (int32), for repeatable output; refused by providers that have none."""
    stop_sequences: Annotated[list[Annotated[str, Field(max_length=1000)]], Field(max_length=16)] | None = (
        None
    )
    """Stop when one of these is generated."""
    thinking_level: Literal["minimal", "low", "medium", "high", "xhigh"] | None = None
    """How much the model reasons."""
    thinking_summaries: Literal["auto", "none"] | None = None
    """Whether thought steps carry summaries."""
    tool_choice: ToolChoice | None = None
    """How the model may call tools."""
    speech_config: (
        Annotated[
            Annotated[SpeakerConfig, Tag("object")] | Annotated[list[SpeechConfig], Tag("array")],
            by_json_kind("an object with 'speakers' or an array of voices"),
        ]
        | None
    ) = None
    """Voices for generated speech."""
    image_config: ImageConfig | None = None
    """Deprecated in the SDK: settings for generated images; prefer an `image` response format."""
    video_config: VideoConfig | None = None
    """Settings for generated video."""


class TextResponseFormat(WireModel):
    """Text output, optionally JSON that matches a schema."""

    type: Literal["text"] = "text"
    """Always `text`."""
    mime_type: Literal["application/json", "text/plain"] | None = None
    """`application/json` for structured output."""
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    """The JSON Schema the output must match."""


class ImageResponseFormat(WireModel):
    """Image output."""

    type: Literal["image"] = "image"
    """Always `image`."""
    aspect_ratio: AspectRatio | None = None
    """The aspect ratio."""
    image_size: _ImageSize | None = None
    """The size class."""
    mime_type: Literal["image/jpeg"] | None = None
    """The media type."""
    delivery: _Delivery | None = None
    """Inline bytes or a URI."""


class AudioResponseFormat(WireModel):
    """Audio output."""

    type: Literal["audio"] = "audio"
    """Always `audio`."""
    mime_type: (
        Literal["audio/mp3", "audio/ogg_opus", "audio/l16", "audio/wav", "audio/alaw", "audio/mulaw"] | None
    ) = None
    """The media type."""
    sample_rate: int | None = None
    """Samples per second."""
    bit_rate: int | None = None
    """Bits per second."""
    delivery: _Delivery | None = None
    """Inline bytes or a URI."""


class VideoResponseFormat(WireModel):
    """Video output."""

    type: Literal["video"] = "video"
    """Always `video`."""
    aspect_ratio: Literal["16:9", "9:16"] | None = None
    """The aspect ratio."""
    resolution: Literal["360p", "720p", "1080p", "4k"] | None = None
    """The resolution."""
    duration: str | None = None
    """The length, as a duration string such as `8s`."""
    gcs_uri: str | None = None
    """Where to write the video."""
    delivery: _Delivery | None = None
    """Inline bytes or a URI."""


ResponseFormat = Annotated[
    TextResponseFormat | ImageResponseFormat | AudioResponseFormat | VideoResponseFormat,
    Field(discriminator="type"),
]
"""One requested output format, discriminated by `type`."""

ResponseFormats = Annotated[
    Annotated[ResponseFormat, Tag("object")] | Annotated[list[ResponseFormat], Tag("array")],
    by_json_kind("a response format object or an array of them"),
]
"""`response_format`: one format object or an array of them."""


class SafetySetting(WireModel):
    """A threshold for one harm category."""

    type: Literal[
        "hate_speech", "dangerous_content", "harassment", "sexually_explicit", "civic_integrity",
        "image_hate", "image_dangerous_content", "image_harassment", "image_sexually_explicit", "jailbreak",
    ]  # fmt: skip
    """The harm category."""
    threshold: Literal[
        "block_low_and_above", "block_medium_and_above", "block_only_high", "block_none", "off"
    ]
    """What to block."""
    method: Literal["severity", "probability"] | None = None
    """How the harm is scored."""


MAX_WEBHOOK_URIS = 8
"""Most `webhook_config.uris` one interaction may name."""
MAX_USER_METADATA = 16 << 10
"""Most bytes of `webhook_config.user_metadata`, as JSON (it travels in every delivery)."""
_WebhookUri = Annotated[str, Field(max_length=2048)]


class WebhookConfig(WireModel):
    """Where to report the interaction's end."""

    uris: Annotated[list[_WebhookUri], Field(max_length=MAX_WEBHOOK_URIS)] | None = None
    """The webhook URLs (each checked against the address policy at create)."""
    user_metadata: dict[str, Any] | None = None
    """Free-form data echoed in every webhook call (at most `MAX_USER_METADATA` bytes of JSON)."""

    @field_validator("user_metadata")
    @classmethod
    def _bounded_metadata(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None and len(json.dumps(value)) > MAX_USER_METADATA:
            raise ValueError(f"must be at most {MAX_USER_METADATA} bytes of JSON")
        return value

"""`POST /runner/v1/frames`: a frame of the agent's browser page, from the runner of one environment.

The body is hostile (it comes from the sandbox): the channel's rate (`ChannelLimits.frames_per_s`)
is spent before it is read, one body at a time is read within `MAX_FRAME_CHARS` and a little JSON,
and the `Frame` model checks its alphabet and JPEG start. A frame nobody watches is dropped at
once; the answer says so, and the runner stops sending.
"""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import Response

from agents.protocol import MAX_FRAME_CHARS, Frame, FrameAck
from orchestrator.channel.frames import FrameBoard
from orchestrator.channel.http import BodyTooLarge, Handler, error, read_body, reply
from orchestrator.channel.limits import ChannelLimits, Throttle

__all__ = ["MAX_FRAME_BODY_BYTES", "frames_endpoint"]

MAX_FRAME_BODY_BYTES = MAX_FRAME_CHARS + 8 * 1024
"""Bytes of one frame body: the base64 JPEG and room for its URL and timestamp."""


def frames_endpoint(board: FrameBoard, environment_id: str, limits: ChannelLimits) -> Handler:
    """The frames handler of one environment's channel (wrapped by its token check)."""
    rate = Throttle(limits.frames_per_s, max(1, int(limits.frames_per_s)))
    reading = asyncio.Lock()

    async def frames(request: Request) -> Response:
        if not rate.allow():
            return error(429, f"frames: more than {limits.frames_per_s:g} a second", close=True)
        if reading.locked():
            return error(429, "frames: one at a time", close=True)
        async with reading:
            try:
                body = await read_body(request, MAX_FRAME_BODY_BYTES)
            except BodyTooLarge:
                return error(413, f"frame: larger than {MAX_FRAME_BODY_BYTES} bytes", close=True)
            frame = Frame.model_validate_json(body)  # a bad one is 422 (the channel's wrapper)
        return reply(FrameAck(watched=board.put(environment_id, frame)))

    return frames

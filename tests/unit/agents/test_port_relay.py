"""The preview relay's escaping: the detach sequence never reaches the engine, every byte arrives."""

from __future__ import annotations

import random

from agents.port_relay import Unescape, escape

DETACH = b"\x10\x11"  # ctrl-p ctrl-q: the engine ends a TTY stream on it


def test_every_byte_value_survives_escaping_cut_at_any_point() -> None:
    rng = random.Random(18)
    for _ in range(500):
        data = bytes(rng.choice([0x10, 0x11, 0x00, 0x41, 0xFF]) for _ in range(rng.randint(0, 64)))
        sent = escape(data)
        assert DETACH not in sent
        unescape, received, at = Unescape(), b"", 0
        while at < len(sent):
            size = rng.randint(1, 5)
            received += unescape.feed(sent[at : at + size])
            at += size
        assert received == data


def test_all_byte_values_in_one_chunk() -> None:
    data = bytes(range(256)) * 3
    assert Unescape().feed(escape(data)) == data

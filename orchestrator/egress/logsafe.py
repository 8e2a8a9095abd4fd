"""One rule for every value the egress proxy logs: control characters are escaped, length is bounded.

Sandboxes choose methods, hosts and paths; written raw, a line feed would forge a log line and an
escape sequence would repaint an operator's terminal. `printable` keeps each value on its line.
"""

from __future__ import annotations

import unicodedata

__all__ = ["printable"]

_LIMIT = 200
_UNSAFE = {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"}
"""Control, format (bidi overrides), line and paragraph separators, and unassigned code points."""


def printable(value: object, limit: int = _LIMIT) -> str:
    """`value` as text with control characters (and backslashes) escaped, cut to `limit` characters."""
    text = str(value)
    cut = len(text) > limit
    out: list[str] = []
    for char in text[:limit]:
        if char == "\\":
            out.append("\\\\")
        elif unicodedata.category(char) in _UNSAFE:
            code = ord(char)
            out.append(
                f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
            )
        else:
            out.append(char)
    return "".join(out) + ("..." if cut else "")

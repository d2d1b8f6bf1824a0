"""File names made safe to print on one line of a log, an event or the console.

A name can hold any byte but ``/`` and NUL: a newline in it could forge a log line, an escape
sequence could rewrite the terminal, a bidi override could disguise its extension, and a byte
that is not UTF-8 arrives as a lone surrogate (Python's ``surrogateescape``). ``printable``
shows each of them as a backslash escape, leaving every other character as it is.
"""

from __future__ import annotations

import re
from typing import Final

_UNSAFE: Final = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_NAMED: Final = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_ESCAPED_BYTES: Final = range(0xDC80, 0xDD00)  # surrogateescape's stand-ins for bytes 0x80-0xFF


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if char in _NAMED:
        return _NAMED[char]
    if code in _ESCAPED_BYTES:
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(name: str) -> str:
    """``name`` with control, line-breaking, bidi and undecodable characters escaped."""
    return _UNSAFE.sub(_escape, name)


def decodable(name: str) -> bool:
    """Whether ``name`` came from valid UTF-8 bytes (no ``surrogateescape`` stand-ins)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True

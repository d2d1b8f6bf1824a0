"""File names escaped for one-line output (issue 11: a newline in a name forged a log line)."""

from __future__ import annotations

import os

import pytest

from builders.safenames import decodable, printable


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("export 2026 é.csv", "export 2026 é.csv"),
        ("a\nERROR forged.csv", "a\\nERROR forged.csv"),
        ("a\r\tb.csv", "a\\r\\tb.csv"),
        ("clear\x1b[2J.csv", "clear\\x1b[2J.csv"),
        ("del\x7f.csv", "del\\x7f.csv"),
        ("c1\x85.csv", "c1\\x85.csv"),
        ("line\u2028sep.csv", "line\\u2028sep.csv"),
        ("invoice\u202excod.csv", "invoice\\u202excod.csv"),
        (os.fsdecode(b"caf\xe9.csv"), "caf\\xe9.csv"),
    ],
)
def test_printable_escapes_what_breaks_a_line(name: str, shown: str) -> None:
    """Controls, line separators, bidi overrides and undecodable bytes become escapes."""
    assert printable(name) == shown
    assert "\n" not in printable(name)


def test_decodable_tells_undecodable_names() -> None:
    """A name from bytes that are not UTF-8 is flagged; any real text is not."""
    assert decodable("export é ✓.csv")
    assert not decodable(os.fsdecode(b"caf\xe9.csv"))

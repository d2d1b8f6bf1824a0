"""CSV cells neutralised against formula injection, and restored on import (issue 11)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from builders.exports.csvsafe import neutralise, neutralise_row, restore


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+33 1 23", "'+33 1 23"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("'quoted", "''quoted"),
        ("Dupont", "Dupont"),
        ("O'Brien", "O'Brien"),
        ("a\x00b", "ab"),
        ("", ""),
        (None, ""),
    ],
)
def test_csvsafe_neutralise(value: str | None, cell: str) -> None:
    """Formula starts get a quote, NUL bytes go, other text is unchanged."""
    assert neutralise(value) == cell


@given(st.text().map(lambda text: text.replace("\x00", "")))
def test_csvsafe_round_trip(value: str) -> None:
    """What the agent writes reads back as the same value."""
    assert restore(neutralise(value)) == value


def test_csvsafe_restore_leaves_plain_cells() -> None:
    """A quote not followed by a formula start is data (e.g. a hand-typed 'abc)."""
    assert restore("'abc") == "'abc"
    assert restore("'") == "'"
    assert restore("'=1+1") == "=1+1"
    assert neutralise_row({"a": "=1", "b": 2}) == {"a": "'=1", "b": "2"}

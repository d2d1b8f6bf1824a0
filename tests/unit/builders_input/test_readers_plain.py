"""A CSV without double quotes is read line by line (``csvfile._plain_rows``): the rows, row
numbers and errors must be exactly those of the csv module."""

from __future__ import annotations

import csv

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from builders.errors import BuildError
from builders.exports import csvfile
from builders.exports.csvfile import is_plain
from builders.exports.formats import open_sheet

HEADER = "idTechnique;nomNaissance;prenom1\r\n"
# Line ends of every kind, blanks of every kind (str.strip's Unicode spaces included), and
# characters a line-splitting shortcut could get wrong.
PIECES = st.sampled_from(
    ["a", "é", "Ω", ";", ",", " ", "\t", "\xa0", "\x0c", "\x1c", "\u2028", "\r", "\n", "\r\n"]
)
TEXTS = st.lists(PIECES, max_size=60).map("".join)


def _rows(path, monkeypatch, *, plain):
    monkeypatch.setattr(csvfile, "is_plain", lambda _path: plain)
    with open_sheet(path) as sheet:
        return sheet.header_row, list(sheet.rows)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=TEXTS, encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
@example(body="a;b\r\n\r\n;;\r \n\xa0;\nlast", encoding="utf-8")
@example(body="\ra\rb\r\n\nc", encoding="utf-8")
def test_plain_rows_equal_the_csv_module_rows(tmp_path, monkeypatch, body, encoding):
    path = tmp_path / "export.csv"
    text = HEADER + body
    if encoding == "cp1252":
        text = text.encode("cp1252", errors="replace").decode("cp1252")
    path.write_bytes(text.encode(encoding))
    assert is_plain(path)
    expected = _rows(path, monkeypatch, plain=False)
    assert _rows(path, monkeypatch, plain=True) == expected


def test_plain_needs_no_quote_and_no_nul(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(HEADER + "a;b;c\n", encoding="utf-8")
    assert is_plain(path)
    path.write_text(HEADER + 'a;"b;c";d\n', encoding="utf-8")
    assert not is_plain(path)
    path.write_text(HEADER + "a;b\0;c\n", encoding="utf-8")
    assert not is_plain(path)


def test_plain_rows_refuse_a_field_over_the_csv_limit_like_the_csv_module(tmp_path, monkeypatch):
    path = tmp_path / "export.csv"
    path.write_text(HEADER + "a;b;c\n" + "x;" + "y" * 200 + ";z\n", encoding="utf-8")
    messages = []
    previous = csv.field_size_limit(100)
    try:
        for plain in (True, False):
            monkeypatch.setattr(csvfile, "is_plain", lambda _path, plain=plain: plain)
            with pytest.raises(BuildError) as caught, open_sheet(path) as sheet:
                list(sheet.rows)
            messages.append(str(caught.value))
    finally:
        csv.field_size_limit(previous)
    assert messages[0] == messages[1]
    assert "row 3: unreadable CSV (field larger than field limit (100))" in messages[0]

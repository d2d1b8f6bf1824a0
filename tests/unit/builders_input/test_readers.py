"""Readers: CSV delimiters and encodings, XLSX cells, row numbers, unusable files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import Workbook

from builders.errors import BuildError
from builders.exports.csvfile import detect_encoding
from builders.exports.formats import read_rows
from builders.exports.xlsxfile import cell_text

HEADER = "idTechnique;nomNaissance;prenom1\r\n"


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-8-sig", "utf-8-sig"), ("utf-8", "utf-8"), ("cp1252", "cp1252")],
)
def test_read_rows_encodings(tmp_path: Path, encoding: str, expected: str) -> None:
    """UTF-8 with or without BOM and Windows-1252 all give the same accented text."""
    path = _write(tmp_path / "e.csv", HEADER + "A1;Lefèvre;Zoé\r\n", encoding)
    assert detect_encoding(path) == expected
    assert list(read_rows(path)) == [
        (2, {"idTechnique": "A1", "nomNaissance": "Lefèvre", "prenom1": "Zoé"})
    ]


def test_read_rows_cp1252_byte_after_probe(tmp_path: Path) -> None:
    """A Windows-1252 byte beyond the first 64 KiB of a file that looked UTF-8 still reads."""
    filler = "".join(f"A{i};Martin;Jean\r\n" for i in range(6000))
    path = tmp_path / "late.csv"
    path.write_bytes((HEADER + filler).encode("ascii") + "Z;Lefèvre;Zoé\r\n".encode("cp1252"))
    assert detect_encoding(path) == "utf-8"
    rows = list(read_rows(path))
    assert rows[-1] == (6002, {"idTechnique": "Z", "nomNaissance": "Lefèvre", "prenom1": "Zoé"})


@pytest.mark.parametrize("delimiter", [";", ","])
def test_read_rows_delimiter_detected(tmp_path: Path, delimiter: str) -> None:
    """The delimiter is taken from the header line; quoted delimiters stay in the cell."""
    text = delimiter.join(["idTechnique", "nomNaissance", "libelleOption"]) + "\r\n"
    text += delimiter.join(["A1", "Martin", '"a; b, c"']) + "\r\n"
    path = _write(tmp_path / "d.csv", text)
    assert list(read_rows(path)) == [
        (2, {"idTechnique": "A1", "nomNaissance": "Martin", "libelleOption": "a; b, c"})
    ]


def test_read_rows_blank_lines_keep_numbering(tmp_path: Path) -> None:
    """Blank and all-empty rows are skipped; later rows keep their spreadsheet number."""
    text = "\r\n" + HEADER + "A1;Martin;Jean\r\n\r\n;;\r\nA2;Durand;Luc\r\n"
    path = _write(tmp_path / "b.csv", text)
    assert [number for number, _ in read_rows(path)] == [3, 6]


def test_read_rows_multiline_cell_is_one_row(tmp_path: Path) -> None:
    """A quoted cell spanning two lines is one spreadsheet row."""
    text = HEADER + 'A1;"Martin\nDupont";Jean\r\nA2;Durand;Luc\r\n'
    path = _write(tmp_path / "m.csv", text)
    assert [number for number, _ in read_rows(path)] == [2, 3]


def test_read_rows_short_row_has_fewer_keys(tmp_path: Path) -> None:
    """A row shorter than the header yields only the cells it has."""
    path = _write(tmp_path / "s.csv", HEADER + "A1;Martin\r\n")
    assert list(read_rows(path)) == [(2, {"idTechnique": "A1", "nomNaissance": "Martin"})]


def test_read_rows_xlsx_cells(tmp_path: Path) -> None:
    """XLSX: first sheet, dates as ISO, integer floats without .0, booleans, blank rows counted."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["idTechnique", "dateDebutValidite", "anneeNaissance", "scoring", "admis"])
    sheet.append(["A1", dt.datetime(2024, 6, 28), 1990.0, 12.5, True])  # noqa: DTZ001 - naive cell
    sheet.append([None, None, None, None, None])
    sheet.append(["A2", dt.date(2024, 7, 1), 1985, "B", False])
    workbook.create_sheet("ignored").append(["x"])
    path = tmp_path / "e.xlsx"
    workbook.save(path)
    rows = list(read_rows(path))
    assert rows == [
        (
            2,
            {
                "idTechnique": "A1",
                "dateDebutValidite": "2024-06-28",
                "anneeNaissance": "1990",
                "scoring": "12.5",
                "admis": "true",
            },
        ),
        (
            4,
            {
                "idTechnique": "A2",
                "dateDebutValidite": "2024-07-01",
                "anneeNaissance": "1985",
                "scoring": "B",
                "admis": "false",
            },
        ),
    ]


def test_read_rows_xlsx_header_below_blank_rows(tmp_path: Path) -> None:
    """An XLSX header on row 3 makes the first data row number 4."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.cell(row=3, column=1, value="idTechnique")
    sheet.cell(row=4, column=1, value="A1")
    path = tmp_path / "late.xlsx"
    workbook.save(path)
    assert list(read_rows(path)) == [(4, {"idTechnique": "A1"})]


def test_cell_text_values() -> None:
    """Spreadsheet values become the text a CSV would hold."""
    assert cell_text(None) == ""
    assert cell_text(12.0) == "12"
    assert cell_text(0.5) == "0.5"
    assert cell_text(dt.datetime(2024, 1, 2, 10, 30)) == "2024-01-02 10:30:00"  # noqa: DTZ001
    assert cell_text(dt.date(2024, 1, 2)) == "2024-01-02"


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("missing.csv", None, "file not found"),
        ("export.ods", "x", "unknown file type"),
        ("empty.csv", "", "empty"),
        ("blank.csv", "\r\n;;\r\n\r\n", "empty"),
        ("bad.xlsx", "not a zip", "not a readable XLSX"),
    ],
)
def test_read_rows_unusable_file(
    tmp_path: Path, name: str, content: str | None, reason: str
) -> None:
    """Unusable input raises BuildError naming the file and the reason."""
    path = tmp_path / name
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(BuildError, match=reason) as caught:
        list(read_rows(path))
    assert name in str(caught.value)


def test_read_rows_empty_xlsx(tmp_path: Path) -> None:
    """An XLSX whose first sheet is empty is unusable."""
    path = tmp_path / "empty.xlsx"
    Workbook().save(path)
    with pytest.raises(BuildError, match="empty"):
        list(read_rows(path))


def test_read_rows_excel_sep_hint(tmp_path: Path) -> None:
    """Excel's `sep=,` first line sets the delimiter and is not counted as a row."""
    path = _write(tmp_path / "sep.csv", "sep=,\r\nidTechnique,nomNaissance\r\nA1,Martin;Dupont\r\n")
    assert list(read_rows(path)) == [(2, {"idTechnique": "A1", "nomNaissance": "Martin;Dupont"})]


def test_read_rows_whitespace_row_is_blank(tmp_path: Path) -> None:
    """A row of spaces only is blank: skipped, numbering kept."""
    path = _write(tmp_path / "ws.csv", HEADER + " ; ;  \r\nA2;Durand;Luc\r\n")
    assert [number for number, _ in read_rows(path)] == [3]


def test_read_rows_cp1252_undefined_byte(tmp_path: Path) -> None:
    """A byte Windows-1252 leaves undefined does not stop the import."""
    path = tmp_path / "odd.csv"
    path.write_bytes(HEADER.encode() + b"A1;Lef\xe8vre\x81;Zo\xe9\r\n")
    ((number, cells),) = read_rows(path)
    assert number == 2
    assert cells["nomNaissance"] == "Lefèvre\x81"
    assert cells["prenom1"] == "Zoé"

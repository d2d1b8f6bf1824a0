"""Stream the rows of a certifier's export (CSV or XLSX), never loading it whole.

Rows come as ``(row number, {header: cell text})`` with row numbers as a spreadsheet shows them
(the header is row 1, or the row it sits on when blank rows precede it). Blank rows (no cell
with anything but spaces) are skipped but counted. Cells are strings: an empty cell is ``""``.

CSV: the delimiter (``;`` or ``,``) is the one found most in the header line, unless the file
starts with Excel's ``sep=;`` hint line (not counted as a row). Encoding: a UTF-8
BOM means UTF-8; otherwise the first 64 KiB must decode as strict UTF-8, else the file is read
as Windows-1252 (what Excel writes for "CSV (séparateur: point-virgule)"). In a UTF-8 file, a
later byte that is not UTF-8 is read as Windows-1252 too, so an export whose first accented
letter comes after 64 KiB still reads right.

XLSX: the first sheet, read with openpyxl in read-only mode. A date cell gives an ISO date
(``2024-03-15``; a date-time keeps its time unless it is midnight), an integer-valued number
gives ``12`` (not ``12.0``), a boolean ``true``/``false``.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final, TextIO, TypeVar

from builders.errors import BuildError
from builders.safenames import printable
from builders.xlsxguard import check_archive, guarded_rows

_PROBE_BYTES: Final = 65536
_FALLBACK: Final = "accrochage-cp1252-fallback"
CSV_SUFFIXES: Final = (".csv", ".txt")
XLSX_SUFFIXES: Final = (".xlsx", ".xlsm")

Row = tuple[int, dict[str, str]]
#: A data row as the sheet streams it: row number and cells in header order.
RawRow = tuple[int, list[str]]
#: One of several processes reading a file: (index, count, rows per block).
Share = tuple[int, int, int]
_Row = TypeVar("_Row")


def _cp1252_fallback(error: UnicodeError) -> tuple[str, int]:
    # A non-UTF-8 byte in an otherwise UTF-8 file: read that byte as Windows-1252, as Excel
    # would have written it. The 5 bytes cp1252 leaves undefined read as latin-1.
    if not isinstance(error, UnicodeDecodeError):
        raise error
    chunk = error.object[error.start : error.start + 1]
    return bytes(chunk).decode("cp1252", errors="replace").replace("\ufffd", chr(chunk[0])), (
        error.start + 1
    )


codecs.register_error(_FALLBACK, _cp1252_fallback)


@dataclass
class Sheet:
    """An open export: its header row and an iterator over its data rows.

    ``rows`` yields each non-blank row's cells in header order (a row may be shorter or
    longer than the header; missing cells are empty).
    """

    source: str
    headers: tuple[str, ...]
    header_row: int
    rows: Iterator[RawRow]


def detect_encoding(path: Path) -> str:
    """The encoding to read ``path`` with: ``utf-8-sig``, ``utf-8`` or ``cp1252``."""
    with path.open("rb") as handle:
        probe = handle.read(_PROBE_BYTES)
    if probe.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(probe, final=False)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def _delimiter(header_line: str) -> str:
    return "," if header_line.count(",") > header_line.count(";") else ";"


def _csv_sheet(path: Path, handle: TextIO, *, plain: bool, share: Share | None) -> Sheet:
    source = printable(str(path))
    number = 0
    delimiter = None
    while True:
        position = handle.tell()
        line = handle.readline()
        if not line:
            raise BuildError(f"{source}: the file is empty (no header row)")
        if number == 0 and delimiter is None and line[:4].lower() == "sep=" and len(line) > 4:
            delimiter = line[4]  # Excel's delimiter hint line, not shown as a row
            continue
        number += 1
        if line.strip(" \t\r\n;,"):
            break
    handle.seek(position)
    delimiter = delimiter or _delimiter(line)
    reader = csv.reader(handle, delimiter=delimiter)
    headers = tuple(cell.strip() for cell in next(reader))
    if plain:
        return Sheet(source, headers, number, _plain_rows(handle, delimiter, number, source, share))
    return Sheet(source, headers, number, _owned(_csv_rows(reader, number, source), share))


def is_plain(path: Path) -> bool:
    """Whether a CSV file holds no double quote and no NUL byte.

    Then each line is one record and its cells are the line split on the delimiter, exactly as
    the csv module would read them (``_plain_rows``, several times cheaper).
    """
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            if b'"' in block or b"\0" in block:
                return False
    return True


def _plain_rows(
    lines: Iterator[str], delimiter: str, first: int, source: str, share: Share | None
) -> Iterator[RawRow]:
    """``_csv_rows`` of a plain file (see ``is_plain``), keeping ``share``'s rows only.

    The lines come from a file opened with ``newline=""``: a line ends at LF, CR or CRLF, as a
    csv record does. A row outside the share is only checked for being blank (it still counts
    for the blocks), never split.
    """
    limit = csv.field_size_limit()
    for number, text in _owned(_plain_lines(lines, delimiter, first), share):
        cells = text.split(delimiter)
        if len(text) > limit and max(map(len, cells)) > limit:
            message = f"field larger than field limit ({limit})"  # the csv module's words
            raise BuildError(f"{source}: row {number}: unreadable CSV ({message})")
        yield number, cells


def _plain_lines(lines: Iterator[str], delimiter: str, first: int) -> Iterator[tuple[int, str]]:
    """(row number, line without its end) of each non-blank line; blank ones are counted."""
    number = first
    for line in lines:
        number += 1
        text = line.rstrip("\r\n")
        if text.replace(delimiter, "").strip():
            yield number, text


def _owned(rows: Iterator[_Row], share: Share | None) -> Iterator[_Row]:
    """The rows of blocks ``index``, ``index + count``, ... of ``block`` rows each."""
    if share is None:
        yield from rows
        return
    index, count, block = share
    for position, row in enumerate(rows):
        if position // block % count == index:
            yield row


def _csv_rows(reader: Iterator[list[str]], first: int, source: str) -> Iterator[RawRow]:
    number = first
    try:
        for cells in reader:
            number += 1
            if "".join(cells).strip():
                yield number, cells
    except csv.Error as exc:
        raise BuildError(f"{source}: row {number + 1}: unreadable CSV ({exc})") from exc


def cell_text(value: object) -> str:
    """A spreadsheet cell's value as the text a CSV export would hold."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_rows(rows: Iterator[tuple[object, ...]], first: int) -> Iterator[RawRow]:
    for number, values in enumerate(rows, start=first + 1):
        cells = [cell_text(value) for value in values]
        if "".join(cells).strip():
            yield number, cells


@contextmanager
def _open_xlsx(path: Path) -> Iterator[Sheet]:
    from openpyxl import load_workbook

    source = printable(str(path))
    check_archive(path, source)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # any failure to open is this file's error
        raise BuildError(f"{source}: not a readable XLSX workbook ({printable(str(exc))})") from exc
    try:
        if not workbook.worksheets:
            raise BuildError(f"{source}: the workbook has no sheet")
        rows = guarded_rows(workbook.worksheets[0].iter_rows(min_row=1, values_only=True), source)
        for number, values in enumerate(rows, start=1):
            headers = tuple(cell_text(value).strip() for value in values)
            if any(headers):
                yield Sheet(source, headers, number, _xlsx_rows(rows, number))
                return
        raise BuildError(f"{source}: the first sheet is empty (no header row)")
    finally:
        workbook.close()


@contextmanager
def open_sheet(path: Path, share: Share | None = None) -> Iterator[Sheet]:
    """Open an export for streaming.

    Args:
        path: a ``.csv`` (or ``.txt``) or ``.xlsx`` file.
        share: ``(index, count, block)``: the data rows (non-blank, in file order) are cut
            into blocks of ``block`` rows and ``rows`` yields blocks ``index``,
            ``index + count``, ... only (one of ``count`` processes sharing the file).

    Yields:
        The sheet; its ``rows`` iterator is valid inside the ``with`` block only.

    Raises:
        BuildError: missing or unreadable file, unknown extension, empty file or sheet,
            duplicated header (see ``builders.columns`` for header matching).
    """
    source = printable(str(path))
    suffix = path.suffix.lower()
    if suffix not in CSV_SUFFIXES + XLSX_SUFFIXES:
        raise BuildError(f"{source}: unknown file type {suffix!r}; expected .csv or .xlsx")
    if not path.is_file():
        raise BuildError(f"{source}: file not found")
    if suffix in XLSX_SUFFIXES:
        with _open_xlsx(path) as sheet:
            _check_headers(sheet)
            sheet.rows = _owned(sheet.rows, share)
            yield sheet
        return
    encoding = detect_encoding(path)
    plain = is_plain(path)
    with path.open(encoding=encoding, errors=_FALLBACK, newline="") as handle:
        sheet = _csv_sheet(path, handle, plain=plain, share=share)
        _check_headers(sheet)
        yield sheet


def _check_headers(sheet: Sheet) -> None:
    seen: set[str] = set()
    for header in sheet.headers:
        key = header.casefold()
        if key and key in seen:
            raise BuildError(f"{sheet.source}: the header {header!r} appears twice")
        seen.add(key)


def read_rows(path: Path) -> Iterator[Row]:
    """Every non-blank data row of ``path`` as ``(row number, {header: cell})``.

    Raises:
        BuildError: see ``open_sheet``.
    """
    with open_sheet(path) as sheet:
        for number, cells in sheet.rows:
            yield number, dict(zip(sheet.headers, cells, strict=False))

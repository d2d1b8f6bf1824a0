"""CSV exports (``.csv``, ``.txt``), streamed, never loaded whole.

The delimiter (``;`` or ``,``) is the one found most in the header line, unless the file
starts with Excel's ``sep=;`` hint line (not counted as a row). Encoding: a UTF-8
BOM means UTF-8; otherwise the first 64 KiB must decode as strict UTF-8, else the file is read
as Windows-1252 (what Excel writes for "CSV (séparateur: point-virgule)"). In a UTF-8 file, a
later byte that is not UTF-8 is read as Windows-1252 too, so an export whose first accented
letter comes after 64 KiB still reads right. A file without double quotes is read line by line
(``is_plain``), several times faster than through the csv module.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final, TextIO

from builders.errors import BuildError
from builders.exports.sheet import RawRow, Share, Sheet, check_headers, owned
from builders.safenames import printable

_PROBE_BYTES: Final = 65536
_FALLBACK: Final = "accrochage-cp1252-fallback"


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
    return Sheet(source, headers, number, owned(_csv_rows(reader, number, source), share))


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
    for number, text in owned(_plain_lines(lines, delimiter, first), share):
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


def _csv_rows(reader: Iterator[list[str]], first: int, source: str) -> Iterator[RawRow]:
    number = first
    try:
        for cells in reader:
            number += 1
            if "".join(cells).strip():
                yield number, cells
    except csv.Error as exc:
        raise BuildError(f"{source}: row {number + 1}: unreadable CSV ({exc})") from exc


class CsvReader:
    """The CSV format of the registry (``builders.exports.formats``)."""

    name: Final = "CSV"
    suffixes: Final = (".csv", ".txt")

    @contextmanager
    def open(self, path: Path, share: Share | None) -> Iterator[Sheet]:
        """Open a CSV export for streaming (see ``builders.exports.formats.open_sheet``)."""
        encoding = detect_encoding(path)
        plain = is_plain(path)
        with path.open(encoding=encoding, errors=_FALLBACK, newline="") as handle:
            sheet = _csv_sheet(path, handle, plain=plain, share=share)
            check_headers(sheet)
            yield sheet

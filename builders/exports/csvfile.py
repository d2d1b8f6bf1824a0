"""CSV exports (``.csv``, ``.txt``), streamed, never loaded whole.

The header is the row among the first 20 that gives the most known columns (see
``builders.exports.sheet``), split on ``;``, ``,`` or tab, whichever gives most; Excel's
``sep=;`` hint line, when the file starts with one, fixes the delimiter (it is not counted as a
row). Encoding: a UTF-8 BOM means UTF-8, a UTF-16 BOM UTF-16 (Excel's "Texte Unicode", tab-
separated); otherwise the first 64 KiB must decode as strict UTF-8, else the file is read
as Windows-1252 (what Excel writes for "CSV (séparateur: point-virgule)"). In a UTF-8 file, a
later byte that is not UTF-8 is read as Windows-1252 too, so an export whose first accented
letter comes after 64 KiB still reads right. A file without double quotes is read line by line
(``is_plain``), several times faster than through the csv module.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final, TextIO

from builders.errors import BuildError
from builders.exports.sheet import (
    HEADER_ROWS,
    Candidate,
    LineRows,
    Locate,
    RawRow,
    Sheet,
    best_header,
    candidate,
)
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
    """The encoding to read ``path`` with: ``utf-8-sig``, ``utf-16``, ``utf-8`` or ``cp1252``."""
    with path.open("rb") as handle:
        probe = handle.read(_PROBE_BYTES)
    if probe.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if probe.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # Excel's "Texte Unicode": UTF-16 with its BOM, tab-separated
    try:
        codecs.getincrementaldecoder("utf-8")().decode(probe, final=False)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


_DELIMITERS: Final = (";", ",", "\t")
#: Lines read to find the header (a multi-line cell spans several).
_PROBE_LINES: Final = 200


def _delimiter(header_line: str) -> str:
    """The delimiter found most in a line (``;`` on a tie)."""
    return max(_DELIMITERS, key=header_line.count)


def _probe_lines(handle: TextIO) -> tuple[str | None, list[tuple[int, str]]]:
    """Excel's ``sep=`` hint (if any) and the first lines with their positions."""
    hint = None
    lines: list[tuple[int, str]] = []
    while len(lines) < _PROBE_LINES:
        position = handle.tell()
        line = handle.readline()
        if not line:
            break
        if not lines and hint is None and line[:4].lower() == "sep=" and len(line) > 4:
            hint = line[4]  # Excel's delimiter hint line, not shown as a row
            continue
        lines.append((position, line))
    return hint, lines


def _candidates(
    lines: list[tuple[int, str]], delimiter: str, locate: Locate | None
) -> list[Candidate]:
    """The first ``HEADER_ROWS`` records of the probe, split on ``delimiter``."""
    consumed = 0

    def feed() -> Iterator[str]:
        nonlocal consumed
        for _, text in lines:
            consumed += 1
            yield text

    found: list[Candidate] = []
    start = 0
    reader = csv.reader(feed(), delimiter=delimiter)
    with contextlib.suppress(csv.Error):  # a record cut by the probe's end
        for number, cells in enumerate(reader, start=1):
            row = candidate(number, cells, locate, (delimiter, lines[start][0]))
            if row is not None:
                found.append(row)
                if locate is None:
                    break
            start = consumed
            if number >= HEADER_ROWS:
                break
    return found


def _pick(
    source: str, hint: str | None, lines: list[tuple[int, str]], locate: Locate | None
) -> Candidate:
    """The header row: the record giving the most known columns, whatever the delimiter."""
    if not lines:
        raise BuildError(f"{source}: the file is empty (no header row)")
    if hint is not None:
        delimiters: tuple[str, ...] = (hint,)
    elif locate is None:
        first = next((text for _, text in lines if text.strip(" \t\r\n;,")), lines[0][1])
        delimiters = (_delimiter(first),)
    else:
        delimiters = _DELIMITERS
    found = [row for delimiter in delimiters for row in _candidates(lines, delimiter, locate)]
    # Ties: more cells first (the right delimiter splits the row), then the earlier row.
    found.sort(key=lambda row: (-row.score, -len(row.cells), row.number))
    names = {";": "';'", ",": "','", "\t": "tab"}
    tried = f"rows 1-{HEADER_ROWS} split on " + " / ".join(
        names.get(d, repr(d)) for d in delimiters
    )
    return best_header(source, found, tried)


def _csv_sheet(path: Path, handle: TextIO, *, plain: bool, locate: Locate | None) -> Sheet:
    source = printable(str(path))
    hint, lines = _probe_lines(handle)
    header = _pick(source, hint, lines, locate)
    place: tuple[str, int] = header.place  # type: ignore[assignment]
    delimiter, position = place
    number = header.number
    handle.seek(position)
    reader = csv.reader(handle, delimiter=delimiter)
    headers = tuple(cell.strip() for cell in next(reader))
    if plain:
        return Sheet(source, headers, number, _plain_rows(handle, delimiter, number, source))
    return Sheet(source, headers, number, _csv_rows(reader, number, source))


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


def _plain_rows(lines: Iterator[str], delimiter: str, first: int, source: str) -> LineRows:
    """``_csv_rows`` of a plain file (see ``is_plain``), as ``LineRows``.

    The lines come from a file opened with ``newline=""``: a line ends at LF, CR or CRLF, as a
    csv record does (so no line holds one).
    """
    limit = csv.field_size_limit()

    def check(number: int, text: str) -> None:
        if len(text) > limit and max(map(len, text.split(delimiter))) > limit:
            message = f"field larger than field limit ({limit})"  # the csv module's words
            raise BuildError(f"{source}: row {number}: unreadable CSV ({message})")

    return LineRows(_plain_lines(lines, delimiter, first), delimiter, check)


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
    def open(self, path: Path, locate: Locate | None) -> Iterator[Sheet]:
        """Open a CSV export for streaming (see ``builders.exports.formats.open_sheet``)."""
        encoding = detect_encoding(path)
        plain = is_plain(path)
        with path.open(encoding=encoding, errors=_FALLBACK, newline="") as handle:
            yield _csv_sheet(path, handle, plain=plain, locate=locate)

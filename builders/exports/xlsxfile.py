"""XLSX exports (``.xlsx``, ``.xlsm``), read with openpyxl in read-only mode.

The sheet read is the one whose header (within its first 20 rows) gives the most known columns,
the first on a tie, or the one ``Locate.sheet`` names. Rows hidden by a filter or by hand are
read like the others and listed in ``Sheet.hidden``, for a warning.

A date cell gives an ISO date (``2024-03-15``; a date-time keeps its time unless it is
midnight), an integer-valued number gives ``12`` (not ``12.0``), a boolean ``true``/``false``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from builders.errors import BuildError
from builders.exports.sheet import (
    HEADER_ROWS,
    Candidate,
    Locate,
    RawRow,
    Sheet,
    best_header,
    candidate,
)
from builders.exports.xlsxguard import check_archive, guarded_rows
from builders.safenames import printable

_ROW_TAG: Final = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row\b[^>]*>")
_HIDDEN: Final = re.compile(rb"\shidden=[\"'](?:1|true)[\"']")
_ROW_NUMBER: Final = re.compile(rb"\sr=[\"']([0-9]+)[\"']")
_SCAN_BYTES: Final = 1 << 20


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


def _guarded_hidden(source: str, workbook: Any, sheet: Any, after: int) -> tuple[int, ...]:
    """``_hidden_rows``, any failure to read the sheet's XML being this file's error."""
    try:
        return _hidden_rows(workbook, sheet, after)
    except Exception as exc:
        what = printable(f"{type(exc).__name__}: {exc}")
        raise BuildError(f"{source}: unreadable sheet ({what})") from exc


def _hidden_rows(workbook: Any, sheet: Any, after: int) -> tuple[int, ...]:
    """The rows below ``after`` that the sheet hides (by a filter or by hand).

    openpyxl's read-only mode does not keep row properties: the sheet's XML is scanned again,
    streamed, for its ``<row r="7" ... hidden="1">`` start tags (a byte scan: several times
    faster than parsing every cell again).
    """
    part = getattr(sheet, "_worksheet_path", None)
    archive = getattr(workbook, "_archive", None)
    if part is None or archive is None:  # pragma: no cover - openpyxl internals changed
        return ()
    found: list[int] = []
    tail = b""
    with archive.open(part) as stream:
        while True:
            block = stream.read(_SCAN_BYTES)
            data = tail + block
            cut = data.rfind(b"<") if block else len(data)
            found += _hidden_in(data[:cut], after)
            tail = data[cut:]
            if not block:
                return tuple(found)


def _hidden_in(data: bytes, after: int) -> Iterator[int]:
    for tag in _ROW_TAG.finditer(data):
        text = tag.group()
        number = _ROW_NUMBER.search(text) if _HIDDEN.search(text) else None
        if number is not None and int(number.group(1)) > after:
            yield int(number.group(1))


def _sheet_candidates(
    sheet: Any, locate: Locate | None, where: str, source: str
) -> list[Candidate]:
    found: list[Candidate] = []
    rows = guarded_rows(sheet.iter_rows(min_row=1, max_row=HEADER_ROWS, values_only=True), source)
    for number, values in enumerate(rows, start=1):
        row = candidate(number, [cell_text(value) for value in values], locate, sheet, where)
        if row is not None:
            found.append(row)
            if locate is None:
                break
    return found


def _pick(source: str, workbook: Any, locate: Locate | None) -> Candidate:
    sheets = workbook.worksheets
    if not sheets:
        raise BuildError(f"{source}: the workbook has no sheet")
    names = [sheet.title for sheet in sheets]
    wanted = locate.sheet if locate is not None else None
    if wanted is not None:
        sheets = [sheet for sheet in sheets if sheet.title == wanted]
        if not sheets:
            listed = ", ".join(repr(name) for name in names)
            raise BuildError(f"{source}: no sheet named {wanted!r} (the sheets are {listed})")
    elif locate is None:
        sheets = sheets[:1]
    found: list[Candidate] = []
    for sheet in sheets:
        where = f"sheet {sheet.title!r} " if len(names) > 1 else ""
        found += _sheet_candidates(sheet, locate, where, source)
    if len(sheets) > 1:
        tried = f"rows 1-{HEADER_ROWS} of sheets " + ", ".join(repr(s.title) for s in sheets)
    else:
        tried = f"rows 1-{HEADER_ROWS} of sheet {sheets[0].title!r}"
    return best_header(source, found, tried)


@contextmanager
def _open_xlsx(path: Path, locate: Locate | None) -> Iterator[Sheet]:
    from openpyxl import load_workbook

    source = printable(str(path))
    check_archive(path, source)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # any failure to open is this file's error
        raise BuildError(f"{source}: not a readable XLSX workbook ({printable(str(exc))})") from exc
    try:
        header = _pick(source, workbook, locate)
        sheet = header.place
        rows = guarded_rows(
            sheet.iter_rows(min_row=1, values_only=True),  # type: ignore[attr-defined]
            source,
        )
        headers: tuple[str, ...] = ()
        for _ in range(header.number):
            headers = tuple(cell_text(value).strip() for value in next(rows))
        yield Sheet(
            source,
            headers,
            header.number,
            _xlsx_rows(rows, header.number),
            sheet_name=sheet.title,  # type: ignore[attr-defined]
            sheets=len(workbook.worksheets),
            find_hidden=lambda: _guarded_hidden(source, workbook, sheet, header.number),
        )
    finally:
        workbook.close()


class XlsxReader:
    """The XLSX format of the registry (``builders.exports.formats``)."""

    name: Final = "XLSX"
    suffixes: Final = (".xlsx", ".xlsm")

    @contextmanager
    def open(self, path: Path, locate: Locate | None) -> Iterator[Sheet]:
        """Open an XLSX export for streaming (see ``builders.exports.formats.open_sheet``)."""
        with _open_xlsx(path, locate) as sheet:
            yield sheet

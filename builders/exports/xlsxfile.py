"""XLSX exports (``.xlsx``, ``.xlsm``), read with openpyxl in read-only mode.

The sheet read is the one whose header (within its first 20 rows) gives the most known columns,
the first on a tie, or the one ``Locate.sheet`` names. Rows hidden by a filter or by hand are
read like the others and listed in ``Sheet.hidden``, for a warning. A formula without a stored
value (a file never saved by a spreadsheet) reads as ``sheet.formula_cell(formula)``, not as an
empty cell, so the row mapper reports it (both found by ``builders.exports.xlsxscan``).

A date cell gives an ISO date (``2024-03-15``; a date-time keeps its time unless it is
midnight), an integer-valued number gives ``12`` (not ``12.0``), a boolean ``true``/``false``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final, TypeVar

from builders.errors import BuildError
from builders.exports.sheet import (
    HEADER_ROWS,
    Candidate,
    Locate,
    RawRow,
    Sheet,
    best_header,
    candidate,
    formula_cell,
)
from builders.exports.xlsxguard import check_archive, guarded_rows
from builders.exports.xlsxscan import Formulas, formula_cells, hidden_rows
from builders.safenames import printable

_Found = TypeVar("_Found")


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


def _xlsx_rows(
    rows: Iterator[tuple[object, ...]], first: int, formulas: Formulas
) -> Iterator[RawRow]:
    for number, values in enumerate(rows, start=first + 1):
        cells = [cell_text(value) for value in values]
        missing = formulas.get(number)
        if missing:
            cells += [""] * (max(missing) + 1 - len(cells))
            for column, text in missing.items():
                cells[column] = formula_cell(text)
        if "".join(cells).strip():
            yield number, cells


def _guarded_scan(source: str, scan: Callable[[], _Found]) -> _Found:
    """A scan of the sheet's XML (``builders.exports.xlsxscan``), any failure to read it being
    this file's error."""
    try:
        return scan()
    except Exception as exc:
        what = printable(f"{type(exc).__name__}: {exc}")
        raise BuildError(f"{source}: unreadable sheet ({what})") from exc


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
        formulas = _guarded_scan(source, lambda: formula_cells(workbook, sheet, header.number))
        yield Sheet(
            source,
            headers,
            header.number,
            _xlsx_rows(rows, header.number, formulas),
            sheet_name=sheet.title,  # type: ignore[attr-defined]
            sheets=len(workbook.worksheets),
            find_hidden=lambda: _guarded_scan(
                source, lambda: hidden_rows(workbook, sheet, header.number)
            ),
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

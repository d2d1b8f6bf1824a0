"""XLSX exports (``.xlsx``, ``.xlsm``): the first sheet, read with openpyxl in read-only mode.

A date cell gives an ISO date (``2024-03-15``; a date-time keeps its time unless it is
midnight), an integer-valued number gives ``12`` (not ``12.0``), a boolean ``true``/``false``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from builders.errors import BuildError
from builders.exports.sheet import RawRow, Share, Sheet, check_headers, owned
from builders.exports.xlsxguard import check_archive, guarded_rows
from builders.safenames import printable


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


class XlsxReader:
    """The XLSX format of the registry (``builders.exports.formats``)."""

    name: Final = "XLSX"
    suffixes: Final = (".xlsx", ".xlsm")

    @contextmanager
    def open(self, path: Path, share: Share | None) -> Iterator[Sheet]:
        """Open an XLSX export for streaming (see ``builders.exports.formats.open_sheet``)."""
        with _open_xlsx(path) as sheet:
            check_headers(sheet)
            sheet.rows = owned(sheet.rows, share)
            yield sheet

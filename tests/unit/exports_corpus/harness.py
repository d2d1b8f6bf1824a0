"""The corpus case format, and writers that produce exports as certifiers' tools do.

(A subset of the corpus harness of issue 10 part A, with the same names and signatures, so
that ``cases_values.py`` runs under either; ``test_values_corpus.py`` runs it here.)
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook

Writer = Callable[[Path], Path]
BuildConfig = Mapping[str, object]


@dataclass(frozen=True)
class Case:
    """One export and what ``accrochage build`` must make of it (see part A's harness)."""

    name: str
    write: Writer
    exit_code: int
    valid: int = 0
    skipped: int = 0
    rejected: frozenset[tuple[int, str]] = frozenset()
    warnings: frozenset[tuple[int, str]] | None = frozenset()
    says: tuple[str, ...] = ()
    build: BuildConfig = field(default_factory=dict)
    args: tuple[str, ...] = ()
    header_row: int | None = None
    sheet: str | None = None
    hidden: int = 0


def csv_file(
    name: str,
    rows: Sequence[Sequence[object]],
    *,
    encoding: str = "utf-8-sig",
    delimiter: str = ";",
    first_line: str | None = None,
) -> Writer:
    """An export written by the csv module (``first_line``: e.g. Excel's ``sep=,``)."""

    def write(folder: Path) -> Path:
        path = folder / name
        with path.open("w", encoding=encoding, newline="") as handle:
            if first_line is not None:
                handle.write(first_line + "\r\n")
            writer = csv.writer(handle, delimiter=delimiter, lineterminator="\r\n")
            writer.writerows([["" if cell is None else str(cell) for cell in row] for row in rows])
        return path

    return write


def xlsx_file(
    name: str,
    sheets: Mapping[str, Sequence[Sequence[object]]],
    *,
    hidden: Sequence[int] = (),
    filtered: bool = False,
    merged: Sequence[str] = (),
) -> Writer:
    """A workbook written by openpyxl: one sheet per entry (typed cells as given)."""

    def write(folder: Path) -> Path:
        workbook = Workbook()
        workbook.remove(workbook.active)
        sheet = None
        for title, rows in sheets.items():
            sheet = workbook.create_sheet(title)
            for row in rows:
                sheet.append(list(row))
        assert sheet is not None
        for cells in merged:
            sheet.merge_cells(cells)
        if filtered:
            sheet.auto_filter.ref = sheet.dimensions
        for number in hidden:
            sheet.row_dimensions[number].hidden = True
        path = folder / name
        workbook.save(path)
        return path

    return write


def rows_of(*pairs: tuple[int, str]) -> frozenset[tuple[int, str]]:
    """A set of (row, field) pairs."""
    return frozenset(pairs)

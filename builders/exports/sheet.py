"""An open export, whatever its format: its header row and its data rows.

Rows come as ``(row number, cells)`` with row numbers as a spreadsheet shows them (the header
is row 1, or the row it sits on when blank rows precede it). Blank rows (no cell with anything
but spaces) are skipped but counted. Cells are strings: an empty cell is ``""``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TypeVar

from builders.errors import BuildError

Row = tuple[int, dict[str, str]]
#: A data row as the sheet streams it: row number and cells in header order.
RawRow = tuple[int, list[str]]
#: One of several processes reading a file: (index, count, rows per block).
Share = tuple[int, int, int]
_Row = TypeVar("_Row")


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


def owned(rows: Iterator[_Row], share: Share | None) -> Iterator[_Row]:
    """The rows of blocks ``index``, ``index + count``, ... of ``block`` rows each."""
    if share is None:
        yield from rows
        return
    index, count, block = share
    for position, row in enumerate(rows):
        if position // block % count == index:
            yield row


def check_headers(sheet: Sheet) -> None:
    seen: set[str] = set()
    for header in sheet.headers:
        key = header.casefold()
        if key and key in seen:
            raise BuildError(f"{sheet.source}: the header {header!r} appears twice")
        seen.add(key)

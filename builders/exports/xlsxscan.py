"""Byte scans of a worksheet's XML, for what openpyxl's read-only mode does not tell.

- ``hidden_rows``: rows hidden by a filter or by hand (read-only mode keeps no row
  properties): ``<row r="7" ... hidden="1">`` start tags.
- ``formula_cells``: formulas without a stored value. With ``data_only=True`` openpyxl gives
  None for such a cell, exactly as for an empty one; a file written by a program (openpyxl,
  some exports) and never saved by a spreadsheet holds formulas without their values:
  ``<c r="D5"><f>SUM(D2:D4)</f><v></v></c>``. A formula whose value is an empty text
  (``t="str"`` with an empty ``<v>``, as Excel and LibreOffice store it) has its value.

Both stream the sheet's part in blocks of ``SCAN_BYTES`` (never the whole sheet in memory)
and match bytes with regular expressions: several times faster than parsing every cell again.
The formula scan only parses the cells of blocks that hold a formula at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any, Final
from xml.sax.saxutils import unescape

from openpyxl.utils import column_index_from_string

_PREFIX: Final = rb"(?:[A-Za-z_][\w.-]*:)?"
_ROW_TAG: Final = re.compile(rb"<" + _PREFIX + rb"row\b[^>]*>")
_HIDDEN: Final = re.compile(rb"\shidden=[\"'](?:1|true)[\"']")
_ROW_NUMBER: Final = re.compile(rb"\sr=[\"']([0-9]+)[\"']")
_FORMULA_TAG: Final = re.compile(rb"<" + _PREFIX + rb"f[\s>/]")
#: A cell element: its attributes, and its content unless it is empty (``<c .../>``).
_CELL: Final = re.compile(rb"<(" + _PREFIX + rb")c\b([^>]*?)(?:/>|>(.*?)</\1c>)", re.DOTALL)
_FORMULA: Final = re.compile(
    rb"<" + _PREFIX + rb"f\b[^>]*?(?:/>|>([^<]*)</" + _PREFIX + rb"f>)", re.DOTALL
)
_VALUE: Final = re.compile(rb"<" + _PREFIX + rb"v\b[^>]*?(?:/>|>([^<]*)</)")
_REFERENCE: Final = re.compile(rb"\sr=[\"']([A-Z]{1,3})([0-9]+)[\"']")
_TEXT_TYPE: Final = re.compile(rb"\st=[\"']str[\"']")
_ENTITIES: Final = {"&quot;": '"', "&apos;": "'"}
#: Bytes read from the sheet's part at a time.
SCAN_BYTES: Final = 1 << 20

#: A formula without a stored value: ``{row number: {column index (0-based): formula text}}``.
Formulas = dict[int, dict[int, str]]


def hidden_rows(workbook: Any, sheet: Any, after: int) -> tuple[int, ...]:
    """The rows below ``after`` that the sheet hides (by a filter or by hand)."""
    found: list[int] = []
    for data in _blocks(workbook, sheet, lambda data: data.rfind(b"<")):
        for tag in _ROW_TAG.finditer(data):
            text = tag.group()
            number = _ROW_NUMBER.search(text) if _HIDDEN.search(text) else None
            if number is not None and int(number.group(1)) > after:
                found.append(int(number.group(1)))
    return tuple(found)


def formula_cells(workbook: Any, sheet: Any, after: int) -> Formulas:
    """The cells below row ``after`` holding a formula without a stored value.

    A cell without an ``r`` reference (which Excel, LibreOffice and openpyxl always write)
    cannot be placed and is not reported.
    """
    found: Formulas = {}
    for data in _blocks(workbook, sheet, _after_last_cell):
        if (b"<f" not in data and b":f" not in data) or _FORMULA_TAG.search(data) is None:
            continue  # no formula in this piece (the byte searches are the fast part)
        for cell in _CELL.finditer(data):
            content = cell.group(3)
            formula = _FORMULA.search(content) if content else None
            reference = _REFERENCE.search(cell.group(2)) if formula is not None else None
            if formula is None or reference is None or _has_value(cell.group(2), content):
                continue
            number = int(reference.group(2))
            if number > after:
                column = column_index_from_string(reference.group(1).decode("ascii")) - 1
                text = unescape((formula.group(1) or b"").decode("utf-8", "replace"), _ENTITIES)
                found.setdefault(number, {})[column] = text
    return found


def _has_value(attributes: bytes, content: bytes) -> bool:
    value = _VALUE.search(content)
    if value is None:
        return False
    return bool(value.group(1)) or _TEXT_TYPE.search(attributes) is not None


def _after_last_cell(data: bytes) -> int:
    """Where the last complete cell (``</c>``) or row ends in ``data`` (0: none does), so a
    cell never straddles the cut and what is carried over stays about one cell long."""
    cell, row = data.rfind(b"c>"), data.rfind(b"row>")
    return max(cell + 2 if cell >= 0 else 0, row + 4 if row >= 0 else 0)


def _blocks(workbook: Any, sheet: Any, cut: Callable[[bytes], int]) -> Iterator[bytes]:
    """The sheet's XML in pieces, each cut where ``cut`` says (the rest joins the next)."""
    part = getattr(sheet, "_worksheet_path", None)
    archive = getattr(workbook, "_archive", None)
    if part is None or archive is None:  # pragma: no cover - openpyxl internals changed
        return
    tail = b""
    with archive.open(part) as stream:
        while True:
            block = stream.read(SCAN_BYTES)
            data = tail + block
            end = cut(data) if block else len(data)
            yield data[:end]
            tail = data[end:]
            if not block:
                return

"""Rows that are not candidates at all: a totals row, a formula without its value.

Spreadsheets often end with a totals row (``Total : 48``, ``Nombre de candidats``, a
``=SOMME(...)``) or hold formulas whose value was never stored (a file written by a program,
not saved by Excel: the importer sees the formula text, or nothing). Reported field by field,
such a row gives a dozen errors that hide the cause; ``whole_row_problem`` names it in one
message instead. It is only asked about rows that already have errors, so a valid row is never
looked at (and never costs anything).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

from builders.exports.normalize import fold
from builders.exports.sheet import formula_of

_TOTALS: Final = frozenset(
    {"TOTAL", "TOTAUX", "SOUS_TOTAL", "SOMME", "NOMBRE", "NB", "MOYENNE", "EFFECTIF"}
    | {"EFFECTIFS", "COUNT", "SUM"}
)
_WORD: Final = re.compile(r"(?:SOUS_)?[A-Z]+")
_FORMULA: Final = re.compile(r"=\s*[A-Za-zÀ-ÿ_.]+\s*\(|=\s*\$?[A-Z]{1,3}\$?[0-9]+")
#: A cell holding a formula without a stored value (``builders.exports.sheet.formula_cell``).
FORMULA_CELL: Final = "formula without a stored value: open and save the file in Excel"
#: A row made of formulas without stored values only.
FORMULAS_ROW: Final = (
    "formulas without stored values only (a totals row?), not a candidate: open and save the "
    "file in Excel (or LibreOffice), or delete the row"
)
#: A totals row fills few cells: at most this share of the row's columns.
_SPARSE: Final = 0.5


def whole_row_problem(cells: Sequence[str]) -> tuple[str, str] | None:
    """(cell, message) when the row as a whole is not a candidate, else None.

    A formula without a stored value (``builders.exports.sheet.formula_cell``) fills its cell:
    a row of such formulas only, or a totals row holding some, is one message.
    """
    formulas = [found for cell in cells if (found := formula_of(cell)) is not None]
    if formulas and all(formula_of(cell) is not None for cell in cells if cell.strip()):
        return formulas[0], FORMULAS_ROW
    for cell in cells:
        text = cell.strip()
        if text.startswith("=") and _FORMULA.match(text):
            return text, (
                "a formula without its value: the file was not saved by a spreadsheet that "
                "stores values; open it in Excel or LibreOffice, save it, and export again"
            )
    filled = [cell.strip() for cell in cells if cell.strip()]
    if not filled or len(filled) > max(1, len(cells) * _SPARSE):
        return None
    for text in filled:
        word = _WORD.match(fold(text))
        if word is not None and word.group() in _TOTALS:
            return text, (
                "looks like a totals row, not a candidate: delete it (or leave a blank row "
                "and nothing below the table)"
            )
    return None

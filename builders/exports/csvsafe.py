"""CSV cells that a spreadsheet cannot run, and back (OWASP "CSV injection").

Excel, LibreOffice and Google Sheets evaluate a cell starting with ``=``, ``+``, ``-`` or ``@``
(and, in some versions, a tab or a carriage return) as a formula, so a name or a CDC message
written as ``=HYPERLINK(...)`` would run when the operator opens the CSV. The OWASP advice is to
prefix such a cell with a single quote, which spreadsheets show as text. Cells already starting
with a quote get one more, so :func:`restore` gives back exactly what :func:`neutralise` was
given. NUL bytes are dropped (they truncate cells in some readers and are never data).

The importer calls :func:`restore` on every cell, so a CSV the agent wrote (``rejects --csv``,
``<export>.errors.csv``) imports back to the same values.
"""

from __future__ import annotations

from collections.abc import Mapping

#: First characters a spreadsheet may take as the start of a formula, plus the quote itself.
TRIGGERS = frozenset("=+-@\t\r'")


def neutralise(value: object) -> str:
    """The text of ``value`` as a cell no spreadsheet evaluates.

    Args:
        value: Anything; ``None`` becomes an empty cell.

    Returns:
        The text without NUL bytes, prefixed with ``'`` when it starts with a trigger.
    """
    text = "" if value is None else str(value).replace("\x00", "")
    return "'" + text if text[:1] in TRIGGERS and text else text


def neutralise_row(row: Mapping[str, object]) -> dict[str, str]:
    """Every cell of ``row`` neutralised (for ``csv.DictWriter.writerow``)."""
    return {key: neutralise(value) for key, value in row.items()}


def restore(cell: str) -> str:
    """The value a neutralised cell stood for; any other cell unchanged.

    A cell is taken as neutralised when it starts with ``'`` followed by a trigger: a value
    a person typed as ``'=x`` (Excel's own way to enter text) reads as ``=x``, as they meant.
    """
    if cell[:1] == "'" and len(cell) > 1 and cell[1] in TRIGGERS:
        return cell[1:]
    return cell

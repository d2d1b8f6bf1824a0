"""An open export, whatever its format: its header row and its data rows.

Rows come as ``(row number, cells)`` with row numbers as a spreadsheet shows them (the header
is on the row it sits on, below a title or blank rows). Blank rows (no cell with anything but
spaces) are skipped but counted. Cells are strings: an empty cell is ``""``.

The header row is found among the first ``HEADER_ROWS`` rows (of every sheet of a workbook):
with a :class:`Locate`, it is the row giving the most known columns (``headers.score``); without
one, the first non-blank row.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Final

from builders.errors import BuildError

Row = tuple[int, dict[str, str]]
#: A data row as the sheet streams it: row number and cells in header order.
RawRow = tuple[int, list[str]]
#: How a reader gives a formula cell without a stored value: this mark, then the formula's
#: text. A cell of a real export never starts so (XML 1.0 text cannot hold a NUL).
FORMULA_MARK: Final = "\x00formula without a stored value\x00"


def formula_cell(formula: str) -> str:
    """The cell text standing for a formula without a stored value (see ``FORMULA_MARK``)."""
    return FORMULA_MARK + formula


def formula_of(cell: str) -> str | None:
    """The formula (``=SUM(A2:A9)``) of a ``formula_cell``, else None."""
    return "=" + cell[len(FORMULA_MARK) :] if cell.startswith(FORMULA_MARK) else None


class LineRows(Iterator[RawRow]):
    """The data rows of a text file in which each line is one row, its cells the line split on
    ``delimiter`` (a plain CSV: ``builders.exports.csvfile.is_plain``).

    Iterated, it gives rows as any sheet does. :meth:`take_lines` gives the next rows unsplit,
    which a pool process splits itself (``builders.flux.pipeline.packed_chunks``): splitting
    and packing every cell here, to have them joined again for the trip, cost this process
    more than reading the file.
    """

    def __init__(
        self, lines: Iterator[tuple[int, str]], delimiter: str, check: Callable[[int, str], None]
    ) -> None:
        """Rows from ``lines`` (row number, line without its end; blank lines left out);
        ``check(number, line)`` raises ``BuildError`` for a line that cannot be a row."""
        self.delimiter = delimiter
        self._lines = lines
        self._check = check
        self._back: list[tuple[int, str]] = []

    def __next__(self) -> RawRow:
        """The next row, split."""
        number, text = self._back.pop() if self._back else next(self._lines)
        self._check(number, text)
        return number, text.split(self.delimiter)

    def take_lines(self, count: int) -> tuple[list[int], list[str]]:
        """The next ``count`` rows at most, unsplit: their numbers and lines."""
        taken = [self._back.pop() for _ in range(min(count, len(self._back)))]
        taken += itertools.islice(self._lines, count - len(taken))
        for number, text in taken:
            self._check(number, text)
        return [number for number, _ in taken], [text for _, text in taken]

    def unread(self, rows: Sequence[RawRow]) -> None:
        """Give ``rows`` (read from this iterator, in order) back: they come next again."""
        self._back += [(number, self.delimiter.join(cells)) for number, cells in rows][::-1]


def unread(rows: Iterator[RawRow], taken: Sequence[RawRow]) -> Iterator[RawRow]:
    """``rows`` with ``taken`` (just read from it) first again; still ``LineRows`` when it was."""
    if isinstance(rows, LineRows):
        rows.unread(taken)
        return rows
    return itertools.chain(taken, rows)


#: The header is looked for in this many first rows.
HEADER_ROWS: Final = 20
_SHOWN_CELLS: Final = 8


@dataclass(frozen=True)
class Locate:
    """How to find the header row: ``score`` counts the known columns a row gives; ``sheet``
    names the workbook sheet to read (None: the sheet whose header scores best)."""

    score: Callable[[Sequence[str]], int]
    sheet: str | None = None


@dataclass
class Sheet:
    """An open export: its header row and an iterator over its data rows.

    ``rows`` yields each non-blank row's cells in header order (a row may be shorter or
    longer than the header; missing cells are empty). ``sheet_name`` is the workbook sheet
    read (None for text files), ``sheets`` how many the workbook has; ``hidden`` the data rows
    a spreadsheet hides (by a filter or by hand), found by ``find_hidden`` when first asked.
    """

    source: str
    headers: tuple[str, ...]
    header_row: int
    rows: Iterator[RawRow]
    sheet_name: str | None = None
    sheets: int = 1
    find_hidden: Callable[[], tuple[int, ...]] = field(default=tuple)

    @cached_property
    def hidden(self) -> tuple[int, ...]:
        """The hidden data rows, looked for on first use (inside the ``with`` block only)."""
        return self.find_hidden()


@dataclass(frozen=True)
class Candidate:
    """A row that could be the header: where it is, its cells, the columns it gives."""

    number: int
    cells: tuple[str, ...]
    score: int
    place: object = None  # what the reader needs to resume there (a line, a sheet)
    where: str = ""  # "sheet 'Export' " for workbooks


def candidate(
    number: int, cells: Sequence[str], locate: Locate | None, place: object, where: str = ""
) -> Candidate | None:
    """A non-blank row as a header candidate (None for a blank row)."""
    stripped = tuple(cell.strip() for cell in cells)
    if not any(stripped):
        return None
    points = locate.score(stripped) if locate is not None else 1
    return Candidate(number, stripped, points, place, where)


def best_header(source: str, candidates: Sequence[Candidate], tried: str) -> Candidate:
    """The candidate giving the most known columns (the first of equals).

    Args:
        source: the file name.
        candidates: the non-blank rows looked at, in file order.
        tried: what was looked at, for the message (``rows 1-20``).

    Raises:
        BuildError: no row gives a known column; the message shows the fullest row.
    """
    if not candidates:
        raise BuildError(f"{source}: the file is empty (no header row in {tried})")
    best = max(candidates, key=lambda found: found.score)
    if best.score > 0:
        return best
    fullest = max(candidates, key=lambda found: sum(1 for cell in found.cells if cell))
    shown = [cell for cell in fullest.cells if cell]
    more = f", ... ({len(shown)} cells)" if len(shown) > _SHOWN_CELLS else ""
    held = ", ".join(repr(cell) for cell in shown[:_SHOWN_CELLS]) + more
    raise BuildError(
        f"{source}: no header matches a known column (tried {tried}); the best candidate, "
        f"{fullest.where}row {fullest.number}, holds {held}. Expected CDC names (idTechnique, "
        "nomNaissance, dateDebutValidite...), French labels (Nom de naissance, Prénom, Date "
        'd\'obtention...), or a [build.columns] mapping such as "Nom complet" = "nomNaissance"'
    )

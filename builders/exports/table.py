"""An export opened as a table of canonical columns, with what was found on the way.

``open_table`` finds the header row (and the sheet), matches the headers
(``builders.exports.headers``), applies ``[build.defaults]`` and ``[build.values.FIELD]``
(``builders.exports.configured``), and refuses, with one message per file, a file that cannot
be declared as it is:

- a required column is missing (no column, no default): one message naming every missing
  column, instead of the same error on every row;
- no column gives ``admis`` but one looks like a jury outcome (``outcome.outcome_column``), and
  ``[build] all_rows_admitted`` is not set: failed candidates would be declared.

Everything else worth saying about the file (the header row and sheet used, headers left over,
rows hidden in the spreadsheet) is a :class:`~builders.exports.headers.Notice` in
``Table.notices``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from builders.errors import BuildError
from builders.exports import columns as cols
from builders.exports.configured import apply_config
from builders.exports.csvout import report_only
from builders.exports.formats import open_sheet
from builders.exports.headers import (
    Match,
    Notice,
    ignored_notice,
    mapping_keys,
    match_headers,
    score,
    suggest,
)
from builders.exports.outcome import outcome_column
from builders.exports.sheet import Locate, RawRow, Sheet, unread
from builders.safenames import printable
from builders.settings import BuildSettings

#: Data rows looked at to spot an outcome column by its values.
SAMPLE_ROWS: Final = 200
#: Columns every passage needs, unless ``[build.defaults]`` gives them.
REQUIRED: Final = ("code", "dateDebutValidite", "obtentionCertification", "donneeCertifiee")
_TITULAIRE: Final = ("nomNaissance", "prenom1", "sexe")
_BIRTH_YEAR: Final = ("dateNaissance", "anneeNaissance")
_HIDDEN_SHOWN: Final = 30


@dataclass
class Table:
    """An open export as canonical columns.

    Attributes:
        sheet: the sheet as read (source, header row, sheet name, hidden rows).
        headers: the header row, plus one made-up header per ``[build.defaults]`` column the
            file lacks (its cells hold the default).
        columns: canonical column -> its header in ``headers``.
        rows: the data rows, defaults and translations applied.
        match: how the headers matched (``notices()``: the warnings about the file).
    """

    sheet: Sheet
    headers: tuple[str, ...]
    columns: dict[str, str]
    rows: Iterator[RawRow]
    match: Match

    def notices(self) -> list[Notice]:
        """Warnings about the file (inside the ``with`` block only: hidden rows are read then)."""
        return _notices(self.sheet, self.match)

    @property
    def info(self) -> TableInfo:
        """What was read: sheet, header row, hidden rows, columns."""
        sheet = self.sheet
        return TableInfo(
            source=sheet.source,
            sheet=sheet.sheet_name,
            sheets=sheet.sheets,
            header_row=sheet.header_row,
            hidden=sheet.hidden,
            columns=dict(self.columns),
        )


@dataclass(frozen=True)
class TableInfo:
    """Where an export's table was found, for the operator (``Table.info``)."""

    source: str
    sheet: str | None
    sheets: int
    header_row: int
    hidden: tuple[int, ...]
    columns: dict[str, str]

    @property
    def where(self) -> str:
        """``sheet 'Export' (of 3), header on row 3``."""
        place = ""
        if self.sheet is not None:
            place = f"sheet {self.sheet!r} (of {self.sheets}), " if self.sheets > 1 else ""
        return f"{place}header on row {self.header_row}"

    @property
    def usual(self) -> bool:
        """Whether the table is where one expects it: row 1 of a workbook's only sheet."""
        return self.header_row == 1 and self.sheets == 1


def inspect_table(path: Path, settings: BuildSettings) -> tuple[TableInfo, list[Notice]]:
    """Open an export only to see where its table is and what to warn about.

    Raises:
        BuildError: see ``open_table``.
    """
    with open_table(path, settings) as table:
        return table.info, table.notices()


def locator(settings: BuildSettings, source: str) -> Locate:
    """How to find the header row of an export under ``settings``."""
    renames = mapping_keys(settings.columns, source)
    return Locate(score=lambda cells: score(cells, renames), sheet=settings.sheet)


@contextmanager
def open_table(path: Path, settings: BuildSettings) -> Iterator[Table]:
    """Open an export as a table (see the module docstring).

    Args:
        path: the export.
        settings: ``[build]``: columns, defaults, values, sheet, all_rows_admitted.

    Raises:
        BuildError: the file is unusable or cannot be declared as it is.
    """
    source = printable(str(path))
    with open_sheet(path, locator(settings, source)) as sheet:
        match = match_headers(sheet.headers, settings.columns, source, sheet.header_row)
        headers, columns, rows = apply_config(sheet, match.columns, settings)
        _check_required(source, columns, match)
        if "admis" not in columns and not settings.all_rows_admitted:
            rows = _check_outcome(source, sheet, match, rows)
        yield Table(sheet, headers, columns, rows, match)


def _notices(sheet: Sheet, match: Match) -> list[Notice]:
    notices = list(match.notices)
    ignored = ignored_notice(match, sheet.source, sheet.header_row, report_only(sheet.headers))
    if ignored is not None:
        notices.append(ignored)
    if sheet.hidden:
        shown = ", ".join(str(number) for number in sheet.hidden[:_HIDDEN_SHOWN])
        more = (
            f" and {len(sheet.hidden) - _HIDDEN_SHOWN} more"
            if len(sheet.hidden) > _HIDDEN_SHOWN
            else ""
        )
        message = (
            f"{len(sheet.hidden)} hidden row(s) (hidden by a filter or by hand) read like the "
            f"others: {shown}{more}; delete them from the export if they must not be declared"
        )
        notices.append(Notice(sheet.source, sheet.hidden[0], "", "", message))
    return notices


def _check_required(source: str, columns: Mapping[str, str], match: Match) -> None:
    """One error naming every required column the file lacks (see ``REQUIRED``)."""
    missing = [name for name in REQUIRED if name not in columns]
    if not _identified(columns):
        missing += [name for name in _TITULAIRE if name not in columns]
        if not any(name in columns for name in _BIRTH_YEAR):
            missing.append("dateNaissance (or anneeNaissance)")
    if not missing:
        return
    hints = [f"{header!r}{hint}" for header in match.unknown if (hint := suggest(header))]
    unknown = f"; headers not recognised: {', '.join(hints)}" if hints else ""
    raise BuildError(
        f"{source}: required column(s) missing: {', '.join(missing)}{unknown}. Add the "
        "column(s), map your headers in [build.columns], or give a constant in "
        '[build.defaults] (e.g. obtentionCertification = "PAR_ADMISSION")'
    )


def _identified(columns: Mapping[str, str]) -> bool:
    """Whether the columns can identify a holder by some branch (see ``rows``)."""
    if all(name in columns for name in cols.DOSSIER):
        return True
    if "nir" in columns and "nomNaissance" in columns:
        return True
    titulaire = all(name in columns for name in _TITULAIRE)
    return titulaire and any(name in columns for name in _BIRTH_YEAR)


def _check_outcome(
    source: str, sheet: Sheet, match: Match, rows: Iterator[RawRow]
) -> Iterator[RawRow]:
    """``rows`` unchanged, unless a column looks like the jury outcome (then raise)."""
    sample = list(itertools.islice(rows, SAMPLE_ROWS))
    indexes = [sheet.headers.index(header) for header in match.unknown]
    cells = [[row[i] if i < len(row) else "" for i in indexes] for _, row in sample]
    found = outcome_column(match.unknown, cells)
    if found is not None:
        index = sheet.headers.index(found)
        seen = sorted({row[index].strip() for _, row in sample if index < len(row)} - {""})
        values = f" (values {', '.join(seen[:6])})" if seen else ""
        raise BuildError(
            f"{source}: column {found.strip()!r} looks like the jury outcome{values}, but no "
            "column gives admis: every row would be declared, failed candidates included. "
            f'Add to the config: [build.columns] "{found.strip()}" = "admis" (or, if your '
            "exports hold admitted candidates only: [build] all_rows_admitted = true)"
        )
    return unread(rows, sample)

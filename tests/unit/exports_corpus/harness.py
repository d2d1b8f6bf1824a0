"""The corpus case format, and writers that produce exports as certifiers' tools do.

A case module is any ``cases_*.py`` module of this package holding a ``CASES`` list of
:class:`Case`. ``test_corpus.py`` builds each case's export with ``accrochage build --json``
(real CSV/XLSX files, the official XSD imported) and checks the exit code, the counts and the
(row, field) of every rejected row and every warning.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo

from openpyxl import Workbook

Writer = Callable[[Path], Path]
#: What ``[build]`` gets besides the corpus defaults (scalars, and tables as nested dicts).
BuildConfig = Mapping[str, object]


@dataclass(frozen=True)
class Case:
    """One export and what ``accrochage build`` must make of it.

    Attributes:
        name: the case id (unique across the corpus).
        write: writes the export into the given folder and returns its path.
        exit_code: 0 all valid, 1 some rows rejected, 2 unusable file.
        valid, skipped: rows declared, rows skipped as not admitted.
        rejected: (spreadsheet row, field) of every row error.
        warnings: (row, field) of every warning; None: not checked.
        says: text that must appear in the error (exit 2) or in the messages.
        build: ``[build]`` settings for this case, merged into ``BASE_BUILD``.
        args: extra ``build`` arguments (``--sheet``).
        header_row, sheet: where the table must have been found (None: not checked).
        hidden: rows hidden in the spreadsheet.
    """

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


#: ``[build]`` settings of every case: what a one-certification export typically lacks.
BASE_BUILD: Mapping[str, object] = {
    "defaults": {"obtentionCertification": "PAR_ADMISSION", "donneeCertifiee": True},
}

#: A typical French export's header.
FR_HEADERS = (
    "N° candidat",
    "Nom de naissance",
    "Prénom",
    "Date de naissance",
    "Sexe",
    "Code INSEE (commune de naissance)",
    "Commune de naissance",
    "Code RNCP",
    "Date d'obtention",
    "Résultat",
)
_PEOPLE = (
    ("Martin", "Léa", "14/03/1990", "F"),
    ("Bernard", "Hugo", "02/11/1985", "M"),
    ("Dubois", "Chloé", "27/07/1998", "F"),
    ("Thomas", "Noé", "09/01/1979", "M"),
    ("Petit", "Inès", "30/05/2001", "F"),
)


#: A month ago (Paris): neither late (3-month deadline) nor in the future, whenever it runs.
CERTIFIED: Final = (
    dt.datetime.now(ZoneInfo("Europe/Paris")).date() - dt.timedelta(days=30)
).strftime("%d/%m/%Y")


def fr_row(number: int, result: object = "Admis", **changes: object) -> list[object]:
    """Row ``number`` of a French export (FR_HEADERS order); ``changes`` by header key."""
    nom, prenom, birth, sexe = _PEOPLE[number % len(_PEOPLE)]
    # Each number its own holder: the same person and certification under two idTechniques
    # is refused as a double declaration.
    day_month, year = birth.rsplit("/", 1)
    birth = f"{day_month}/{int(year) - number // len(_PEOPLE)}"
    row: dict[str, object] = {
        "N° candidat": f"C{number:04d}",
        "Nom de naissance": nom,
        "Prénom": prenom,
        "Date de naissance": birth,
        "Sexe": sexe,
        "Code INSEE (commune de naissance)": "69123",
        "Commune de naissance": "Lyon",
        "Code RNCP": "RNCP34567",
        "Date d'obtention": CERTIFIED,
        "Résultat": result,
    }
    for key, value in changes.items():
        row[key.replace("_", " ")] = value
    return [row[name] for name in FR_HEADERS]


def fr_table(count: int, *, headers: Sequence[str] = FR_HEADERS) -> list[list[object]]:
    """A header row and ``count`` admitted candidates."""
    return [list(headers), *(fr_row(number) for number in range(1, count + 1))]


def drop(rows: Sequence[Sequence[object]], *headers: str) -> list[list[object]]:
    """``rows`` without the columns of ``headers`` (named in the first row)."""
    keep = [index for index, name in enumerate(rows[0]) if name not in headers]
    return [[row[index] for index in keep] for row in rows]


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
    """A workbook written by openpyxl: one sheet per entry; ``hidden`` rows of the last sheet
    hidden by hand (or by an autofilter when ``filtered``); ``merged`` cell ranges."""

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

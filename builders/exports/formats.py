"""The registry of export formats: which files ``build`` and the inbox read, and how.

Each format is a :class:`Reader` (``builders.exports.csvfile``, ``builders.exports.xlsxfile``)
that opens a file as a :class:`~builders.exports.sheet.Sheet`, streamed, never loaded whole.
The file's suffix picks the format (``detect``); ``SUFFIXES`` lists every suffix accepted.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Final, Protocol

from builders.errors import BuildError
from builders.exports.csvfile import CsvReader
from builders.exports.sheet import Locate, Row, Sheet
from builders.exports.xlsxfile import XlsxReader
from builders.safenames import printable


class Reader(Protocol):
    """One export format: the suffixes it claims and how to open such a file."""

    @property
    def name(self) -> str:
        """The format's name, for messages."""
        ...

    @property
    def suffixes(self) -> tuple[str, ...]:
        """Lower-case file suffixes with their dot (``.csv``)."""
        ...

    def open(self, path: Path, locate: Locate | None) -> AbstractContextManager[Sheet]:
        """Open ``path`` (an existing file with one of ``suffixes``) for streaming; ``locate``
        finds the header row (None: the first non-blank row)."""
        ...


READERS: Final[tuple[Reader, ...]] = (CsvReader(), XlsxReader())
#: Every suffix some reader accepts (lower case, with the dot).
SUFFIXES: Final = frozenset(suffix for reader in READERS for suffix in reader.suffixes)


def detect(path: Path) -> Reader | None:
    """The reader of ``path``'s format (by its suffix, in any case), or None."""
    suffix = path.suffix.lower()
    return next((reader for reader in READERS if suffix in reader.suffixes), None)


@contextmanager
def open_sheet(path: Path, locate: Locate | None = None) -> Iterator[Sheet]:
    """Open an export for streaming.

    Args:
        path: a file with one of ``SUFFIXES`` (``.csv``, ``.txt``, ``.xlsx``, ``.xlsm``).
        locate: how to find the header row and the sheet (``builders.exports.sheet``); None
            takes the first non-blank row of the first sheet.

    Yields:
        The sheet; its ``rows`` iterator is valid inside the ``with`` block only.

    Raises:
        BuildError: missing or unreadable file, unknown extension, empty file or sheet, no
            header row found (see ``builders.exports.headers`` for header matching).
    """
    source = printable(str(path))
    reader = detect(path)
    if reader is None:
        suffix = path.suffix.lower()
        raise BuildError(f"{source}: unknown file type {suffix!r}; expected .csv or .xlsx")
    if not path.is_file():
        raise BuildError(f"{source}: file not found")
    with reader.open(path, locate) as sheet:
        yield sheet


def read_rows(path: Path, locate: Locate | None = None) -> Iterator[Row]:
    """Every non-blank data row of ``path`` as ``(row number, {header: cell})``.

    Raises:
        BuildError: see ``open_sheet``.
    """
    with open_sheet(path, locate=locate) as sheet:
        for number, cells in sheet.rows:
            yield number, dict(zip(sheet.headers, cells, strict=False))

"""Bound what reading an XLSX export may cost, and make every failure the file's own error.

An XLSX is a zip of XML parts. openpyxl, even in read-only mode, streams the sheets but keeps
the whole shared-strings table in memory and parses every other part whole, so a small hostile
archive could take gigabytes (a 2 MB workbook holding 580 MB of shared strings took 1.3 GB),
and a broken part makes it raise whatever its parser raises. Before openpyxl opens a workbook,
:func:`check_archive` refuses, with a message naming the part:

- more than ``MAX_PARTS`` parts;
- a part whose declared uncompressed size is above its limit: ``MAX_SHEET_BYTES`` for a sheet
  (streamed: only time grows), ``MAX_STRINGS_BYTES`` for the shared strings,
  ``MAX_PART_BYTES`` for any other part; or a part above 1 MiB that expands more than
  ``MAX_RATIO`` times (a zip bomb). The declared sizes bound what is read: Python's zipfile
  never returns more bytes than a part declares, and checks its CRC;
- a DOCTYPE in any XML part (a workbook needs no DTD; entities are how billion-laughs and
  external-entity attacks work);
- more than ``MAX_STRINGS`` shared strings (counted by a streaming pass).

While the sheet is read, :func:`guarded_rows` caps the rows (``MAX_ROWS``) and cells it yields
(``MAX_CELLS``, counting the empty cells openpyxl pads rows with) and turns any exception into
a ``BuildError`` naming the row. Within these caps, reading takes at most about 200 MB whatever
the file; a larger export can be given as CSV, which is streamed with no such limit.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from lxml import etree

from builders.cdc.xmlsafety import SAFE_PARSING
from builders.errors import BuildError
from builders.safenames import printable

MIB: Final = 1 << 20
MAX_PARTS: Final = 1000
MAX_SHEET_BYTES: Final = 4096 * MIB
MAX_STRINGS_BYTES: Final = 64 * MIB
MAX_PART_BYTES: Final = 8 * MIB
MAX_RATIO: Final = 200
_RATIO_FROM: Final = MIB
MAX_STRINGS: Final = 500_000
MAX_CELLS: Final = 50_000_000
MAX_ROWS: Final = 1_048_576  # Excel's own limit

_CONTENT_TYPES: Final = "[Content_Types].xml"
_CT_NS: Final = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_SML: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_SHEET_TYPES: Final = frozenset({f"{_SML}.worksheet+xml", "application/vnd.ms-excel.worksheet"})
_STRINGS_TYPE: Final = f"{_SML}.sharedStrings+xml"
_SI: Final = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}si"
_AS_CSV: Final = "save the sheet as CSV (UTF-8, ';'), which has no such limit"


def _mb(size: int) -> str:
    return f"{size / MIB:.1f} MB"


def check_archive(path: Path, source: str) -> None:
    """Refuse a workbook that would cost too much to read, or hides a DTD (module docstring).

    Raises:
        BuildError: the archive is not a zip, or breaks a limit; the message names the part.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            _check_parts(archive, source)
    except BuildError as exc:
        raise BuildError(printable(str(exc))) from exc  # part names come from the archive
    except Exception as exc:  # BadZipFile, zlib.error, EOFError, a CRC mismatch, ...
        raise BuildError(f"{source}: not a readable XLSX workbook ({printable(str(exc))})") from exc


def _check_parts(archive: zipfile.ZipFile, source: str) -> None:
    parts = archive.infolist()
    if len(parts) > MAX_PARTS:
        raise BuildError(
            f"{source}: refused: the workbook has {len(parts)} parts (at most {MAX_PARTS})"
        )
    sheets, strings = _typed_parts(archive, source)
    for info in parts:
        limit = MAX_SHEET_BYTES if info.filename in sheets - strings else MAX_PART_BYTES
        if info.filename in strings:
            limit = MAX_STRINGS_BYTES
        _check_size(info, limit, source)
    for info in parts:
        if info.filename.endswith((".xml", ".rels")) or info.filename in strings | sheets:
            _check_prolog(archive, info, source)
    for name in strings:
        _count_strings(archive, name, source)


def _typed_parts(archive: zipfile.ZipFile, source: str) -> tuple[set[str], set[str]]:
    """Names of the parts [Content_Types].xml declares as sheets, and as shared strings."""
    try:
        info = archive.getinfo(_CONTENT_TYPES)
    except KeyError:
        return set(), set()  # openpyxl refuses such a file itself
    _check_size(info, MAX_PART_BYTES, source)
    _check_prolog(archive, info, source)
    try:
        root = etree.fromstring(archive.read(info), etree.XMLParser(**SAFE_PARSING))
    except etree.XMLSyntaxError as exc:
        raise BuildError(f"{source}: {_CONTENT_TYPES} is not well-formed XML ({exc})") from exc
    sheets: set[str] = set()
    strings: set[str] = set()
    for override in root.iter(f"{_CT_NS}Override"):
        name = (override.get("PartName") or "").lstrip("/")
        kind = override.get("ContentType")
        if kind in _SHEET_TYPES:
            sheets.add(name)
        elif kind == _STRINGS_TYPE:
            strings.add(name)
    return sheets, strings


def _check_size(info: zipfile.ZipInfo, limit: int, source: str) -> None:
    name = info.filename
    if info.file_size > limit:
        raise BuildError(
            f"{source}: refused: the part {name} expands to {_mb(info.file_size)}, "
            f"above the {_mb(limit)} limit for this part; {_AS_CSV}"
        )
    if info.file_size > _RATIO_FROM and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        ratio = info.file_size // max(info.compress_size, 1)
        raise BuildError(
            f"{source}: refused as a possible zip bomb: the part {name} expands {ratio} times "
            f"({_mb(info.compress_size)} -> {_mb(info.file_size)}; at most {MAX_RATIO} times)"
        )


def _check_prolog(archive: zipfile.ZipFile, info: zipfile.ZipInfo, source: str) -> None:
    """Refuse a part with a DOCTYPE; reads only up to its root element's start tag."""
    with archive.open(info) as handle:
        try:
            for _, element in etree.iterparse(handle, events=("start",), **SAFE_PARSING):
                docinfo = element.getroottree().docinfo
                if docinfo.doctype or docinfo.internalDTD is not None:
                    break
                return
            else:
                return
        except etree.XMLSyntaxError as exc:
            raise BuildError(
                f"{source}: the part {info.filename} is not well-formed XML ({exc})"
            ) from exc
    raise BuildError(
        f"{source}: refused: the part {info.filename} declares a DOCTYPE (DTDs and entities "
        "are never needed in a workbook and can hide an attack)"
    )


def _count_strings(archive: zipfile.ZipFile, name: str, source: str) -> None:
    """Count the shared strings in a streaming pass; refuse more than ``MAX_STRINGS``."""
    if name not in archive.namelist():
        return  # declared but absent: openpyxl reads no strings
    count = 0
    with archive.open(name) as handle:
        try:
            for _, element in etree.iterparse(handle, tag=_SI, **SAFE_PARSING):
                count += 1
                if count > MAX_STRINGS:
                    raise BuildError(
                        f"{source}: refused: the workbook holds more than {MAX_STRINGS:,} "
                        f"distinct texts (shared strings); {_AS_CSV}"
                    )
                element.clear()
                while element.getprevious() is not None:
                    del element.getparent()[0]
        except etree.XMLSyntaxError as exc:
            raise BuildError(f"{source}: the part {name} is not well-formed XML ({exc})") from exc


def guarded_rows(rows: Iterator[tuple[object, ...]], source: str) -> Iterator[tuple[object, ...]]:
    """``rows`` (from row 1), refusing past ``MAX_CELLS`` cells; any reading error a BuildError.

    openpyxl raises what its parser meets (ParseError for broken XML, ValueError for a date
    cell holding text, IndexError for a shared-string index out of range, ...): each becomes
    a ``BuildError`` naming the file and the row being read.
    """
    number = 0
    cells = 0
    try:
        for values in rows:
            number += 1
            cells += len(values)
            _check_cells(cells, number, source)
            _check_rows(number, source)
            yield values
    except BuildError:
        raise
    except Exception as exc:  # any reader failure is this file's error
        what = printable(f"{type(exc).__name__}: {exc}")  # may quote a cell
        raise BuildError(f"{source}: row {number + 1}: unreadable sheet ({what})") from exc


def _check_cells(cells: int, number: int, source: str) -> None:
    if cells > MAX_CELLS:
        raise BuildError(
            f"{source}: refused at row {number}: the sheet holds more than "
            f"{MAX_CELLS:,} cells (empty ones included); {_AS_CSV}"
        )


def _check_rows(number: int, source: str) -> None:
    if number > MAX_ROWS:
        raise BuildError(
            f"{source}: refused at row {number}: a sheet has at most {MAX_ROWS:,} rows in Excel"
        )

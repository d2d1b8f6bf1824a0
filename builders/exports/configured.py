"""``[build.defaults]`` and ``[build.values.FIELD]``: constants and code tables over an export.

A default stands for a column the export lacks (a made-up header ``[build.defaults] FIELD``
whose cells all hold it), and fills the empty cells of a column it has. A code table replaces a
cell that matches one of its keys (compared without regard to case, accents and punctuation)
before the cell is read. A default is checked once, through its column's converter, so a bad
one is one error for the file instead of one per row.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Final

from builders.errors import BuildError
from builders.exports import columns as cols
from builders.exports.folding import header_key
from builders.exports.headers import suggest
from builders.exports.normalize import CellError
from builders.exports.sheet import RawRow, Sheet
from builders.settings import BuildSettings

#: Defaults that would be unsafe as constants.
_NO_DEFAULT: Final = frozenset({"idTechnique", "admis"})
_BY_KEY: Final = {header_key(name): name for name in cols.CANONICAL}
#: Distinct cells remembered per translated column.
_MEMO: Final = 4096


def apply_config(
    sheet: Sheet, found: Mapping[str, str], settings: BuildSettings
) -> tuple[tuple[str, ...], dict[str, str], Iterator[RawRow]]:
    """The sheet's headers, columns and rows with ``[build.defaults]`` and ``[build.values]``.

    Args:
        sheet: the open sheet.
        found: canonical column -> header, as matched.
        settings: ``[build]``.

    Returns:
        (headers with one made-up header per added default, canonical column -> header, rows);
        the sheet's own rows when neither table applies.

    Raises:
        BuildError: a table names an unknown column, a default cannot be a constant or is not
            a valid value of its column.
    """
    source = sheet.source
    columns = dict(found)
    headers = sheet.headers
    tables = {
        _column(source, "values", name): {header_key(key): value for key, value in table.items()}
        for name, table in settings.values.items()
    }
    added: list[str] = []
    fill: list[tuple[int, str]] = []
    for name, value in settings.defaults.items():
        column = _column(source, "defaults", name)
        if column in _NO_DEFAULT:
            raise BuildError(
                f"{source}: [build.defaults] cannot set {column}"
                + (" (use [build] all_rows_admitted = true)" if column == "admis" else "")
            )
        text = _text(value)
        _check_default(source, column, tables.get(column, {}).get(header_key(text), text))
        if column in columns:
            fill.append((headers.index(columns[column]), text))
        else:
            added.append(text)
            columns[column] = f"[build.defaults] {column}"
            headers = (*headers, columns[column])
    translate = [
        (headers.index(columns[column]), table)
        for column, table in tables.items()
        if column in columns
    ]
    if not (added or fill or translate):
        return headers, columns, sheet.rows
    return headers, columns, _rows(sheet.rows, len(sheet.headers), added, fill, translate)


def _text(value: str | int | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _column(source: str, section: str, name: str) -> str:
    column = _BY_KEY.get(header_key(name))
    if column is None:
        raise BuildError(
            f"{source}: [build.{section}] names {name!r}, which is not a known column"
            f"{suggest(name)} (see `accrochage template`)"
        )
    return column


def _check_default(source: str, column: str, text: str) -> None:
    convert = cols.CONVERTERS.get(column)
    if convert is None:
        return
    try:
        convert(text)
    except CellError as exc:
        raise BuildError(f"{source}: [build.defaults] {column} = {text!r}: {exc}") from None


def _rows(
    rows: Iterator[RawRow],
    width: int,
    added: Sequence[str],
    fill: Sequence[tuple[int, str]],
    translate: Sequence[tuple[int, dict[str, str]]],
) -> Iterator[RawRow]:
    memos: list[dict[str, str]] = [{} for _ in translate]
    for number, read in rows:
        cells = [*read[:width], *[""] * (width - len(read)), *added]
        for index, text in fill:
            if not cells[index].strip():
                cells[index] = text
        for (index, table), memo in zip(translate, memos, strict=True):
            cell = cells[index]
            found = memo.get(cell)
            if found is None:
                found = table.get(header_key(cell), cell)
                if len(memo) < _MEMO:
                    memo[cell] = found
            cells[index] = found
        yield number, cells

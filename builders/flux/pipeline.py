r"""Import and render an export's rows, in a process pool when the file is large.

``rendered_blocks`` yields the non-blank data rows in :class:`~builders.flux.blocks.Block`\ s of
``BLOCK`` rows, in file order:

- a skipped row (``admis`` false) is in ``others`` with errors None;
- a bad row is in ``others`` with its ``RowError``s (a record that cannot be written in the
  schema version, e.g. identifiantNational under 1.1.2, is a bad row with an error on
  idTechnique);
- a valid row's rendered passage is in the run of its group.

Validating and rendering rows is most of a build's work. For a file of at least ``POOL_BYTES``
on a machine with more than one CPU, it is shared by a pool of processes
(``builders.flux.parallel.Pool``): this process reads the file and hands each chunk of
``BLOCK`` rows (their cells) to the pool, at most ``Pool``'s window of chunks at a time, so
memory stays flat whatever the file's size; the workers validate and render them, and this
process takes their blocks back in file order while it spools, writes and hands files to the
validation workers. An error that makes the file unusable (``BuildError``) is raised here; a
worker that dies (killed, out of memory) is a ``BuildError`` saying so, never a hang.

A reused idTechnique, or the same holder under two idTechniques, is not looked for here (no
worker sees every row) but by the build's spool, whose message names the first row.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from builders.cdc.render import render_passage
from builders.cdc.versions import SchemaVersion
from builders.errors import BuildError
from builders.exports.importer import MapperSpec, open_rows
from builders.exports.results import RowError
from builders.exports.rows import RowMapper
from builders.exports.sheet import LineRows, RawRow
from builders.flux.blocks import Block, Keys, PartsRow, shared_keys, to_blocks
from builders.flux.parallel import in_order, pool_size
from builders.settings import BuildSettings, Declarant

#: Files at least this large are imported by a process pool.
POOL_BYTES: Final = 4_000_000
#: Rows per block (one block per task of the pool).
BLOCK: Final = 200


def rendered_blocks(
    path: Path,
    *,
    declarant: Declarant,
    settings: BuildSettings,
    schema_version: SchemaVersion,
    report: bool = True,
    today: dt.date | None = None,
    data_dir: Path | None = None,
) -> Generator[Block, None, None]:
    """Import ``path`` and render its valid rows, in blocks in file order (see the module
    docstring). ``report=False``: the file's notices are not logged (the caller has them).

    Closing the generator early (``close()``) stops the pool's processes.

    Raises:
        BuildError: the file cannot be used at all (raised on the first ``next``), or a pool
            process died.
    """
    with open_rows(path, settings, report=report) as (spec, rows, _):
        task = MapTask(spec, declarant, schema_version, today, data_dir)
        workers = pool_workers(path)
        if workers:
            yield from _from_pool(task, rows, workers)
        else:
            keys: Keys = ({}, {})
            for block in to_blocks(_rendered_parts(task.mapper(), rows, schema_version), BLOCK):
                yield shared_keys(block, keys)


def pool_workers(path: Path) -> int:
    """How many pool processes share the rows of ``path``: 0 (none: this process maps them)
    for a file under ``POOL_BYTES`` or on a machine with one CPU."""
    try:
        large = path.stat().st_size >= POOL_BYTES
    except OSError:
        large = False  # open_rows reports the unusable file
    return pool_size(large)


@dataclass(frozen=True)
class MapTask:
    """What a pool process needs to map and render the rows of one file."""

    spec: MapperSpec
    declarant: Declarant
    version: SchemaVersion
    today: dt.date | None
    data_dir: Path | None

    def mapper(self) -> RowMapper:
        # The caller checks reused ids and holders across rows, whichever process mapped
        # them (the build's spool, the agent's RowChecks).
        return self.spec.mapper(
            self.declarant,
            self.version,
            check_reuse=False,
            today=self.today,
            data_dir=self.data_dir,
        )


def _from_pool(task: MapTask, rows: Iterator[RawRow], workers: int) -> Iterator[Block]:
    """The blocks of ``rows`` rendered by a pool, in file order, a bounded window at a time."""
    keys: Keys = ({}, {})
    chunks = packed_chunks(rows, BLOCK)
    for block in in_order(render_chunk, chunks, workers=workers, what="import", first=(task,)):
        yield shared_keys(block, keys)


def packed_chunks(rows: Iterable[RawRow], size: int) -> Iterator[Packed]:
    """``rows`` in chunks of ``size``, each ``packed`` for a pool process; the lines of
    ``LineRows`` (a plain CSV) as they are, for the pool process to split."""
    if isinstance(rows, LineRows):
        while (lines := rows.take_lines(size))[0]:
            numbers, texts = lines
            yield numbers, "\n".join(texts), rows.delimiter
        return
    iterator = iter(rows)
    while chunk := list(itertools.islice(iterator, size)):
        yield packed(chunk)


#: Rows as they travel to a pool process (one string pickles many times faster than
#: thousands of cells): row numbers and the rows' cells joined with ``_CELL`` and ``_ROW``;
#: or row numbers, the lines of ``LineRows`` joined with a line feed (which no line holds) and
#: the delimiter that splits them; or the rows themselves when a cell holds a separator.
Packed = tuple[list[int], str] | tuple[list[int], str, str] | list[RawRow]
#: C0 control characters, which no XML text (so no XLSX cell) can hold.
_CELL, _ROW = "\x1f", "\x1e"


def packed(rows: list[RawRow]) -> Packed:
    """``rows`` ready to send to a pool process (``unpacked`` gives them back)."""
    text = _ROW.join([_CELL.join(cells) for _, cells in rows])
    if text.count(_ROW) != len(rows) - 1 or text.count(_CELL) != sum(
        len(cells) - 1 for _, cells in rows
    ):
        return rows  # a cell holds a separator (a CSV may): sent as they are
    return [number for number, _ in rows], text


def unpacked(rows: Packed) -> list[RawRow]:
    """The rows ``packed`` was given."""
    if isinstance(rows, list):
        return rows
    if len(rows) == 3:
        numbers, text, delimiter = rows
        lines = text.split("\n")
        return list(zip(numbers, [line.split(delimiter) for line in lines], strict=True))
    numbers, text = rows
    return list(zip(numbers, [row.split(_CELL) for row in text.split(_ROW)], strict=True))


#: The row mapper of the file a pool process works on (built on its first chunk).
_mapper: tuple[MapTask, RowMapper] | None = None


def process_mapper(task: MapTask) -> RowMapper:
    """``task``'s row mapper, built once per pool process and kept between its tasks (its
    caches of converted cells fill up as it goes)."""
    global _mapper  # noqa: PLW0603 - one mapper per process, kept between its tasks
    if _mapper is None or _mapper[0] != task:
        _mapper = (task, task.mapper())
    return _mapper[1]


def render_chunk(task: MapTask, chunk: Packed) -> Block:
    """One task of the import pool: the rows of ``task``'s file in ``chunk``, mapped and
    rendered."""
    try:
        rows = unpacked(chunk)
        parts = _rendered_parts(process_mapper(task), rows, task.version)
        return next(to_blocks(parts, len(rows)))
    except BuildError:
        raise
    except Exception as exc:  # any failure must reach the build as its error, not a hang
        raise BuildError(f"the import process failed: {exc!r}") from exc


def _rendered_parts(
    mapper: RowMapper, rows: Iterable[RawRow], version: SchemaVersion
) -> Iterator[PartsRow]:
    for number, cells in rows:
        row = mapper.map_row(number, cells)
        record = row.record
        if row.skipped:
            yield row.source, row.row, None, None
        elif record is None or row.errors:
            yield row.source, row.row, row.errors, None
        else:
            passage = record.passage
            try:
                xml = render_passage(passage, version)
            except ValueError as exc:
                error = RowError(row.source, row.row, "idTechnique", passage.idTechnique, str(exc))
                yield row.source, row.row, (error,), None
                continue
            # The keys of ``writer.keys_of``, as tuples.
            declaration, certification = record.declaration, record.certification
            nature = certification.natureDeposant
            parts = (
                (
                    declaration.idClientEmetteur,
                    declaration.idClientCertificateur,
                    declaration.idContrat,
                ),
                (certification.type, certification.code, nature.value if nature else None),
                passage.idTechnique,
                xml,
                row.holder_key or 0,
                row.warnings,
            )
            yield row.source, row.row, (), parts

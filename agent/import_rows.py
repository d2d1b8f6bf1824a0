"""The rows of one export as the agent imports them: each row's result and, for a valid row,
its passage as the store keeps it (:class:`~agent.rows.NewPassage`).

Validating rows is most of an import's work. For a file of at least
``builders.flux.pipeline.POOL_BYTES`` on a machine with more than one CPU it is shared by a
process pool (``builders.flux.parallel.Pool``), as the stateless build shares it: this process
reads the file and hands chunks of rows to the pool, a bounded window at a time (memory stays
flat); the pool processes validate them (``RowMapper.map_unchecked``) and turn each valid
record into its store row (its JSON, hash and holder summary), so that only small, cheap-to-copy
objects come back. The checks of a row against the earlier rows of the file (a reused
idTechnique, the same holder under another one: ``builders.exports.rows.RowChecks``) need every
row in order: this process applies them as the results come back, in file order, exactly as
``import_file`` does in one process.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from agent.config import Config
from agent.intake import new_passage
from agent.rows import NewPassage
from builders.exports.headers import Notice
from builders.exports.importer import open_rows
from builders.exports.results import RowResult
from builders.exports.rows import Mapped, RowChecks, derives_ids
from builders.flux.parallel import in_order
from builders.flux.pipeline import (
    BLOCK,
    MapTask,
    Packed,
    packed_chunks,
    pool_workers,
    process_mapper,
    unpacked,
)

#: One row of an import: its result, and its passage when it is valid.
ImportedRow = tuple[RowResult, NewPassage | None]
#: As a pool process hands a row back: mapped, the valid record replaced by its passage.
_Light = tuple[Mapped, NewPassage | None]


@contextmanager
def imported_rows(
    path: Path, config: Config, *, today: dt.date, source_id: int
) -> Iterator[tuple[list[Notice], Iterator[ImportedRow]]]:
    """Open ``path``: its notices (header row, columns ignored, hidden rows:
    ``builders.exports.table``) and every non-blank data row in file order (see the module
    docstring).

    Valid rows come with their passage and without their record (``RowResult.record`` is
    None: the passage holds it as JSON); every other row comes as ``import_file`` gives it.

    Raises:
        BuildError: the file cannot be used at all.
    """
    with open_rows(path, config.build, report=False) as (spec, rows, notices):
        task = MapTask(
            spec, config.declarant, config.build.schema_version, today, config.agent.data_dir
        )
        workers = pool_workers(path)
        mapped: Iterable[_Light]
        if workers:
            chunks = packed_chunks(rows, BLOCK)
            first = (task, source_id)
            done = in_order(map_chunk, chunks, workers=workers, what="import", first=first)
            mapped = itertools.chain.from_iterable(done)
        else:
            mapper = task.mapper()
            mapped = (_light(mapper.map_unchecked(n, cells), source_id) for n, cells in rows)
        checks = RowChecks(spec.source, derived_ids=derives_ids(spec.columns))
        yield notices(), _checked(mapped, checks)


def _checked(mapped: Iterable[_Light], checks: RowChecks) -> Iterator[ImportedRow]:
    """The rows checked against the earlier ones, in file order."""
    for row, new in mapped:
        result = checks.apply(row)
        yield result, new if result is row.result else None


def _light(mapped: Mapped, source_id: int) -> _Light:
    """A mapped row with its valid record turned into its store row (and dropped)."""
    result = mapped.result
    if result.record is None:
        return mapped, None
    new = new_passage(result.record, source_id, result.row, result.holder_key or None)
    return Mapped(
        result.without_record(), mapped.seen, mapped.id_cell, mapped.code_cell, mapped.delivery
    ), new


def map_chunk(task: MapTask, source_id: int, chunk: Packed) -> list[_Light]:
    """One task of the import pool: the rows of ``chunk`` mapped, valid ones as store rows."""
    mapper = process_mapper(task)
    return [_light(mapper.map_unchecked(n, cells), source_id) for n, cells in unpacked(chunk)]

"""Certifier exports to validated records: the input side's public API.

``import_file`` streams one CSV or XLSX export and yields one :class:`RowResult` per non-blank
data row: a valid ``PassageRecord``, or every problem found in the row (file, spreadsheet row
number, CDC field, raw value, what was expected), or a skipped row (``admis`` false). Good rows
always come through; a bad row never stops the others. Only an unusable file (missing, unknown
type, empty, no header found, a used header repeated, a required column missing, an unmapped
outcome column: ``builders.exports.table``) raises ``BuildError``.

The row-result types and the errors of a bad row are in ``builders.exports.results``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from builders.cdc.versions import SchemaVersion
from builders.exports.cog import Communes
from builders.exports.headers import Notice
from builders.exports.results import RowResult
from builders.exports.rows import RowMapper
from builders.exports.sheet import RawRow, unread
from builders.exports.table import open_table
from builders.exports.template_xlsx import is_label_row
from builders.settings import BuildSettings, Declarant

__all__ = ["MapperSpec", "import_file", "open_rows"]

logger = logging.getLogger(__name__)


def import_file(
    path: Path,
    *,
    declarant: Declarant,
    settings: BuildSettings,
    schema_version: SchemaVersion | None = None,
    report: bool = True,
    today: dt.date | None = None,
    data_dir: Path | None = None,
) -> Iterator[RowResult]:
    """Read an export and validate every row.

    Args:
        path: a ``.csv`` or ``.xlsx`` export.
        declarant: defaults for idClientEmetteur, idClientCertificateur, idContrat and
            natureDeposant when a row leaves them empty.
        settings: build settings (header mapping ``columns``, default schema version).
        schema_version: the target schema; None means ``settings.schema_version``.
        report: log the file's notices (``builders.exports.table``) as warnings.
        today: the day plausibility is judged on (default: today in Europe/Paris).
        data_dir: the agent's data directory, where ``accrochage cog import`` keeps INSEE's
            geographic code (birth communes are checked against it when it is there).

    Yields:
        One result per non-blank data row, in file order.

    Raises:
        BuildError: the file cannot be used at all (raised on the first ``next``).
    """
    version = schema_version or settings.schema_version
    with open_rows(path, settings, report=report) as (spec, rows, _):
        mapper = spec.mapper(declarant, version, today=today, data_dir=data_dir)
        for number, cells in rows:
            yield mapper.map_row(number, cells)


@dataclass(frozen=True)
class MapperSpec:
    """What a process needs to map one file's rows (``RowMapper``): small, picklable.

    ``check_reuse`` False leaves the reused-idTechnique and same-holder checks to the caller
    (the build's spool, when several processes map the rows of one file).
    """

    source: str
    headers: tuple[str, ...]
    columns: dict[str, str]

    def mapper(
        self,
        declarant: Declarant,
        schema_version: SchemaVersion,
        *,
        check_reuse: bool = True,
        today: dt.date | None = None,
        data_dir: Path | None = None,
    ) -> RowMapper:
        """The file's row mapper (see ``RowMapper`` and ``import_file`` for the arguments)."""
        return RowMapper(
            source=self.source,
            headers=self.headers,
            columns=self.columns,
            declarant=declarant,
            schema_version=schema_version,
            check_reuse=check_reuse,
            today=today,
            communes=Communes.load(data_dir),
        )


@contextmanager
def open_rows(
    path: Path, settings: BuildSettings, *, report: bool = True
) -> Iterator[tuple[MapperSpec, Iterator[RawRow], Callable[[], list[Notice]]]]:
    """Open an export: how to map its rows, its data rows (streamed, in file order) and what
    gives its notices (header row, columns ignored, hidden rows: ``builders.exports.table``;
    a workbook's hidden rows are looked for only when asked, inside the ``with`` block), which
    ``report`` also logs as warnings. The label row `accrochage template --xlsx` writes under
    the header is left out.

    Raises:
        BuildError: the file cannot be used at all.
    """
    with open_table(path, settings) as table:
        if report:
            for notice in table.notices():
                logger.warning("%s:%d: %s", notice.source, notice.row, notice.message)
        spec = MapperSpec(table.sheet.source, table.headers, dict(table.columns))
        yield spec, _data_rows(table.rows, spec), table.notices


def _data_rows(rows: Iterator[RawRow], spec: MapperSpec) -> Iterator[RawRow]:
    """``rows`` without the French labels `accrochage template --xlsx` writes on the first
    row (the same iterator, when it is ``LineRows``: its lines stay unsplit for the pool)."""
    first = list(itertools.islice(rows, 1))
    if first and is_label_row(spec.columns, first[0][1], spec.headers):
        return rows
    return unread(rows, first)

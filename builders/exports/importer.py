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
import logging
from collections.abc import Iterator
from pathlib import Path

from builders.cdc.versions import SchemaVersion
from builders.exports.cog import Communes
from builders.exports.results import RowResult
from builders.exports.rows import RowMapper
from builders.exports.table import open_table
from builders.exports.template_xlsx import is_label_row
from builders.settings import BuildSettings, Declarant

__all__ = ["import_file", "import_share"]

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
    yield from import_share(
        path,
        declarant=declarant,
        settings=settings,
        schema_version=schema_version or settings.schema_version,
        share=(0, 1),
        report=report,
        today=today,
        data_dir=data_dir,
    )


def import_share(
    path: Path,
    *,
    declarant: Declarant,
    settings: BuildSettings,
    schema_version: SchemaVersion,
    share: tuple[int, int],
    block: int = 1,
    check_reuse: bool = True,
    report: bool = True,
    today: dt.date | None = None,
    data_dir: Path | None = None,
) -> Iterator[RowResult]:
    """``import_file`` for one of several processes sharing the work on one file.

    The data rows (non-blank, in file order) are cut into blocks of ``block`` rows; share
    ``(index, count)`` yields the results of blocks ``index``, ``index + count``, ... only.
    Every share reads the whole file; only share 0 logs the file's notices (header row,
    columns ignored, hidden rows: ``builders.exports.table``). A shared import
    (``count`` > 1) does not look for reused idTechniques: no share sees every row, so the
    caller checks them across the whole file (the build's spool does, naming the first row).
    ``check_reuse=False`` leaves that check to the caller in every case. ``report=False``
    does not log the file's notices (the caller read them with ``builders.exports.table``).
    """
    index, count = share
    with open_table(path, settings, None if count == 1 else (index, count, block)) as table:
        if report and index == 0:
            for notice in table.notices():
                logger.warning("%s:%d: %s", notice.source, notice.row, notice.message)
        mapper = RowMapper(
            source=table.sheet.source,
            headers=table.headers,
            columns=table.columns,
            declarant=declarant,
            schema_version=schema_version,
            check_reuse=check_reuse and count == 1,
            today=today,
            communes=Communes.load(data_dir),
        )
        first = True
        for number, cells in table.rows:
            if first and is_label_row(table.columns, cells, table.headers):
                first = False
                continue  # the French labels of `accrochage template --xlsx`
            first = False
            yield mapper.map_row(number, cells)

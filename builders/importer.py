"""Certifier exports to validated records: the input side's public API.

``import_file`` streams one CSV or XLSX export and yields one :class:`RowResult` per non-blank
data row: a valid ``PassageRecord``, or every problem found in the row (file, spreadsheet row
number, CDC field, raw value, what was expected), or a skipped row (``admis`` false). Good rows
always come through; a bad row never stops the others. Only an unusable file (missing, unknown
type, empty, no or duplicated header, no known column) raises ``BuildError``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

from builders.columns import resolve_headers
from builders.readers import open_sheet
from builders.rows import RowError, RowMapper, RowResult
from builders.settings import BuildSettings, Declarant, SchemaVersion

__all__ = ["RowError", "RowResult", "import_file"]

logger = logging.getLogger(__name__)


def import_file(
    path: Path,
    *,
    declarant: Declarant,
    settings: BuildSettings,
    schema_version: SchemaVersion | None = None,
) -> Iterator[RowResult]:
    """Read an export and validate every row.

    Args:
        path: a ``.csv`` or ``.xlsx`` export.
        declarant: defaults for idClientEmetteur, idClientCertificateur, idContrat and
            natureDeposant when a row leaves them empty.
        settings: build settings (header mapping ``columns``, default schema version).
        schema_version: the target schema; None means ``settings.schema_version``.

    Yields:
        One result per non-blank data row, in file order.

    Raises:
        BuildError: the file cannot be used at all (raised on the first ``next``).
    """
    with open_sheet(path) as sheet:
        columns = resolve_headers(sheet.headers, settings.columns, sheet.source)
        ignored = [header for header in sheet.headers if header and header not in columns.values()]
        if ignored:
            # A misspelt optional header would otherwise leave its field empty without a word.
            logger.warning(
                "%s: columns ignored (not CDC names, not in [build.columns]): %s",
                sheet.source,
                ", ".join(ignored),
            )
        mapper = RowMapper(
            source=sheet.source,
            headers=sheet.headers,
            columns=columns,
            declarant=declarant,
            schema_version=schema_version or settings.schema_version,
        )
        for number, cells in sheet.rows:
            yield mapper.map_row(number, cells)

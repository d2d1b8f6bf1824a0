"""``accrochage build``: certifier exports to validated flux files, statelessly.

Flow: every input file is imported row by row (``builders.importer``); each valid record is
rendered and put in the disk spool (which also rejects a reused idTechnique); the spool then
streams passages group by group into the batch writer; each finished file is validated against
the imported XSD of its version (if any) before it gets its final name. Bad rows never stop the
good ones: they come back as ``RowError``s in the result.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from builders.batching import BuiltFile, Clock, IdFactory
from builders.importer import RowError, import_file
from builders.schemas import get_schema
from builders.settings import BuildSettings, Declarant, SchemaVersion
from builders.spool import Spool
from builders.writer import fragment_for, utc_now, uuid4_str, write_fragments

logger = logging.getLogger(__name__)


@dataclass
class BuildResult:
    """What a build produced."""

    schema_version: SchemaVersion
    xsd: Path | None
    files: list[BuiltFile] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    valid: int = 0
    rejected: int = 0
    skipped: int = 0

    @property
    def passages(self) -> int:
        return sum(built.passages for built in self.files)


def _import_into(
    spool: Spool,
    path: Path,
    result: BuildResult,
    *,
    declarant: Declarant,
    settings: BuildSettings,
) -> None:
    version = result.schema_version
    for row in import_file(path, declarant=declarant, settings=settings, schema_version=version):
        if row.skipped:
            result.skipped += 1
            continue
        errors = list(row.errors)
        if row.record is not None and not errors:
            try:
                fragment = fragment_for(row.record, version)
                message = spool.add(fragment, source=row.source, row=row.row)
            except ValueError as exc:
                message = str(exc)
            if message is not None:
                value = row.record.passage.idTechnique
                errors.append(RowError(row.source, row.row, "idTechnique", value, message))
        if errors:
            result.rejected += 1
            result.errors.extend(errors)
        elif row.record is not None:
            result.valid += 1


def build(
    paths: Sequence[Path],
    out_dir: Path,
    *,
    settings: BuildSettings,
    declarant: Declarant,
    data_dir: Path,
    schema_version: SchemaVersion | None = None,
    now: Clock = utc_now,
    new_id: IdFactory = uuid4_str,
) -> BuildResult:
    """Import ``paths`` and write flux files into ``out_dir``.

    Raises:
        BuildError: an input file is unusable (missing, unreadable, no usable header).
        FluxValidationError: a built file failed the imported XSD (moved aside).
    """
    version: SchemaVersion = schema_version or settings.schema_version
    xsd = get_schema(data_dir, version)
    result = BuildResult(schema_version=version, xsd=xsd)
    out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    action = "CREATION" if version == "1.1.5" else None
    with Spool() as spool:
        for path in paths:
            _import_into(spool, path, result, declarant=declarant, settings=settings)
        if spool.count:
            result.files = write_fragments(
                spool.fragments(),
                out_dir,
                settings=settings,
                schema_version=version,
                action=action,
                now=now,
                new_id=new_id,
                xsd=xsd,
            )
    return result

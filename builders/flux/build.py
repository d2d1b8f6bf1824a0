"""``accrochage build``: certifier exports to validated flux files, statelessly.

Flow: every input file is imported row by row and each valid record rendered
(``builders.flux.pipeline``: by a pool of two processes for a large file, in file order either way);
each rendered passage's idTechnique is claimed in the disk spool (a reused one is a row error),
and its holder key checked (the same holder and certification under another idTechnique is a
row error, ``builders.exports.holders``); valid rows' warnings are collected.
Passages of the first group met (declaration + certification, usually the only one) go straight
to the splitting writer, so its files are written, and validated by background processes, while the
import goes on; passages of other groups wait in the spool and are written after the import,
group by group. Each finished file is validated against the imported XSD of its version (if
any) before it gets its final name. Bad rows never stop the good ones: they come back as
``RowError``s in the result."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from builders.cdc.schemas import get_schema
from builders.cdc.versions import SchemaVersion
from builders.exports.headers import Notice
from builders.exports.holders import HolderIndex, duplicate_message
from builders.exports.plausibility import DEADLINE_MONTHS, LATE
from builders.exports.results import RowError
from builders.exports.table import TableInfo, inspect_table
from builders.flux.blocks import Block
from builders.flux.pipeline import rendered_blocks
from builders.flux.splitter import PARIS, BuiltFile, CertKey, Clock, FileKey, IdFactory
from builders.flux.spool import Spool
from builders.flux.validate import FileFailure, FluxValidationError
from builders.flux.writer import FluxWriter, creation_action, utc_now, uuid4_str
from builders.settings import BuildSettings, Declarant

logger = logging.getLogger(__name__)
#: Late declarations listed row by row per file; beyond, one line counts the others.
LATE_LISTED = 20


@dataclass
class BuildResult:
    """What a build produced."""

    schema_version: SchemaVersion
    xsd: Path | None
    files: list[BuiltFile] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    failures: list[FileFailure] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)  # about a file as a whole
    sources: list[TableInfo] = field(default_factory=list)
    valid: int = 0
    rejected: int = 0
    skipped: int = 0

    @property
    def passages(self) -> int:
        return sum(built.passages for built in self.files)

    @property
    def hidden(self) -> int:
        """Rows hidden in the spreadsheets (read like the others, warned about)."""
        return sum(len(source.hidden) for source in self.sources)


class _Router:
    """Claims the valid rows' idTechniques; sends their runs to the open writer (first group)
    or to the spool (other groups)."""

    def __init__(self, spool: Spool, writer: FluxWriter) -> None:
        self.spool = spool
        self.writer = writer
        self.direct: tuple[FileKey, CertKey] | None = None
        self.holders = HolderIndex()

    def take(self, block: Block) -> list[RowError]:
        """Claim and route a block's valid rows; an error for each row whose id was used."""
        if not block.rows:
            return []
        ids = block.ids()
        runs = block.runs
        if len(runs) == 1:
            emitters = [runs[0].file_key.id_client_emetteur] * len(ids)
        else:
            emitters = [runs[group].file_key.id_client_emetteur for group in block.groups]
        refused = self.spool.claim_rows(block.source, block.rows, emitters, ids)
        self._same_holders(block, ids, refused)
        if refused:
            runs = block.without(set(refused))
        for run in runs:
            group = (run.file_key, run.cert_key)
            if self.direct is None:
                self.direct = group
            if group == self.direct:
                self.writer.add_run(run)
            else:
                self.spool.store_run(run)
        return [
            RowError(block.source, block.rows[position], "idTechnique", ids[position], message)
            for position, message in refused.items()
        ]

    def _same_holders(self, block: Block, ids: list[str], refused: dict[int, str]) -> None:
        """Refuse the rows whose holder and certification an earlier row has, under another id."""
        for position, (number, key) in enumerate(zip(block.rows, block.holders, strict=True)):
            if position in refused or not key:
                continue
            earlier = self.holders.add(key, ids[position], block.source, number)
            if earlier is not None:
                refused[position] = duplicate_message(*earlier, block.source)

    def drain(self) -> None:
        """Write the spooled groups, the open file's declaration first."""
        first = self.direct[0] if self.direct else None
        for run in self.spool.runs(first):
            self.writer.add_run(run)


def _import_into(
    router: _Router,
    path: Path,
    result: BuildResult,
    *,
    declarant: Declarant,
    settings: BuildSettings,
    today: dt.date,
    data_dir: Path,
) -> None:
    info, notices = inspect_table(path, settings)
    result.sources.append(info)
    result.notices += notices
    blocks = rendered_blocks(
        path,
        declarant=declarant,
        settings=settings,
        schema_version=result.schema_version,
        report=False,
        today=today,
        data_dir=data_dir,
    )
    late = 0
    with contextlib.closing(blocks):  # an error here must not leave import processes behind
        for block in blocks:
            errors: list[RowError] = []
            for _, row_errors in block.others:
                if row_errors is None:
                    result.skipped += 1
                else:
                    result.rejected += 1
                    errors += row_errors
            refused = router.take(block)
            dropped = {error.row for error in refused}
            for warning in block.warnings:
                if warning.row in dropped:
                    continue
                if warning.message.startswith(LATE):
                    late += 1
                    if late > LATE_LISTED:
                        continue  # counted: one line says how many more
                result.warnings.append(warning)
            result.rejected += len(refused)
            result.valid += len(block.rows) - len(refused)
            if refused:
                errors += refused
                errors.sort(key=lambda error: error.row)  # stable: a row's errors keep order
            result.errors += errors
    if late > LATE_LISTED:
        message = (
            f"{LATE}: {late - LATE_LISTED} more rows past the {DEADLINE_MONTHS}-month deadline "
            f"({late} in all)"
        )
        result.warnings.append(RowError(str(path), 0, "dateDebutValidite", "", message))


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

    Nothing is published unless every input file could be read: an unusable file deletes
    whatever was already written.

    Raises:
        BuildError: an input file is unusable (missing, unreadable, no usable header).

    A built file that fails the imported XSD is moved aside and listed in ``failures``.
    """
    version: SchemaVersion = schema_version or settings.schema_version
    xsd = get_schema(data_dir, version)
    result = BuildResult(schema_version=version, xsd=xsd)
    writer = FluxWriter(
        out_dir,
        settings=settings,
        schema_version=version,
        action=creation_action(version),
        now=now,
        new_id=new_id,
        xsd=xsd,
    )
    started = time.perf_counter()
    today = now().astimezone(PARIS).date()  # plausibility: future dates, late declarations
    with Spool() as spool:
        router = _Router(spool, writer)
        try:
            for path in paths:
                _import_into(
                    router,
                    path,
                    result,
                    declarant=declarant,
                    settings=settings,
                    today=today,
                    data_dir=data_dir,
                )
            logger.debug(
                "imported %d rows (%d spooled) in %.1fs",
                result.valid + result.rejected,
                spool.count,
                time.perf_counter() - started,
            )
            router.drain()
        except BaseException:
            writer.abort()
            raise
    logger.debug("all passages written after %.1fs", time.perf_counter() - started)
    try:
        result.files = writer.finish()
    except FluxValidationError as exc:
        result.files, result.failures = exc.built, exc.failures
    logger.debug("files validated and published after %.1fs", time.perf_counter() - started)
    return result

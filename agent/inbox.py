"""The inbox: new CSV/XLSX exports are imported into the store, then moved aside.

Each file in the inbox folder (``[agent] inbox_dir``, default ``<data_dir>/inbox``) is read
row by row with :func:`builders.importer.import_file`. Valid rows become pending passages
(or refresh one); a bad row whose idTechnique is known becomes an ``invalid`` passage with its
reasons (see :mod:`agent.intake`); a bad row without a known idTechnique is only in the
report (counted as ``unidentified``). The file
is then moved to ``inbox/imported/`` with ``<name>.errors.csv`` beside it listing every bad
row (source, row, field, value, message) and every row that could not change its passage.
Nothing is deleted. A file whose content (SHA-256) was already imported is only moved.

One file is imported in one transaction: a crash leaves it either fully imported (and then
only moved on the next run) or not at all.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from agent.build import file_sha256
from agent.config import Config
from agent.intake import Outcome, new_passage, put_invalid, put_record
from agent.lifecycle import PASSAGE_REOPENABLE, PassageStatus
from agent.meter import NO_METER, Meter
from agent.paths import AgentPaths
from agent.store import Store
from builders.errors import BuildError
from builders.idtech import SeenIds
from builders.importer import RowResult, import_file
from portal.documents import ensure_private_dir

log = logging.getLogger(__name__)

SUFFIXES = frozenset({".csv", ".xlsx"})
REPORT_COLUMNS = ("source", "row", "field", "value", "message")

Progress = Callable[[str], None]


@dataclass
class ImportResult:
    """What importing one file did."""

    file: str
    moved_to: str
    duplicate_of: str | None = None
    rows: int = 0
    valid: int = 0
    invalid: int = 0
    skipped: int = 0
    unidentified: int = 0  # bad rows without a known idTechnique: only in the error report
    outcomes: dict[str, int] = field(default_factory=dict)
    error_report: str | None = None
    failure: str | None = None


class _Report:
    """The error report beside an imported file, created at the first line."""

    def __init__(self, path: Path, source: str) -> None:
        self.path = path
        self.source = source
        self._handle: IO[str] | None = None
        self._writer: csv.DictWriter[str] | None = None

    def write(self, **row: object) -> None:
        if self._writer is None:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            self._handle = open(fd, "w", encoding="utf-8", newline="")  # noqa: PTH123, SIM115 - fd
            self._writer = csv.DictWriter(self._handle, fieldnames=REPORT_COLUMNS)
            self._writer.writeheader()
        self._writer.writerow(row)

    @property
    def written(self) -> bool:
        """Whether at least one line was written."""
        return self._writer is not None

    def close(self) -> str | None:
        if self._handle is None:
            return None
        self._handle.close()
        return str(self.path)


def _destination(folder: Path, name: str, stamp: str) -> Path:
    target = folder / name
    if not target.exists():
        return target
    path = Path(name)
    return folder / f"{path.stem}.{stamp}{path.suffix}"


def import_one(
    store: Store,
    config: Config,
    path: Path,
    *,
    now: Callable[[], dt.datetime],
    meter: Meter = NO_METER,
) -> ImportResult:
    """Import one export file and move it to ``imported/`` (see the module docstring)."""
    paths = AgentPaths.from_config(config)
    imported = ensure_private_dir(paths.imported)
    sha = file_sha256(path)
    stamp = now().strftime("%Y%m%dT%H%M%S")
    target = _destination(imported, path.name, stamp)
    result = ImportResult(file=path.name, moved_to=str(target))
    known = store.source_by_sha(sha)
    if known is not None:
        result.duplicate_of = f"{known.name} (imported {known.imported_at})"
        path.replace(target)
        store.add_event(
            "import_duplicate",
            f"{path.name}: same content as {result.duplicate_of}; moved aside, not imported",
            level="warning",
        )
        return result
    report = _Report(imported / f"{target.name}.errors.csv", path.name)
    try:
        with store.transaction():
            source_id = store.add_source(sha, path.name)
            meter.start("import", _estimated_rows(path), "rows", path.name)
            try:
                _import_rows(store, config, path, source_id, result, report, meter)
            finally:
                meter.finish("import")
            store.finish_source(
                source_id,
                rows=result.rows,
                valid=result.valid,
                invalid=result.invalid,
                skipped=result.skipped,
                report=str(report.path) if report.written else "",
                unidentified=result.unidentified,
                moved_to=str(target),
            )
    except BuildError as exc:
        # Unusable file: nothing of it was kept (rolled back); it is recorded as failed.
        result.failure = str(exc)
        report.write(source=path.name, row=0, field="", value="", message=str(exc))
        with store.transaction():
            source_id = store.add_source(sha, path.name)
            store.finish_source(
                source_id,
                rows=0,
                valid=0,
                invalid=0,
                skipped=0,
                report=str(report.path),
                moved_to=str(target),
            )
            store.add_event("import_failed", f"{path.name}: {exc}", level="error")
    result.error_report = report.close()
    path.replace(target)
    if result.failure is None:
        store.add_event(
            "imported",
            f"{path.name}: {result.valid} valid, {result.invalid} invalid "
            f"({result.unidentified} without idTechnique), {result.skipped} skipped; "
            + ", ".join(f"{k} {v}" for k, v in result.outcomes.items()),
            level="warning" if result.invalid else "info",
        )
    return result


def _import_rows(
    store: Store,
    config: Config,
    path: Path,
    source_id: int,
    result: ImportResult,
    report: _Report,
    meter: Meter,
) -> None:
    rows = import_file(
        path,
        declarant=config.declarant,
        settings=config.build,
        schema_version=config.build.schema_version,
    )
    seen = SeenIds()  # (emitter, idTechnique) of this file's rows: a bad row repeating one
    for row in rows:
        result.rows += 1
        meter.advance("import")
        if row.skipped:
            result.skipped += 1
            continue
        if row.record is None:
            result.invalid += 1
            for error in row.errors:
                value = None if error.value is None else str(error.value)
                store.add_row_error(source_id, error.row, error.field, value, error.message)
                report.write(
                    source=path.name,
                    row=error.row,
                    field=error.field,
                    value=value or "",
                    message=error.message,
                )
            _bad_row(store, row, source_id, seen, result, report)
            continue
        result.valid += 1
        seen.add(row.record.declaration.idClientEmetteur, row.record.passage.idTechnique)
        outcome, previous = put_record(store, new_passage(row.record, source_id, row.row))
        result.outcomes[outcome] = result.outcomes.get(outcome, 0) + 1
        if outcome is Outcome.KEPT or (
            outcome is Outcome.UNCHANGED and previous in PASSAGE_REOPENABLE
        ):
            report.write(
                source=path.name,
                row=row.row,
                field="idTechnique",
                value=row.record.passage.idTechnique,
                message=_kept_message(previous),
            )


def _bad_row(
    store: Store,
    row: RowResult,
    source_id: int,
    seen: SeenIds,
    result: ImportResult,
    report: _Report,
) -> None:
    """Apply a bad row to its passage (when known); note in the report what it left alone."""
    done: tuple[Outcome, PassageStatus | None] | None = None
    if row.id_technique is not None and row.emitter is not None:
        if not seen.add(row.emitter, row.id_technique):
            message = "an earlier row of this file has this idTechnique: its passage is unchanged"
            done = (Outcome.REPEATED, None)
        else:
            done = put_invalid(store, row, source_id)
            message = (
                f"this passage is already {done[1] if done else None}: "
                "the invalid row was ignored, the passage is unchanged"
            )
    if done is None:
        result.unidentified += 1
        return
    outcome = done[0]
    result.outcomes[outcome] = result.outcomes.get(outcome, 0) + 1
    if outcome in (Outcome.KEPT, Outcome.REPEATED):
        report.write(
            source=report.source,
            row=row.row,
            field="idTechnique",
            value=row.id_technique,
            message=message,
        )


def _kept_message(previous: PassageStatus | None) -> str:
    if previous is PassageStatus.REJECTED:
        return "same data as the passage the CDC rejected: correct the row, then re-import it"
    if previous is PassageStatus.ACCEPTED:
        return "already accepted by the CDC: not sent again (the row was ignored)"
    return f"this passage is already {previous}: the row was ignored"


def _estimated_rows(path: Path) -> int | None:
    """Data rows of a CSV (its line count less the header), for the progress bar's ETA."""
    if path.suffix.lower() != ".csv":
        return None
    lines = 0
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            lines += chunk.count(b"\n")
    return max(lines - 1, 0)


def import_inbox(
    store: Store,
    config: Config,
    *,
    now: Callable[[], dt.datetime],
    progress: Progress,
    meter: Meter = NO_METER,
) -> list[ImportResult]:
    """Import every new export in the inbox, oldest name first."""
    inbox = config.agent.inbox
    if not inbox.is_dir():
        ensure_private_dir(inbox)
        return []
    files = sorted(
        p
        for p in inbox.iterdir()
        if p.is_file() and p.suffix.lower() in SUFFIXES and not p.name.startswith((".", "~$"))
    )
    results = []
    for path in files:
        result = import_one(store, config, path, now=now, meter=meter)
        if result.duplicate_of:
            progress(f"{path.name}: already imported ({result.duplicate_of}); moved aside")
        elif result.failure:
            progress(f"{path.name}: NOT imported: {result.failure}")
        else:
            progress(
                f"imported {path.name}: {result.valid} valid, {result.invalid} invalid, "
                f"{result.skipped} skipped"
                + (
                    f" ({result.unidentified} invalid without a known idTechnique)"
                    if result.unidentified
                    else ""
                )
                + (f" (errors: {result.error_report})" if result.error_report else "")
            )
        results.append(result)
    return results

"""The inbox: new CSV/XLSX exports are imported into the store, then moved aside.

Which entries are imported, and when a file is complete, is :mod:`agent.inbox_scan`'s
business. A complete file is first *claimed*: renamed into the agent's own folder
(``<data_dir>/inbox-claims``, or a hidden ``.claims-*`` folder of the inbox when the data
directory is on another file system), so that agents sharing one inbox never read the same
file. A claimed file left by a crash is imported by the next run.

Each claimed file is read row by row (:func:`agent.import_rows.imported_rows`: as
:func:`builders.exports.importer.import_file` reads it, by a process pool for a large file).
Valid rows become pending passages
(or refresh one); a bad row whose idTechnique is known becomes an ``invalid`` passage with its
reasons (see :mod:`agent.intake`); a bad row without a known idTechnique is only in the
report (counted as ``unidentified``). The file
is then moved to ``inbox/imported/`` with ``<name>.errors.csv`` beside it listing every bad
row (source, row, field, value, message) and every row that could not change its passage
(UTF-8 with BOM, ``;``-separated, for Excel: ``builders.exports.csvout``).
Nothing is deleted. A file whose content (SHA-256) was already imported is only moved.

One file is imported in one transaction: a crash leaves it either fully imported (and then
only moved on the next run) or not at all. A file that changed while it was read is not
imported (rolled back) and waits for the next run. Any failure while reading one file is that
file's error: it is set aside in ``inbox/failed/`` with ``<name>.reason.txt``, an event names
it, and the other files are imported. Names are escaped (:func:`builders.safenames.printable`)
in every message.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import logging
import os
import shutil
import stat
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING

from agent.config import Config
from agent.import_rows import imported_rows
from agent.inbox_scan import CLAIMS_PREFIX, Signature, scan_inbox, settled, signature
from agent.intake import FreshRows, Outcome, put_invalid, put_record
from agent.lifecycle import PASSAGE_REOPENABLE, PassageStatus
from agent.meter import NO_METER, Meter
from agent.paths import AgentPaths
from agent.rows import NewPassage
from agent.store import DATABASE_ERRORS, StorePort
from agent.withdrawal import hold_correction
from builders.cdc.idtech import SeenIds
from builders.exports.csvout import excel_csv
from builders.exports.csvsafe import neutralise_row
from builders.exports.plausibility import LATE
from builders.exports.results import RowResult
from builders.files import ensure_private_dir, file_sha256
from builders.flux.splitter import PARIS
from builders.safenames import printable

if TYPE_CHECKING:
    from agent.context import RunContext

log = logging.getLogger(__name__)

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
    warnings: int = 0  # notices about the file, recorded as import_warning events
    outcomes: dict[str, int] = field(default_factory=dict)
    error_report: str | None = None
    failure: str | None = None
    deferred: bool = False  # changed while being read: left claimed for the next run


class _Report:
    """The error report beside an imported file (Excel-ready CSV), created at the first line."""

    def __init__(self, path: Path, source: str) -> None:
        self.path = path
        self.source = source
        self._stack = ExitStack()
        self._writer: csv.DictWriter[str] | None = None

    def write(self, **row: object) -> None:
        if self._writer is None:
            self._writer = self._stack.enter_context(excel_csv(self.path, REPORT_COLUMNS))
        self._writer.writerow(neutralise_row(row))  # no formula reaches Excel (OWASP)

    @property
    def written(self) -> bool:
        """Whether at least one line was written."""
        return self._writer is not None

    def close(self) -> str | None:
        if self._writer is None:
            return None
        self._stack.close()
        return str(self.path)

    def discard(self) -> None:
        """Close and delete what was written (the import was rolled back)."""
        if self.close() is not None:
            self.path.unlink(missing_ok=True)
            self._handle = self._writer = None


def _destination(folder: Path, name: str, stamp: str) -> Path:
    target = folder / name
    if not target.exists():
        return target
    path = Path(name)
    return folder / f"{path.stem}.{stamp}{path.suffix}"


class _ChangedWhileRead(Exception):
    """The file's size, mtime or inode changed between hashing and the end of its import."""


def import_one(
    store: StorePort,
    config: Config,
    path: Path,
    *,
    paths: AgentPaths,
    now: Callable[[], dt.datetime],
    meter: Meter = NO_METER,
) -> ImportResult:
    """Import one claimed export file and move it to ``imported/`` (see the module docstring).

    Raises:
        sqlite3.Error, psycopg.Error: the store failed (not the file's fault: the run stops).
    """
    imported = ensure_private_dir(paths.imported)
    name = printable(path.name)
    stamp = now().strftime("%Y%m%dT%H%M%S")
    target = _destination(imported, path.name, stamp)
    result = ImportResult(file=name, moved_to=str(target))
    report = _Report(imported / f"{target.name}.errors.csv", name)
    if not _regular(path, follow=config.agent.inbox_follow_symlinks):
        # Swapped for a link or a FIFO between the scan and the claim: never opened.
        message = "no longer a regular file (replaced while the inbox was read): not read"
        return _set_aside(store, paths, path, ImportResult(file=name, moved_to=""), message, stamp)
    try:
        before = signature(path)
        sha = file_sha256(path)
        known = store.source_by_sha(sha)
        if known is not None:
            return _duplicate(store, path, target, result, known.name, known.imported_at)
        with store.transaction():
            source_id = store.add_source(sha, name)
            today = now().astimezone(PARIS).date()
            meter.start("import", _estimated_rows(path), "rows", name)
            try:
                _import_rows(store, config, path, source_id, result, report, today, meter)
            finally:
                meter.finish("import")
            _check_unchanged(path, before)  # else raises: the import is rolled back
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
    except _ChangedWhileRead:
        report.discard()
        return _deferred(store, ImportResult(file=name, moved_to=str(path)))
    except DATABASE_ERRORS:
        report.discard()
        raise
    except Exception as exc:  # noqa: BLE001 - any failure reading one file is that file's error
        report.discard()
        # The message may quote the file's content: escaped like the name.
        message = printable(str(exc).replace(printable(str(path)), name) or type(exc).__name__)
        return _set_aside(store, paths, path, ImportResult(file=name, moved_to=""), message, stamp)
    result.error_report = report.close()
    shutil.move(path, target)
    store.add_event(
        "imported",
        f"{name}: {result.valid} valid, {result.invalid} invalid "
        f"({result.unidentified} without idTechnique), {result.skipped} skipped; "
        + ", ".join(f"{k} {v}" for k, v in result.outcomes.items()),
        level="warning" if result.invalid else "info",
    )
    return result


def _regular(path: Path, *, follow: bool) -> bool:
    try:
        info = path.stat() if follow else path.lstat()
    except OSError:
        return False
    return stat.S_ISREG(info.st_mode)


def _check_unchanged(path: Path, before: Signature) -> None:
    if signature(path) != before:
        raise _ChangedWhileRead


def _duplicate(
    store: StorePort, path: Path, target: Path, result: ImportResult, known: str, at: str
) -> ImportResult:
    result.duplicate_of = f"{known} (imported {at})"
    shutil.move(path, target)
    store.add_event(
        "import_duplicate",
        f"{result.file}: same content as {result.duplicate_of}; moved aside, not imported",
        level="warning",
    )
    return result


def _deferred(store: StorePort, result: ImportResult) -> ImportResult:
    result.deferred = True
    result.failure = "it changed while it was read (still being written?): left for the next run"
    store.add_event("import_deferred", f"{result.file}: {result.failure}", level="warning")
    return result


def _set_aside(
    store: StorePort, paths: AgentPaths, path: Path, result: ImportResult, message: str, stamp: str
) -> ImportResult:
    """Move an unusable file to ``inbox/failed/`` with a reason file; an event names it."""
    failed = ensure_private_dir(paths.inbox / "failed")
    target = _destination(failed, path.name, stamp)
    shutil.move(path, target)
    reason = failed / f"{target.name}.reason.txt"
    fd = os.open(reason, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(fd, "w", encoding="utf-8") as handle:  # noqa: PTH123 - fd
        handle.write(f"{result.file}: not imported ({stamp}): {message}\n")
    result.failure = message
    result.moved_to = str(target)
    result.error_report = str(reason)
    store.add_event(
        "import_failed",
        f"{result.file}: not imported, set aside in failed/{printable(target.name)}: {message}",
        level="error",
    )
    return result


def _import_rows(
    store: StorePort,
    config: Config,
    path: Path,
    source_id: int,
    result: ImportResult,
    report: _Report,
    today: dt.date,
    meter: Meter,
) -> None:
    with imported_rows(path, config, today=today, source_id=source_id) as (notices, rows):
        for notice in notices:  # the header row used, columns ignored, hidden rows...
            store.add_event(
                "import_warning", f"{path.name}:{notice.row}: {notice.message}", level="warning"
            )
        result.warnings += len(notices)
        seen = SeenIds()  # (emitter, idTechnique) of this file's rows: a bad row repeating one
        while chunk := list(islice(rows, CHUNK_ROWS)):
            fresh = FreshRows(store, [new for _, new in chunk if new is not None])
            for row, new in chunk:
                _import_row(
                    store,
                    row,
                    new,
                    fresh,
                    config=config,
                    path=path,
                    source_id=source_id,
                    seen=seen,
                    result=result,
                    report=report,
                    meter=meter,
                )
            fresh.flush()


#: Rows read ahead and looked up together (:class:`agent.intake.FreshRows`).
CHUNK_ROWS = 500


def _import_row(
    store: StorePort,
    row: RowResult,
    new: NewPassage | None,
    fresh: FreshRows,
    *,
    config: Config,
    path: Path,
    source_id: int,
    seen: SeenIds,
    result: ImportResult,
    report: _Report,
    meter: Meter,
) -> None:
    """One row of a file (``new``: its passage, when the row is valid): its passage new,
    refreshed, invalid or left alone."""
    result.rows += 1
    meter.advance("import")
    if row.skipped:
        result.skipped += 1
        return
    if new is None:
        result.invalid += 1
        fresh.touch(row.emitter, row.id_technique)
        fresh.flush()
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
        return
    emitter, id_technique = new.emitter, new.id_technique
    new_for_sure = fresh.fresh(emitter, id_technique, row.holder_key)
    if not new_for_sure:
        fresh.flush()
        other = store.same_holder(emitter, row.holder_key, id_technique) if row.holder_key else None
        if other is not None:
            _same_holder_in_store(store, row.row, id_technique, source_id, other, result, report)
            return
    result.valid += 1
    for warning in row.warnings:  # declared, but the operator should look
        if warning.message.startswith(LATE):
            continue  # the agent tracks every passage's deadline (status, deadline_check)
        report.write(
            source=path.name,
            row=warning.row,
            field=warning.field,
            value=warning.value,
            message=f"warning: {warning.message}",
        )
    seen.add(emitter, id_technique)
    if new_for_sure:
        fresh.add(new)
        result.outcomes[Outcome.NEW] = result.outcomes.get(Outcome.NEW, 0) + 1
        return
    outcome, previous = put_record(store, new)
    if outcome is Outcome.CORRECTION:
        outcome = _correction(store, config, new, path.name, row.row, report)
    # A passage written from this row got its holder key with it (put_passage).
    if row.holder_key and outcome in (Outcome.UNCHANGED, Outcome.CORRECTION):
        found = store.passage(emitter, id_technique)
        if found is not None:
            store.set_holder_key(found.id, row.holder_key)
    result.outcomes[outcome] = result.outcomes.get(outcome, 0) + 1
    if outcome is Outcome.KEPT or (outcome is Outcome.UNCHANGED and previous in PASSAGE_REOPENABLE):
        report.write(
            source=path.name,
            row=row.row,
            field="idTechnique",
            value=id_technique,
            message=_kept_message(previous),
        )


def _correction(
    store: StorePort, config: Config, new: NewPassage, source: str, row: int, report: _Report
) -> Outcome:
    """Hold other data for a passage the CDC holds; the report line says what differs."""
    passage = store.passage(new.emitter, new.id_technique)
    message = hold_correction(store, passage, new, settings=config.build) if passage else None
    if message is None:  # the same data as the correction already held
        return Outcome.UNCHANGED
    report.write(
        source=source, row=row, field="idTechnique", value=new.id_technique, message=message
    )
    return Outcome.CORRECTION


def _same_holder_in_store(
    store: StorePort,
    row: int,
    id_technique: str,
    source_id: int,
    other: tuple[str, str],
    result: ImportResult,
    report: _Report,
) -> None:
    """A valid row whose holder and certification the store has under another idTechnique."""
    message = (
        f"the same holder and certification are already in the store under idTechnique "
        f"{other[0]} ({other[1]}): one certificate would be declared twice"
    )
    result.invalid += 1
    store.add_row_error(source_id, row, "idTechnique", id_technique, message)
    report.write(
        source=report.source, row=row, field="idTechnique", value=id_technique, message=message
    )
    result.unidentified += 1


def _bad_row(
    store: StorePort,
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
    if previous is PassageStatus.WITHDRAWN:
        return (
            "this passage is withdrawn: the row was ignored "
            "(`accrochage redeclare ID` declares it again)"
        )
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


def import_inbox(store: StorePort, run: RunContext) -> list[ImportResult]:
    """Import every complete export in the inbox, oldest name first (module docstring).

    Entries the inbox does not handle are reported once (event, progress line) and listed
    by ``status`` while they stay; files still being written wait for the next run.
    """
    config, progress, paths = run.config, run.progress, run.paths
    inbox = config.agent.inbox
    if not inbox.is_dir():
        ensure_private_dir(inbox)
        return []
    scan = scan_inbox(inbox, follow_symlinks=config.agent.inbox_follow_symlinks)
    for notice in store.sync_notices(scan.notices):
        store.add_event("inbox_unhandled", f"{notice.name}: {notice.message}", level="warning")
        progress(f"{notice.name}: {notice.message}")
    claims = _claims_folder(paths)
    left = _claimed(claims)  # claimed by an earlier run that stopped, or changed while read
    ready, busy = settled([*left, *scan.candidates], settle_s=config.agent.inbox_settle_s)
    for path in busy:
        progress(f"{printable(path.name)}: still being written; left for the next run")
    results = []
    for path in sorted(ready, key=lambda item: (item.parent != claims, item.name)):
        claimed = path if path.parent == claims else _claim(path, claims)
        if claimed is not None:
            results.append(_import_claimed(store, run, claimed))
    return results


def _claimed(claims: Path) -> list[Path]:
    """Files this agent claimed in an earlier run that stopped before moving them."""
    return sorted(path for path in claims.iterdir() if path.is_symlink() or not path.is_dir())


def _claims_folder(paths: AgentPaths) -> Path:
    """The agent's own claim folder, on the inbox's file system (a rename must be atomic)."""
    own = ensure_private_dir(paths.claims)
    if own.stat().st_dev == paths.inbox.stat().st_dev:
        return own
    tag = hashlib.sha256(str(paths.data_dir.resolve()).encode()).hexdigest()[:12]
    return ensure_private_dir(paths.inbox / f"{CLAIMS_PREFIX}{tag}")


def _claim(path: Path, claims: Path) -> Path | None:
    """Rename ``path`` into ``claims``; None when another agent took it first."""
    target = claims / path.name
    if target.exists() or target.is_symlink():
        target = claims / f"{path.stem}.{os.getpid()}{path.suffix}"
    link = path.readlink() if path.is_symlink() else None
    try:
        path.rename(target)
    except FileNotFoundError:
        log.debug("%s: taken by another agent", printable(path.name))
        return None
    if link is not None and not link.is_absolute():
        target.unlink()  # a relative link would now point elsewhere
        target.symlink_to((path.parent / link).resolve())
    return target


def _import_claimed(store: StorePort, run: RunContext, path: Path) -> ImportResult:
    progress = run.progress
    result = import_one(store, run.config, path, paths=run.paths, now=run.now, meter=run.meter)
    if result.duplicate_of:
        progress(f"{result.file}: already imported ({result.duplicate_of}); moved aside")
    elif result.failure:
        progress(f"{result.file}: NOT imported: {result.failure}")
    else:
        progress(
            f"imported {result.file}: {result.valid} valid, {result.invalid} invalid, "
            f"{result.skipped} skipped"
            + (
                f" ({result.unidentified} invalid without a known idTechnique)"
                if result.unidentified
                else ""
            )
            + (f" (errors: {result.error_report})" if result.error_report else "")
        )
    return result

"""Reconciliation with the portal: uploads in doubt, receipts, reports, held passages.

- :func:`reconcile_uploading`: a batch left in ``uploading`` (a crash, or an upload whose
  confirmation was lost) is settled by the portal's own history before anything is re-sent.
- :func:`collect_reports`: for every uploaded batch, read its history row; once processed,
  download the accusé de traitement and apply it. Each batch is collected on its own: a report
  that cannot be trusted (unreadable, too large, or contradicting the batch: see
  ``agent.report_check``) is quarantined, which holds that batch only, with an event.
- :func:`apply_report`: one report -> passage and batch statuses, in one transaction
  (also used by ``accrochage report import`` for a report downloaded by hand); a report that
  does not belong to the batch raises :class:`ReportMismatch` and changes nothing.
- :func:`release_held`: passages held by a file-level failure go back to pending once the
  cause is fixed (see :data:`FILE_HINT`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo

from agent.checkpoint import Checkpoint, no_checkpoint
from agent.lifecycle import BatchStatus, PassageStatus
from agent.report_check import report_problems
from agent.rows import Batch
from agent.store import StorePort
from agent.withdrawal import apply_suppression_report, close_processed, is_suppression
from builders.cdc.messages import KoClass
from builders.cdc.reports import ProcessingReport, ReportRefused, parse_report
from portal.base import DepositState, DocumentKind, HistoryEntry, Portal
from portal.errors import DocumentRefused, PortalError, ProfileMismatch

log = logging.getLogger(__name__)

#: Deadlines are French legal dates.
LEGAL_TZ = ZoneInfo("Europe/Paris")

#: ``cdc_class`` of passages held because their whole file failed (not a CDC passage class).
FILE_CLASS = "file"
FILE_HINT = (
    "the whole file was refused, so none of its passages reached the CDC. They are held and "
    "go back to pending automatically once the cause is fixed: a new XSD imported "
    "(accrochage schema import) or a new version of accrochage-agent (new build rules); "
    "re-importing corrected rows also releases them"
)

#: The same for a SUPPRESSION file refused as a whole: the CDC still holds its passages.
SUPPRESSION_FILE_HINT = (
    "the whole SUPPRESSION file was refused, so the CDC still holds these passages. Their "
    "SUPPRESSION is built again automatically once the cause is fixed: a new XSD imported "
    "(accrochage schema import) or a new version of accrochage-agent; "
    "`accrochage withdraw --at-cdc ID` (or `accrochage correct ID`) asks again at once"
)

Progress = Callable[[str], None]


class CollectError(Exception):
    """A report cannot be applied (unknown file name, batch never deposited)."""


class ReportMismatch(CollectError):
    """The report is not this batch's: another file or flux, strange ids, OK and KO at once."""


@dataclass
class CollectSummary:
    """What one collection pass did; ``problems`` are one line per batch that needs a person."""

    processed: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    quarantined: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    accepted: int = 0
    rejected: int = 0
    requeued: int = 0  # corrected passages pending again after their SUPPRESSION's OK


def _mark_uploaded(store: StorePort, batch: Batch, message: str) -> None:
    """uploading -> uploaded, its passages batched -> deposited, in one transaction.

    A passage declared after its deadline (three months after delivery, in French legal
    time) is marked late, with an event naming it.
    """
    today = store.now().astimezone(LEGAL_TZ).date()
    with store.transaction():
        store.set_batch_status(batch.id, BatchStatus.UPLOADED, message=message)
        store.move_batch(batch.id, (PassageStatus.BATCHED,), PassageStatus.DEPOSITED)
        late = store.mark_late_in_batch(batch.id, today)
        store.add_event("uploaded", f"{batch.name}: {message}", batch_id=batch.id)
        for passage in late:
            store.add_event(
                "late",
                f"{passage.id_technique}: declared late, on {today} (deadline "
                f"{passage.deadline}, 3 months after delivery on {passage.delivery_date})",
                level="warning",
                batch_id=batch.id,
                passage_id=passage.id,
            )


def confirm_upload(store: StorePort, batch: Batch, message: str) -> None:
    """Record that the portal history shows ``batch`` (committed before anything else)."""
    _mark_uploaded(store, batch, message)


def reconcile_uploading(store: StorePort, portal: Portal, progress: Progress) -> int:
    """Settle every batch left in ``uploading`` from the portal history.

    Found in the history: the upload got through, the batch becomes ``uploaded``. Absent: it
    never arrived, the batch goes back to ``built`` and the same file is sent again later.

    Returns:
        The number of batches settled.
    """
    settled = 0
    for batch in store.batches(BatchStatus.UPLOADING):
        attempt = store.start_attempt("reconcile", batch_id=batch.id)
        try:
            entry = portal.find_deposit(batch.name)
        except PortalError as exc:
            store.finish_attempt(attempt, "unavailable", message=exc.message, evidence=exc.evidence)
            raise
        if entry is None:
            with store.transaction():
                store.set_batch_status(batch.id, BatchStatus.BUILT, message="not in the history")
                store.add_event(
                    "reconciled",
                    f"{batch.name}: left in uploading, absent from the portal history: "
                    "it will be sent again",
                    level="warning",
                    batch_id=batch.id,
                )
            store.finish_attempt(attempt, "absent")
            progress(f"{batch.name}: interrupted upload never arrived; will send again")
        else:
            _mark_uploaded(store, batch, f"found in the portal history ({entry.status_label})")
            store.finish_attempt(attempt, "present", message=entry.status_label)
            progress(f"{batch.name}: interrupted upload had arrived ({entry.status_label})")
        settled += 1
    return settled


#: Statuses of a batch's passages its report may settle (again: applying it is idempotent).
_AWAITING_REPORT: Final = frozenset(
    {PassageStatus.DEPOSITED, PassageStatus.ACCEPTED, PassageStatus.REJECTED}
)


def apply_report(store: StorePort, batch: Batch, report: ProcessingReport) -> BatchStatus:
    """Apply one accusé de traitement to ``batch`` and its passages, in one transaction.

    Idempotent: applying the same report twice gives the same statuses. A passage the report
    names but that has since moved to another batch (re-imported) is left alone.

    Raises:
        CollectError: the batch was never deposited by the agent.
        ReportMismatch: the report does not belong to the batch (nothing is applied).
    """
    if batch.status in (BatchStatus.BUILT, BatchStatus.INVALID):
        raise CollectError(f"{batch.name}: this file was never deposited by the agent")
    with store.transaction():
        # Every passage the file holds (for the check), read once with those still in it.
        held = store.batch_roster(batch.id)
        problems = report_problems(
            report, file_name=batch.name, id_flux=batch.id_flux, held=held.keys()
        )
        if problems:  # nothing written yet: the transaction ends with nothing applied
            raise ReportMismatch(
                f"{batch.name}: the accusé de traitement does not belong to this file: "
                + "; ".join(problems)
            )
        if batch.status is BatchStatus.UPLOADING:
            _mark_uploaded(store, batch, "confirmed by its accusé de traitement")
        if report.file_rejected:
            return _apply_file_rejected(store, batch, report)
        if is_suppression(batch):
            return apply_suppression_report(store, batch, report)
        # Each passage's move, grouped so that each group is one set-based statement.
        moves: dict[int, tuple[PassageStatus, str | None, str | None, str | None]] = {}
        for outcome in report.passages:
            entry = held.get(outcome.id_technique)
            # Only the passages this batch still holds (a re-imported one moved on).
            if entry is None or not entry.current or entry.status not in _AWAITING_REPORT:
                store.add_event(
                    "report_unmatched",
                    f"{batch.name}: report names idTechnique {outcome.id_technique}, "
                    "which is not awaiting a report in this batch; ignored",
                    level="warning",
                    batch_id=batch.id,
                )
                continue
            passage_id = entry.id
            duplicate_of_ours = outcome.klass is KoClass.DUPLICATE and store.was_uploaded_before(
                passage_id, batch.id
            )
            if outcome.ok or duplicate_of_ours:
                moves[passage_id] = (PassageStatus.ACCEPTED, outcome.message, None, None)
            else:
                klass = str(outcome.klass) if outcome.klass else None
                moves[passage_id] = (PassageStatus.REJECTED, outcome.message, klass, outcome.hint)
        groups: dict[tuple[PassageStatus, str | None, str | None, str | None], list[int]] = {}
        for passage_id, move in moves.items():
            groups.setdefault(move, []).append(passage_id)
        for (to, message, klass, hint), ids in groups.items():
            store.move_passages(ids, to, message=message, klass=klass, hint=hint)
        accepted = sum(1 for move in moves.values() if move[0] is PassageStatus.ACCEPTED)
        rejected = len(moves) - accepted
        named = {o.id_technique for o in report.passages}
        missing = [
            id_technique
            for id_technique, entry in held.items()
            if entry.current
            and entry.status is PassageStatus.DEPOSITED
            and id_technique not in named
        ]
        if missing:
            store.add_event(
                "report_incomplete",
                f"{batch.name}: {len(missing)} passage(s) absent from the report stay deposited: "
                + ", ".join(missing[:10]),
                level="warning",
                batch_id=batch.id,
            )
        return close_processed(
            store, batch, report, accepted, rejected, f"{accepted} accepted, {rejected} rejected"
        )


def _apply_file_rejected(store: StorePort, batch: Batch, report: ProcessingReport) -> BatchStatus:
    first = report.errors[0]
    where = f"line {first.line}, column {first.column}" if first.line else "no position"
    more = f" (+{len(report.errors) - 1} more)" if len(report.errors) > 1 else ""
    message = f"file rejected by the CDC: {first.type} at {where}: {first.message}{more}"
    return hold_batch(store, batch, BatchStatus.FILE_REJECTED, message)


def hold_batch(
    store: StorePort, batch: Batch, status: BatchStatus, message: str, *, announce: bool = True
) -> BatchStatus:
    """A file-level failure: the batch ends in ``status``, its passages are held.

    Passages not yet at the CDC become rejected (or invalid for a file that failed our own
    validation) with class ``file`` and :data:`FILE_HINT`; :func:`release_held` frees them.
    """
    to = PassageStatus.INVALID if status is BatchStatus.INVALID else PassageStatus.REJECTED
    waiting: tuple[PassageStatus, ...] = (PassageStatus.BATCHED, PassageStatus.DEPOSITED)
    hint = FILE_HINT
    if is_suppression(batch):
        # The CDC still holds these passages: their withdrawal failed, and is asked again
        # once the cause is fixed (release_held) or by the operator.
        to, waiting = PassageStatus.WITHDRAW_REJECTED, (PassageStatus.WITHDRAWING,)
        hint = SUPPRESSION_FILE_HINT
    with store.transaction():
        held = store.move_batch(
            batch.id,
            waiting,
            to,
            message=message,
            klass=FILE_CLASS,
            hint=hint,
            reasons=[message] if to is PassageStatus.INVALID else None,
        )
        store.set_batch_status(batch.id, status, message=message, accepted=0, rejected=held)
        if not announce:
            return status
        store.add_event(
            "file_rejected" if status is BatchStatus.FILE_REJECTED else "batch_invalid",
            f"{batch.name}: {message}. {held} passage(s) held: {hint}",
            level="error",
            batch_id=batch.id,
        )
    return status


def retire_batch(store: StorePort, batch: Batch, message: str) -> int:
    """A built batch that must not be sent as is: ``invalid``, its passages pending again.

    Used when the file is missing or changed on disk, or was built under other rules or
    another XSD: its passages are simply rebuilt.

    Returns:
        The number of passages sent back to pending.
    """
    with store.transaction():
        hold_batch(store, batch, BatchStatus.INVALID, message, announce=False)
        count = _release(store, batch)
        store.mark_released(batch.id)
        store.add_event(
            "retired",
            f"{batch.name}: {message}; never sent, its {count} passage(s) are rebuilt",
            level="warning",
            batch_id=batch.id,
        )
    return count


def _release(store: StorePort, batch: Batch) -> int:
    """Passages ``batch`` holds for a file-level failure go back to be built again."""
    with store.transaction():
        count = store.move_batch(
            batch.id,
            (PassageStatus.REJECTED, PassageStatus.INVALID),
            PassageStatus.PENDING,
            reasons=[],
            only_class=FILE_CLASS,
        )
        # Refused withdrawals: their SUPPRESSION is built again.
        return count + store.withdraw_batch(
            batch.id, PassageStatus.WITHDRAW_REJECTED, only_class=FILE_CLASS
        )


def release_held(store: StorePort, fingerprint: str, progress: Progress) -> int:
    """Send passages held by a file-level failure back to pending once the cause is fixed.

    The cause counts as fixed when the build fingerprint (agent version, schema version,
    imported XSD) differs from the one the failed file was built with.

    Returns:
        The number of passages released.
    """
    released = 0
    for batch in store.batches(BatchStatus.FILE_REJECTED, BatchStatus.INVALID):
        if batch.released_at is not None or batch.fingerprint == fingerprint:
            continue
        with store.transaction():
            count = _release(store, batch)
            store.mark_released(batch.id)
            store.add_event(
                "released",
                f"{batch.name}: build rules or XSD changed since this file failed; "
                f"{count} held passage(s) back to pending",
                batch_id=batch.id,
            )
        if count:
            progress(f"{batch.name}: {count} held passage(s) back to pending (cause fixed)")
        released += count
    return released


def release_due_held(store: StorePort, horizon: dt.date, progress: Progress) -> int:
    """The deadline job: passages held by a file refused as a whole, due by ``horizon``,
    go back to pending so this run rebuilds and deposits them (once per refused file).

    Returns:
        The number of passages released.
    """
    released = 0
    for batch in store.batches(BatchStatus.FILE_REJECTED):
        if batch.released_at is not None:
            continue
        due = [
            p
            for p in store.passages(batch_id=batch.id, status=PassageStatus.REJECTED)
            if p.cdc_class == FILE_CLASS and p.deadline is not None and p.deadline <= horizon
        ]
        if not due:
            continue
        with store.transaction():
            for passage in due:
                store.set_passage_status(passage.id, PassageStatus.PENDING, reasons=[])
            store.mark_released(batch.id)
            store.add_event(
                "released",
                f"{batch.name}: {len(due)} held passage(s) due by {horizon} back to pending "
                "for the deadline: sent again in a new file",
                level="warning",
                batch_id=batch.id,
            )
        progress(f"{batch.name}: {len(due)} held passage(s) due by {horizon} sent again")
        released += len(due)
    return released


def collect_reports(
    store: StorePort,
    portal: Portal,
    documents_dir: Path,
    progress: Progress,
    *,
    checkpoint: Checkpoint = no_checkpoint,
) -> CollectSummary:
    """Fetch receipts and reports of uploaded batches and apply the reports, batch by batch.

    A report that cannot be trusted quarantines its own batch (see :func:`quarantine`); a
    batch the agent cannot collect yet (unknown status label, a page not as the profile says)
    waits with an event; the other batches go on either way.

    Raises:
        PortalError: the portal is unavailable or refuses the login; what was applied before
            stays applied.
    """
    summary = CollectSummary()
    for batch in store.batches(BatchStatus.UPLOADED):
        try:
            _collect_one(store, portal, batch, documents_dir, summary, progress, checkpoint)
        except (ReportRefused, ReportMismatch, DocumentRefused) as exc:
            message = exc.message if isinstance(exc, PortalError) else str(exc)
            summary.problems.append(quarantine(store, store.batch(batch.id), message))
            summary.quarantined.append(batch.name)
            progress(f"{batch.name}: report QUARANTINED, not applied: {message}")
        except ProfileMismatch as exc:
            line = f"{batch.name}: not collected: {exc.message}"
            store.add_event("collect_failed", line, level="error", batch_id=batch.id)
            summary.problems.append(line)
            summary.waiting.append(batch.name)
            progress(line)
    return summary


def _collect_one(
    store: StorePort,
    portal: Portal,
    batch: Batch,
    documents_dir: Path,
    summary: CollectSummary,
    progress: Progress,
    checkpoint: Checkpoint,
) -> None:
    entry = portal.find_deposit(batch.name)
    if entry is None:
        store.add_event(
            "history_missing",
            f"{batch.name}: uploaded but absent from the portal history",
            level="error",
            batch_id=batch.id,
        )
        summary.waiting.append(batch.name)
        return
    if entry.state is DepositState.UNKNOWN:
        summary.problems.append(_unknown_label(store, batch, entry))
        summary.waiting.append(batch.name)
        return
    dest = documents_dir / batch.name.removesuffix(".xml")
    if entry.receipt_available and not _has_document(store, batch, DocumentKind.RECEIPT):
        try:
            _fetch(store, portal, batch, DocumentKind.RECEIPT, dest)
        except DocumentRefused as exc:  # the receipt is informative: the report still counts
            store.add_event("document_refused", exc.message, level="warning", batch_id=batch.id)
    if entry.state is DepositState.PROCESSING or not entry.report_available:
        if entry.state is DepositState.REJECTED:
            hold_batch(
                store,
                batch,
                BatchStatus.FILE_REJECTED,
                f"the portal shows the file as {entry.status_label!r} with no report",
            )
            summary.processed.append(batch.name)
            return
        summary.waiting.append(batch.name)
        return
    saved = _stored_report(store, batch) or _fetch(store, portal, batch, DocumentKind.REPORT, dest)
    checkpoint("during_report")
    report = parse_report(saved)
    status = apply_report(store, store.batch(batch.id), report)
    done = store.batch(batch.id)
    if is_suppression(done):
        # Corrections whose SUPPRESSION is OK: their CREATION can be built now.
        summary.requeued += len(store.passages(batch_id=done.id, status=PassageStatus.PENDING))
    summary.processed.append(batch.name)
    summary.accepted += done.accepted
    summary.rejected += done.rejected
    progress(f"{batch.name}: {status} ({done.accepted} accepted, {done.rejected} rejected)")


def quarantine(store: StorePort, batch: Batch, reason: str) -> str:
    """Hold ``batch`` because its report cannot be trusted; nothing of the report is applied.

    Its passages stay deposited. The report (when one was saved) stays under the batch's
    documents, and is not fetched again: a person checks it and applies the right report with
    ``accrochage report import FILE``.

    Returns:
        The event's message.
    """
    message = (
        f"{batch.name}: accusé de traitement quarantined, nothing applied: {reason}. "
        "Its passages stay deposited; check the report with the CDC and apply the right one "
        "with `accrochage report import FILE`"
    )
    with store.transaction():
        store.set_batch_status(batch.id, BatchStatus.REPORT_QUARANTINED, message=reason)
        store.add_event("report_quarantined", message, level="error", batch_id=batch.id)
    return message


def _unknown_label(store: StorePort, batch: Batch, entry: HistoryEntry) -> str:
    """An event (once per batch and label) for a status label the profile does not map."""
    message = (
        f"{batch.name}: the portal shows the status {entry.status_label!r}, which the portal "
        "profile does not map; add it to [portal.profile.status_labels] in the config "
        "(the agent never guesses what a status means). This batch waits; others go on"
    )
    if not any(e.message == message for e in store.events(limit=200, batch_id=batch.id)):
        store.add_event("unknown_status_label", message, level="error", batch_id=batch.id)
    return message


def _stored_report(store: StorePort, batch: Batch) -> Path | None:
    """A report already saved for ``batch`` (fetched before a crash): never fetched twice."""
    for doc in store.documents(batch.id):
        if doc.kind == DocumentKind.REPORT.value and Path(doc.path).is_file():
            return Path(doc.path)
    return None


def _has_document(store: StorePort, batch: Batch, kind: DocumentKind) -> bool:
    return any(doc.kind == kind.value for doc in store.documents(batch.id))


def _fetch(store: StorePort, portal: Portal, batch: Batch, kind: DocumentKind, dest: Path) -> Path:
    attempt = store.start_attempt(f"fetch_{kind.value}", batch_id=batch.id)
    try:
        saved = portal.fetch_document(batch.name, kind, dest)
    except PortalError as exc:
        store.finish_attempt(attempt, "unavailable", message=exc.message, evidence=exc.evidence)
        raise
    with store.transaction():
        store.add_document(batch.id, kind.value, saved.path, saved.sha256, saved.size)
        store.finish_attempt(attempt, "saved", message=saved.path.name)
    return saved.path

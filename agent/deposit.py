"""The deposit workflow: the one function the scheduler and ``accrochage deposit now`` share.

One run, under the ``work`` lock held by the caller:

1. release passages held by a file-level failure whose cause is fixed;
2. import the inbox; build pending passages into validated batches;
3. open the portal (only if there is something to send or collect) and reconcile batches
   left in ``uploading`` against its history *before* anything is sent;
4. deposit each built batch: ``uploading`` is committed before the upload, ``uploaded``
   right after the portal history confirms it;
5. collect receipts and reports and apply them; with ``wait``, poll until every batch is
   processed or the time limit.

Every transition is committed before the next side effect, so a crash at any step is
settled by the next run. Portal failures end the run with an error in the summary (the
client already retried transient ones); the next run picks up where this one stopped.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from agent.build import build_pending, build_suppressions
from agent.collect import (
    collect_reports,
    confirm_upload,
    hold_batch,
    reconcile_uploading,
    release_due_held,
    release_held,
    retire_batch,
)
from agent.context import RunContext
from agent.inbox import ImportResult, import_inbox
from agent.lifecycle import BatchStatus
from agent.login_guard import LoginGuard
from agent.meter import NO_METER
from agent.notify import config_secrets, send_pending
from agent.paths import AgentPaths
from agent.ping import Pinger
from agent.rows import Batch
from agent.store import StorePort
from builders.files import ensure_private_dir, file_sha256
from portal.base import DocumentKind, Portal
from portal.errors import DepositRefused, LoginFailed, PortalError

log = logging.getLogger(__name__)

Progress = Callable[[str], None]
PortalFactory = Callable[[], AbstractContextManager[Portal]]


@dataclass
class RunSummary:
    """What one run did; ``errors`` non-empty or ``timed_out`` means exit code 1."""

    imported: list[ImportResult] = field(default_factory=list)
    released: int = 0
    built: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    reconciled: int = 0
    uploaded: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    processed: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    quarantined: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        """No error and no time-out."""
        return not self.errors and not self.timed_out

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        data = asdict(self)
        data["ok"] = self.ok
        return data

    def line(self) -> str:
        """One line for the event log."""
        rows = sum(r.valid for r in self.imported)
        return (
            f"imported {len(self.imported)} file(s) ({rows} valid rows), built {len(self.built)}, "
            f"uploaded {len(self.uploaded)}, processed {len(self.processed)}, "
            f"waiting {len(self.waiting)}, errors {len(self.errors)}"
            + (", timed out" if self.timed_out else "")
        )


class Trigger(StrEnum):
    """What started a run (named in its summary line and event)."""

    SCHEDULE = "schedule"
    DEADLINE = "deadline"
    MANUAL = "manual"


@dataclass(frozen=True)
class RunOptions:
    """How a run behaves; defaults suit ``deposit now``."""

    collect_only: bool = False  # the collect job: no import, build or deposit
    wait: bool = False
    timeout_s: float = 3600.0
    poll_interval_s: float = 30.0
    trigger: Trigger = Trigger.MANUAL
    #: The deadline job: passages held by a refused file and due by this day are rebuilt.
    release_due: dt.date | None = None


def run_deposit(
    run: RunContext,
    *,
    portal_factory: PortalFactory,
    options: RunOptions = RunOptions(),
    should_stop: Callable[[], bool] = lambda: False,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
    login_guard: LoginGuard | None = None,
) -> RunSummary:
    """Run the workflow once (see the module docstring). The caller holds the work lock.

    Args:
        run: the run's context, built once by the entry point: config, paths, fingerprint,
            clock (aware datetimes), progress (one human line per step), meter (a
            terminal's bars) and crash checkpoint.
        portal_factory: returns a fresh Portal context manager (created in this thread).
        options: collect only, wait for reports, time limit, poll interval.
        should_stop: polled between batches; True ends the run early (SIGTERM): the
            current upload and its receipt finish, no report is collected.
        sleep: waits between polls (injectable for tests).
        monotonic: measures the time limit.
        login_guard: refuses to log in again with a password the portal refused; None
            only in tests that do not exercise it.

    Returns:
        The summary; failures are in ``errors``, never raised (except programming errors).
    """
    config = run.config
    pinger = Pinger(config.notify.ping_url, config_secrets(config))
    pinger.start()
    try:
        summary = _run(
            run,
            portal_factory,
            options,
            _Control(should_stop, sleep, monotonic),
            login_guard,
        )
    except BaseException:
        pinger.finish(ok=False, summary="the run stopped on an unexpected error")
        raise
    pinger.finish(ok=summary.ok, summary=summary.line())
    run.checkpoint("before_notify")
    send_pending(config, now=run.now)
    return summary


def _run(
    run: RunContext,
    portal_factory: PortalFactory,
    options: RunOptions,
    control: _Control,
    login_guard: LoginGuard | None,
) -> RunSummary:
    progress = run.progress
    ensure_private_dir(run.paths.data_dir)
    summary = RunSummary()
    what = "collect" if options.collect_only else "deposit run"
    with run.open_store() as store:
        store.add_event("run_started", f"{what} (trigger: {options.trigger})")
        if not options.collect_only:
            _prepare(store, run, summary, options)
        if _portal_needed(store, collect_only=options.collect_only):
            try:
                if login_guard is not None:
                    login_guard.check()  # a paused login ends the run before Chromium starts
                with portal_factory() as portal:
                    _with_portal(store, portal, run, summary, options, control)
                    if login_guard is not None:
                        login_guard.succeeded()
            except PortalError as exc:
                if login_guard is not None and isinstance(exc, LoginFailed):
                    exc = login_guard.refused(exc)
                _portal_failed(store, summary, exc, progress)
        summary.waiting = [
            b.name for b in store.batches(BatchStatus.UPLOADED, BatchStatus.UPLOADING)
        ]
        line = f"{what} finished (trigger: {options.trigger}): {summary.line()}"
        store.add_event("run_finished", line, level="info" if summary.ok else "error")
    log.log(logging.INFO if summary.ok else logging.ERROR, "%s", line)
    return summary


def _prepare(store: StorePort, run: RunContext, summary: RunSummary, options: RunOptions) -> None:
    progress = run.progress
    current = run.fingerprint
    summary.released = release_held(store, current, progress)
    if options.release_due is not None:
        summary.released += release_due_held(store, options.release_due, progress)
    for batch in store.batches(BatchStatus.BUILT):
        problem = unsafe_to_send(batch, current)
        if problem:
            summary.released += retire_batch(store, batch, f"not sent: {problem}")
            progress(f"{batch.name}: not sent ({problem}); its passages will be rebuilt")
    summary.imported = import_inbox(store, run)
    run.checkpoint("after_import")
    try:
        _build(store, run, summary)
    except ValueError as exc:
        # A record that cannot be written in the target schema version: nothing was built.
        message = f"build failed, nothing built: {exc}"
        store.add_event("build_failed", message, level="error")
        summary.errors.append(message)
        progress(message)
    run.checkpoint("after_build")


def _build(store: StorePort, run: RunContext, summary: RunSummary) -> None:
    """SUPPRESSION files first (withdrawals and corrections), then the pending passages.

    Raises:
        ValueError: a record cannot be written in the target schema version.
    """
    built, invalid = build_suppressions(store, run)
    summary.built += built
    summary.invalid += invalid
    built, invalid = build_pending(store, run)
    summary.built += built
    summary.invalid += invalid


def _portal_needed(store: StorePort, *, collect_only: bool) -> bool:
    """Open the browser only when there is something to send, settle or collect."""
    wanted = [BatchStatus.UPLOADING, BatchStatus.UPLOADED]
    if not collect_only:
        wanted.append(BatchStatus.BUILT)
    return bool(store.batches(*wanted))


@dataclass(frozen=True)
class _Control:
    should_stop: Callable[[], bool]
    sleep: Callable[[float], None]
    monotonic: Callable[[], float]


def _with_portal(
    store: StorePort,
    portal: Portal,
    run: RunContext,
    summary: RunSummary,
    options: RunOptions,
    control: _Control,
) -> None:
    progress, should_stop = run.progress, control.should_stop
    portal.login()  # a refused login stops here, before any batch changes state
    summary.reconciled = reconcile_uploading(store, portal, progress)
    if not options.collect_only:
        _deposit_all(store, portal, run, summary, control)
    if should_stop():
        progress("stop requested: reports are collected by the next run")
        return
    deadline = control.monotonic() + options.timeout_s
    while True:
        collected = collect_reports(
            store, portal, run.paths.documents, progress, checkpoint=run.checkpoint
        )
        summary.processed.extend(collected.processed)
        summary.quarantined.extend(collected.quarantined)
        summary.errors.extend(p for p in collected.problems if p not in summary.errors)
        if collected.requeued and not options.collect_only and not should_stop():
            # Corrections whose SUPPRESSION report is OK: declare the corrected records now.
            _redeclare(store, portal, run, summary)
            continue
        if not options.wait or not collected.waiting or should_stop():
            return
        if control.monotonic() >= deadline:
            summary.timed_out = True
            progress(f"time limit reached; still waiting for: {', '.join(collected.waiting)}")
            return
        progress(f"waiting for the CDC's reports: {', '.join(collected.waiting)}")
        what = f"waiting for {len(collected.waiting)} report(s)"
        run.meter.wait(options.poll_interval_s, what, control.sleep)


def _deposit_all(
    store: StorePort, portal: Portal, run: RunContext, summary: RunSummary, control: _Control
) -> None:
    """Upload every built batch, one by one, until done or a stop is requested."""
    built = store.batches(BatchStatus.BUILT)
    if built:
        total_kb = sum(b.size for b in built) / 1000
        run.meter.start("upload", round(total_kb), "kB", f"{len(built)} file(s)")
    try:
        for batch in built:
            if control.should_stop():
                run.progress("stop requested: remaining batches wait for the next run")
                return
            deposit_batch(store, portal, batch, run, summary)
            run.meter.advance("upload", batch.size / 1000)
    finally:
        run.meter.finish("upload")


def _redeclare(store: StorePort, portal: Portal, run: RunContext, summary: RunSummary) -> None:
    """Build and deposit what became pending during this run (corrected records)."""
    built, invalid = build_pending(store, replace(run, meter=NO_METER))
    summary.built += built
    summary.invalid += invalid
    run.checkpoint("after_build")
    for batch in store.batches(BatchStatus.BUILT):
        deposit_batch(store, portal, batch, run, summary)


def deposit_batch(
    store: StorePort,
    portal: Portal,
    batch: Batch,
    run: RunContext,
    summary: RunSummary,
) -> None:
    """Upload one built batch, committing ``uploading`` first and ``uploaded`` once confirmed.

    Raises:
        PortalError: any portal failure except a refusal (the batch stays ``uploading`` and
            the next run reconciles it from the history).
    """
    progress = run.progress
    path = Path(batch.path)
    problem = unsafe_to_send(batch, run.fingerprint)
    if problem:
        retire_batch(store, batch, f"not sent: {problem}")
        summary.invalid.append(batch.name)
        progress(f"NOT deposited: {batch.name}: {problem}; its passages will be rebuilt")
        return
    with store.transaction():
        store.set_batch_status(batch.id, BatchStatus.UPLOADING)
        store.add_event("uploading", f"{batch.name}: upload starting", batch_id=batch.id)
    run.checkpoint("during_upload")
    progress(f"uploading {batch.name} ({batch.passages} passages)")
    attempt = store.start_attempt("deposit", batch_id=batch.id)
    try:
        result = portal.deposit(path)
    except DepositRefused as exc:
        store.finish_attempt(attempt, "refused", message=exc.message, evidence=exc.evidence)
        hold_batch(
            store,
            store.batch(batch.id),
            BatchStatus.FILE_REJECTED,
            f"the portal refused the file: {exc.message}",
        )
        summary.refused.append(batch.name)
        progress(f"REFUSED by the portal: {batch.name}: {exc.message}")
        return
    except PortalError as exc:
        store.finish_attempt(
            attempt, type(exc).__name__, message=exc.message, evidence=exc.evidence
        )
        raise
    run.checkpoint("after_upload")
    how = "uploaded" if result.uploaded else "already in the history (not sent again)"
    with store.transaction():
        store.finish_attempt(attempt, "uploaded" if result.uploaded else "already_present")
        confirm_upload(
            store, store.batch(batch.id), f"{how}; portal status {result.entry.status_label!r}"
        )
    summary.uploaded.append(batch.name)
    progress(f"{batch.name}: {how}")
    if result.entry.receipt_available:
        _fetch_receipt(store, portal, store.batch(batch.id), run.paths, progress)


def unsafe_to_send(batch: Batch, current_fingerprint: str) -> str | None:
    """Why a built file must not be uploaded as it is, or None."""
    path = Path(batch.path)
    if not path.is_file():
        return f"the built file {path} is missing"
    if file_sha256(path) != batch.sha256:
        return f"the built file {path} changed since it was built and validated"
    if batch.fingerprint != current_fingerprint:
        # Built under other rules or another XSD: rebuilt from its passages instead.
        return "built under other build rules or another XSD"
    return None


def _fetch_receipt(
    store: StorePort, portal: Portal, batch: Batch, paths: AgentPaths, progress: Progress
) -> None:
    dest = paths.documents / batch.name.removesuffix(".xml")
    attempt = store.start_attempt("fetch_accuse_reception", batch_id=batch.id)
    try:
        saved = portal.fetch_document(batch.name, DocumentKind.RECEIPT, dest)
    except PortalError as exc:
        # The upload is confirmed; the receipt is fetched again by the next collection.
        store.finish_attempt(
            attempt, type(exc).__name__, message=exc.message, evidence=exc.evidence
        )
        progress(f"{batch.name}: receipt not fetched yet ({exc.message})")
        return
    with store.transaction():
        store.add_document(batch.id, saved.kind.value, saved.path, saved.sha256, saved.size)
        store.finish_attempt(attempt, "saved", message=saved.path.name)
    progress(f"{batch.name}: accusé de réception saved")


def _portal_failed(
    store: StorePort, summary: RunSummary, exc: PortalError, progress: Progress
) -> None:
    kind = type(exc).__name__
    evidence = f" (evidence: {', '.join(str(p) for p in exc.evidence)})" if exc.evidence else ""
    message = f"portal: {kind}: {exc.message}{evidence}"
    store.add_event("portal_error", message, level="error")
    summary.errors.append(message)
    progress(message)


def interruption_line(store: StorePort) -> str:
    """What an interrupted run leaves behind, in one line for the operator."""
    again = "the next run checks the portal history before sending anything again"
    uploading = store.batches(BatchStatus.UPLOADING)
    if uploading:
        names = ", ".join(b.name for b in uploading)
        return f"interrupted during the upload of {names} (state: uploading); {again}"
    built = store.batches(BatchStatus.BUILT)
    if built:
        names = ", ".join(b.name for b in built)
        return f"interrupted: {names} built and not sent (state: built); {again}"
    return f"interrupted: no file was being sent; {again}"


def record_interruption(run: RunContext) -> str:
    """After Ctrl-C: record an ``interrupted`` event and return the line to print."""
    with run.open_store() as store:
        line = interruption_line(store)
        store.add_event("interrupted", line, level="warning")
    return line

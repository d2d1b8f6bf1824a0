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
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from agent.build import build_pending, build_suppressions, fingerprint
from agent.collect import (
    collect_reports,
    confirm_upload,
    hold_batch,
    reconcile_uploading,
    release_due_held,
    release_held,
    retire_batch,
)
from agent.config import Config
from agent.inbox import ImportResult, import_inbox
from agent.lifecycle import BatchStatus
from agent.login_guard import LoginGuard
from agent.meter import NO_METER, Meter
from agent.notify import config_secrets, send_pending
from agent.paths import AgentPaths
from agent.ping import Pinger
from agent.rows import Batch
from agent.store import StorePort, open_store
from agent.testhooks import crash_point
from builders.files import ensure_private_dir, file_sha256
from portal.base import DocumentKind, Portal
from portal.errors import DepositRefused, LoginFailed, PortalError

log = logging.getLogger(__name__)

Progress = Callable[[str], None]
PortalFactory = Callable[[], AbstractContextManager[Portal]]


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


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
    config: Config,
    *,
    portal_factory: PortalFactory,
    options: RunOptions = RunOptions(),
    now: Callable[[], dt.datetime] = _utcnow,
    progress: Progress = log.info,
    should_stop: Callable[[], bool] = lambda: False,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
    login_guard: LoginGuard | None = None,
    meter: Meter = NO_METER,
) -> RunSummary:
    """Run the workflow once (see the module docstring). The caller holds the work lock.

    Args:
        config: the loaded configuration.
        portal_factory: returns a fresh Portal context manager (created in this thread).
        options: collect only, wait for reports, time limit, poll interval.
        now: the clock (aware datetimes).
        progress: receives one human line per step.
        should_stop: polled between batches; True ends the run early (SIGTERM): the
            current upload and its receipt finish, no report is collected.
        sleep: waits between polls (injectable for tests).
        monotonic: measures the time limit.
        login_guard: refuses to log in again with a password the portal refused; None
            only in tests that do not exercise it.
        meter: shows the progress of import, build, upload and waits (a terminal's bars).

    Returns:
        The summary; failures are in ``errors``, never raised (except programming errors).
    """
    pinger = Pinger(config.notify.ping_url, config_secrets(config))
    pinger.start()
    try:
        summary = _run(
            config,
            portal_factory,
            options,
            now,
            _Control(progress, should_stop, sleep, monotonic, now, meter),
            login_guard,
        )
    except BaseException:
        pinger.finish(ok=False, summary="the run stopped on an unexpected error")
        raise
    pinger.finish(ok=summary.ok, summary=summary.line())
    crash_point("before_notify")
    send_pending(config, now=now)
    return summary


def _run(
    config: Config,
    portal_factory: PortalFactory,
    options: RunOptions,
    now: Callable[[], dt.datetime],
    control: _Control,
    login_guard: LoginGuard | None,
) -> RunSummary:
    progress = control.progress
    paths = AgentPaths.from_config(config)
    ensure_private_dir(paths.data_dir)
    summary = RunSummary()
    what = "collect" if options.collect_only else "deposit run"
    with open_store(config, now=now) as store:
        store.add_event("run_started", f"{what} (trigger: {options.trigger})")
        if not options.collect_only:
            _prepare(store, config, summary, options, now=now, control=control)
        if _portal_needed(store, collect_only=options.collect_only):
            try:
                if login_guard is not None:
                    login_guard.check()  # a paused login ends the run before Chromium starts
                with portal_factory() as portal:
                    _with_portal(store, portal, config, summary, options, control)
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


def _prepare(
    store: StorePort,
    config: Config,
    summary: RunSummary,
    options: RunOptions,
    *,
    now: Callable[[], dt.datetime],
    control: _Control,
) -> None:
    progress = control.progress
    current = fingerprint(config)
    summary.released = release_held(store, current, progress)
    if options.release_due is not None:
        summary.released += release_due_held(store, options.release_due, progress)
    for batch in store.batches(BatchStatus.BUILT):
        problem = unsafe_to_send(batch, current)
        if problem:
            summary.released += retire_batch(store, batch, f"not sent: {problem}")
            progress(f"{batch.name}: not sent ({problem}); its passages will be rebuilt")
    summary.imported = import_inbox(store, config, now=now, progress=progress, meter=control.meter)
    crash_point("after_import")
    try:
        _build(
            store,
            config,
            summary,
            now=now,
            fingerprint_value=current,
            progress=progress,
            meter=control.meter,
        )
    except ValueError as exc:
        # A record that cannot be written in the target schema version: nothing was built.
        message = f"build failed, nothing built: {exc}"
        store.add_event("build_failed", message, level="error")
        summary.errors.append(message)
        progress(message)
    crash_point("after_build")


def _build(
    store: StorePort,
    config: Config,
    summary: RunSummary,
    *,
    now: Callable[[], dt.datetime],
    fingerprint_value: str,
    progress: Progress,
    meter: Meter,
) -> None:
    """SUPPRESSION files first (withdrawals and corrections), then the pending passages.

    Raises:
        ValueError: a record cannot be written in the target schema version.
    """
    built, invalid = build_suppressions(
        store, config, now=now, fingerprint_value=fingerprint_value, progress=progress
    )
    summary.built += built
    summary.invalid += invalid
    built, invalid = build_pending(
        store, config, now=now, fingerprint_value=fingerprint_value, progress=progress, meter=meter
    )
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
    progress: Progress
    should_stop: Callable[[], bool]
    sleep: Callable[[float], None]
    monotonic: Callable[[], float]
    now: Callable[[], dt.datetime] = _utcnow
    meter: Meter = NO_METER


def _with_portal(
    store: StorePort,
    portal: Portal,
    config: Config,
    summary: RunSummary,
    options: RunOptions,
    control: _Control,
) -> None:
    paths = AgentPaths.from_config(config)
    progress, should_stop = control.progress, control.should_stop
    portal.login()  # a refused login stops here, before any batch changes state
    summary.reconciled = reconcile_uploading(store, portal, progress)
    if not options.collect_only:
        _deposit_all(store, portal, config, summary, control)
    if should_stop():
        progress("stop requested: reports are collected by the next run")
        return
    deadline = control.monotonic() + options.timeout_s
    while True:
        collected = collect_reports(store, portal, paths.documents, progress)
        summary.processed.extend(collected.processed)
        summary.quarantined.extend(collected.quarantined)
        summary.errors.extend(p for p in collected.problems if p not in summary.errors)
        if collected.requeued and not options.collect_only and not should_stop():
            # Corrections whose SUPPRESSION report is OK: declare the corrected records now.
            _redeclare(store, portal, config, summary, control)
            continue
        if not options.wait or not collected.waiting or should_stop():
            return
        if control.monotonic() >= deadline:
            summary.timed_out = True
            progress(f"time limit reached; still waiting for: {', '.join(collected.waiting)}")
            return
        progress(f"waiting for the CDC's reports: {', '.join(collected.waiting)}")
        what = f"waiting for {len(collected.waiting)} report(s)"
        control.meter.wait(options.poll_interval_s, what, control.sleep)


def _deposit_all(
    store: StorePort, portal: Portal, config: Config, summary: RunSummary, control: _Control
) -> None:
    """Upload every built batch, one by one, until done or a stop is requested."""
    paths = AgentPaths.from_config(config)
    current = fingerprint(config)
    built = store.batches(BatchStatus.BUILT)
    if built:
        total_kb = sum(b.size for b in built) / 1000
        control.meter.start("upload", round(total_kb), "kB", f"{len(built)} file(s)")
    try:
        for batch in built:
            if control.should_stop():
                control.progress("stop requested: remaining batches wait for the next run")
                return
            deposit_batch(store, portal, batch, paths, current, summary, control.progress)
            control.meter.advance("upload", batch.size / 1000)
    finally:
        control.meter.finish("upload")


def _redeclare(
    store: StorePort, portal: Portal, config: Config, summary: RunSummary, control: _Control
) -> None:
    """Build and deposit what became pending during this run (corrected records)."""
    paths = AgentPaths.from_config(config)
    current = fingerprint(config)
    progress = control.progress
    built, invalid = build_pending(
        store, config, now=control.now, fingerprint_value=current, progress=progress
    )
    summary.built += built
    summary.invalid += invalid
    crash_point("after_build")
    for batch in store.batches(BatchStatus.BUILT):
        deposit_batch(store, portal, batch, paths, current, summary, progress)


def deposit_batch(
    store: StorePort,
    portal: Portal,
    batch: Batch,
    paths: AgentPaths,
    current_fingerprint: str,
    summary: RunSummary,
    progress: Progress,
) -> None:
    """Upload one built batch, committing ``uploading`` first and ``uploaded`` once confirmed.

    Raises:
        PortalError: any portal failure except a refusal (the batch stays ``uploading`` and
            the next run reconciles it from the history).
    """
    path = Path(batch.path)
    problem = unsafe_to_send(batch, current_fingerprint)
    if problem:
        retire_batch(store, batch, f"not sent: {problem}")
        summary.invalid.append(batch.name)
        progress(f"NOT deposited: {batch.name}: {problem}; its passages will be rebuilt")
        return
    with store.transaction():
        store.set_batch_status(batch.id, BatchStatus.UPLOADING)
        store.add_event("uploading", f"{batch.name}: upload starting", batch_id=batch.id)
    crash_point("during_upload")
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
    crash_point("after_upload")
    how = "uploaded" if result.uploaded else "already in the history (not sent again)"
    with store.transaction():
        store.finish_attempt(attempt, "uploaded" if result.uploaded else "already_present")
        confirm_upload(
            store, store.batch(batch.id), f"{how}; portal status {result.entry.status_label!r}"
        )
    summary.uploaded.append(batch.name)
    progress(f"{batch.name}: {how}")
    if result.entry.receipt_available:
        _fetch_receipt(store, portal, store.batch(batch.id), paths, progress)


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


def record_interruption(config: Config) -> str:
    """After Ctrl-C: record an ``interrupted`` event and return the line to print."""
    with open_store(config) as store:
        line = interruption_line(store)
        store.add_event("interrupted", line, level="warning")
    return line

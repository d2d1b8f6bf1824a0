"""Background processing of received files: control, then simulated nirisation.

A worker thread picks deposits still "En cours de traitement" once the processing delay has
passed since their deposit (the delay in force at that moment, so tests can shorten it), and
processes each: decisions are made while only reading the database (accepted ids go to a
scratch set on disk, ``scratch.IdSet``), then the report is written and the accepted passages
and the status are stored together in one short transaction. A crash leaves the deposit
pending; it is processed again on the next start (any half-written report is replaced).
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

from builders.cdc import messages
from portal.sandbox.certifications import Certifications
from portal.sandbox.control import control_errors
from portal.sandbox.files import private_dir
from portal.sandbox.fluxscan import FluxHeader, Passage, iter_passages, read_header
from portal.sandbox.labels import Status
from portal.sandbox.rapport import PassagesReport, write_error_report
from portal.sandbox.registry import Registry
from portal.sandbox.rows import Deposit
from portal.sandbox.scratch import IdSet
from portal.sandbox.store import Store

log = logging.getLogger(__name__)

# The replica's own text: no public source says what the CDC answers when a SUPPRESSION
# names a passage it does not hold.
SUPPRESSION_UNKNOWN = (
    "Le passage certification avec le bcr émetteur {bcr} et l'id technique partenaire "
    "{id_technique} n'existe pas en base"
)
RETRY_AFTER_S = 30.0


def _dates_reversed(passage: Passage) -> bool:
    try:
        start = dt.date.fromisoformat(passage.date_debut_validite or "")
        end = dt.date.fromisoformat(passage.date_fin_validite or "")
    except ValueError:
        return False
    return end < start


def _certification(known: list[tuple[str, str]], index: int) -> tuple[str, str]:
    return known[index] if 0 <= index < len(known) else ("", "")


class Processor:
    """Processes one deposit."""

    def __init__(self, store: Store, data_dir: Path, xsd: Callable[[], Path | None]) -> None:
        self.store = store
        self.data_dir = data_dir
        self.xsd = xsd

    def process(self, deposit: Deposit) -> Status:
        """Control the file, match its passages, write the report and record the outcome."""
        source = self.data_dir / deposit.stored_path
        folder = private_dir(self.data_dir / "reports")
        target = folder / Path(deposit.stored_path).name
        target.unlink(missing_ok=True)  # left by an interrupted run
        relative = str(target.relative_to(self.data_dir))
        now = dt.datetime.now(dt.UTC).isoformat()
        errors = control_errors(source, self.xsd())
        if errors:
            write_error_report(
                target,
                nom_fichier=deposit.file_name,
                id_traitement=deposit.id_traitement,
                errors=errors,
            )
            with self.store.connect() as db:
                self.store.mark_processed(
                    db,
                    deposit.id,
                    status=Status.PROCESSED_WITH_ERRORS,
                    report_path=relative,
                    processed_at=now,
                )
            return Status.PROCESSED_WITH_ERRORS
        return self._nirisation(deposit, source, target, relative, now)

    def _nirisation(
        self, deposit: Deposit, source: Path, target: Path, relative: str, now: str
    ) -> Status:
        header = read_header(source)
        bcr = header.emitter_bcr
        removing = header.action == "SUPPRESSION"
        with (
            IdSet(self.data_dir) as changed,
            PassagesReport(
                target,
                nom_fichier=deposit.file_name,
                id_flux=header.id_flux or "",
                id_traitement=deposit.id_traitement,
            ) as report,
        ):
            with self.store.connect() as db:  # reads only: no write lock while reading
                self._outcomes(db, source, header, changed, report)
            report.write()
            status = Status.PROCESSED_WITH_ERRORS if report.ko_count else Status.PROCESSED
            with self.store.connect() as db:  # one short write transaction
                for idt in changed:
                    if removing:
                        self.store.remove_passage(db, bcr, idt)
                    else:
                        self.store.accept_passage(db, bcr, idt, deposit.id)
                self.store.mark_processed(
                    db, deposit.id, status=status, report_path=relative, processed_at=now
                )
        log.info(
            "sandbox deposit %s processed: %d OK, %d KO",
            deposit.id,
            report.ok_count,
            report.ko_count,
        )
        return status

    def _outcomes(
        self,
        db: sqlite3.Connection,
        source: Path,
        header: FluxHeader,
        changed: IdSet,
        report: PassagesReport,
    ) -> None:
        """Decide each passage; ``changed`` collects the ids to store (or to delete)."""
        registry = Registry.load(self.data_dir)
        certifications = Certifications.load(self.data_dir)
        bcr = header.emitter_bcr
        for passage in iter_passages(source):
            idt = passage.id_technique
            if header.action == "SUPPRESSION":
                if self.store.has_passage(db, bcr, idt) and changed.add(idt):
                    report.ok(idt)
                else:
                    report.ko(idt, SUPPRESSION_UNKNOWN.format(bcr=bcr, id_technique=idt))
                continue
            type_, code = _certification(header.certifications, passage.certification)
            message: str | None
            if idt in changed or self.store.has_passage(db, bcr, idt):
                message = messages.duplicate_message(bcr, idt)
            elif not certifications.accepts(type_, code):
                message = messages.certification_ko_message(bcr, idt)
            elif _dates_reversed(passage):
                message = messages.validity_date_message(bcr, idt)
            else:
                message = registry.match(passage.birth_name)
            if message is None:
                changed.add(idt)
                report.ok(idt)
            else:
                report.ko(idt, message)


class Worker:
    """The background thread running :class:`Processor` on due deposits."""

    def __init__(
        self, store: Store, processor: Processor, delay: Callable[[], float], poll_s: float = 1.0
    ) -> None:
        self.store = store
        self.processor = processor
        self.delay = delay
        self.poll_s = poll_s
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._retry_at: dict[int, float] = {}
        self._thread = threading.Thread(target=self._run, name="sandbox-worker", daemon=True)

    def start(self) -> None:
        """Start the thread (pending deposits from a previous run are picked up)."""
        self._thread.start()

    def wake(self) -> None:
        """Look at pending deposits now (a new one arrived, or the delay changed)."""
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop after the current deposit."""
        self._stopping.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def run_once(self) -> float:
        """Process every due deposit; returns seconds until the next one is due."""
        wait = self.poll_s
        for deposit in self.store.pending():
            if self._stopping.is_set():
                break
            now = time.time()
            due = dt.datetime.fromisoformat(deposit.deposited_at).timestamp() + self.delay()
            due = max(due, self._retry_at.get(deposit.id, 0.0))
            if due > now:
                wait = min(wait, due - now)
                continue
            try:
                self.processor.process(deposit)
            except Exception:  # one bad deposit must not stop the worker; logged, retried later
                log.exception("sandbox deposit %s failed; retried later", deposit.id)
                self._retry_at[deposit.id] = time.time() + RETRY_AFTER_S
        return max(wait, 0.01)

    def _run(self) -> None:
        while not self._stopping.is_set():
            wait = self.run_once()
            self._wake.wait(wait)
            self._wake.clear()

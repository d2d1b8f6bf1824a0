"""The agent's store as a port: what the rest of the agent may ask of it, in its own terms.

Every backend (:mod:`agent.store.sqlite`, :mod:`agent.store.postgres`) implements
:class:`Store`; the contract suite ``tests/contract/store/`` runs the same tests against each
one. Methods speak of
passages, batches, attempts, documents and events, never of tables. Status changes are
checked against :mod:`agent.lifecycle` inside the transaction that writes them, and a batch
move ("these passages of batch B go from uploaded to deposited") is one set-based statement,
never one query per passage, so it stays fast on a store of a million passages and over a
network to a database server.

Personal data: passages keep their validated record (``record_json``) to build the XML later;
a backend keeps it owner-only (a 0600 file, or a database only the agent's role can read).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self

import psycopg

from agent.lifecycle import BatchAction, BatchStatus, PassageStatus
from agent.rows import (
    Attempt,
    Batch,
    BatchPassage,
    Document,
    Event,
    LoginPause,
    NewPassage,
    Notice,
    Passage,
    SourceFile,
)

#: Passage statuses that still need a successful deposit (for deadlines).
OPEN_STATUSES = (
    PassageStatus.INVALID,
    PassageStatus.PENDING,
    PassageStatus.BATCHED,
    PassageStatus.REJECTED,
)


class StoreError(Exception):
    """The store cannot be opened or a requested row does not exist."""


#: What the backends' drivers raise when the database itself fails (not the caller's input).
DATABASE_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error, psycopg.Error)


class Store(Protocol):
    """The agent's store. Open one with :func:`agent.store.open_store`; close it after use."""

    def __enter__(self) -> Self:
        """The store itself (closed on exit)."""
        ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the store."""
        ...

    def close(self) -> None:
        """Close the connection."""
        ...

    def transaction(self) -> AbstractContextManager[None]:
        """One write transaction (re-entrant: inner calls join the outer one)."""
        ...

    def migrations(self) -> list[tuple[int, str]]:
        """Applied migrations as (version, name)."""
        ...

    def add_event(
        self,
        kind: str,
        message: str,
        *,
        level: str = "info",
        batch_id: int | None = None,
        passage_id: int | None = None,
    ) -> None:
        """Append one event to the log."""
        ...

    def events(self, *, limit: int = 50, batch_id: int | None = None) -> list[Event]:
        """The latest events, oldest first (optionally for one batch)."""
        ...

    def source_by_sha(self, sha256: str) -> SourceFile | None:
        """The imported file with this content hash, if any."""
        ...

    def add_source(self, sha256: str, name: str) -> int:
        """Record a source file being imported; counts are set by :meth:`finish_source`."""
        ...

    def finish_source(
        self,
        source_id: int,
        *,
        rows: int,
        valid: int,
        invalid: int,
        skipped: int,
        report: str,
        unidentified: int = 0,
        moved_to: str = "",
    ) -> None:
        """Set the counts, the error-report path and the new place of an imported file."""
        ...

    def source(self, source_id: int) -> SourceFile | None:
        """The imported file with this id, if any."""
        ...

    def passage_source(self, passage_id: int) -> tuple[int, int] | None:
        """(source file id, spreadsheet row) of the row a passage was last imported from."""
        ...

    def sources(self, *, limit: int = 20) -> list[SourceFile]:
        """The latest imported files, oldest first."""
        ...

    def add_row_error(
        self, source_id: int, row: int, field: str, value: str | None, message: str
    ) -> None:
        """Keep one row error of an imported file."""
        ...

    def passage(self, emitter: str, id_technique: str) -> Passage | None:
        """The passage with this emitter BCR and idTechnique, if known."""
        ...

    def passages_with_id_technique(self, id_technique: str) -> list[Passage]:
        """Every passage with this idTechnique (one per emitter BCR)."""
        ...

    def passage_by_id(self, passage_id: int) -> Passage:
        """The passage with this row id."""
        ...

    def put_passage(
        self, new: NewPassage, *, status: PassageStatus, reasons: Sequence[str] = ()
    ) -> int:
        """Insert a passage, or replace the record of an existing one (status checked)."""
        ...

    def add_passages(self, news: Sequence[NewPassage]) -> None:
        """Insert new pending passages with their records, in a few statements whatever
        their number; StoreError (nothing inserted) when one of them exists already."""
        ...

    def passage_keys(self, emitter: str, id_techniques: Sequence[str]) -> set[str]:
        """Which of these idTechniques of the emitter BCR ``emitter`` have a passage."""
        ...

    def holder_keys_in_use(self, emitter: str, keys: Sequence[int]) -> set[int]:
        """Which of these holder keys a passage of the emitter BCR ``emitter`` has
        (withdrawn passages left out)."""
        ...

    def set_passage_status(
        self,
        passage_id: int,
        status: PassageStatus,
        *,
        message: str | None = None,
        klass: str | None = None,
        hint: str | None = None,
        reasons: Sequence[str] | None = None,
    ) -> None:
        """Move one passage (checked) and set its CDC message, class and hint."""
        ...

    def request_withdrawal(self, passage_id: int, *, reason: str | None = None) -> None:
        """Move a passage to ``withdrawing`` (checked): its SUPPRESSION is built next."""
        ...

    def hold_correction(
        self, passage_id: int, record_json: str, record_sha256: str, fields: Sequence[str]
    ) -> None:
        """Keep a corrected record for a passage the CDC holds, until its SUPPRESSION is OK."""
        ...

    def correction(self, passage_id: int) -> tuple[str, str] | None:
        """(record JSON, SHA-256) of the correction held for a passage, if any."""
        ...

    def iter_withdrawing(self) -> Iterator[tuple[int, str, str]]:
        """(passage id, idTechnique, record JSON) of passages whose SUPPRESSION is to build."""
        ...

    def iter_pending(self) -> Iterator[tuple[int, str, bytes]]:
        """(passage id, idTechnique, record JSON in UTF-8) of pending passages, in build-group
        order."""
        ...

    def passages(
        self, *, status: PassageStatus | None = None, batch_id: int | None = None
    ) -> list[Passage]:
        """Passages filtered by status and/or current batch, in id order."""
        ...

    def record_json(self, passage_id: int) -> str | None:
        """The validated record of a passage (personal data: for building and re-export)."""
        ...

    def passage_counts(self, *, batch_id: int | None = None) -> dict[str, int]:
        """Number of passages per status (optionally among those that were in a batch)."""
        ...

    def open_passages_due(self, before: dt.date) -> list[Passage]:
        """Passages not yet deposited successfully whose deadline is on or before ``before``."""
        ...

    def pending_due_count(self, before: dt.date) -> int:
        """Pending passages whose deadline is on or before ``before``."""
        ...

    def was_uploaded_before(self, passage_id: int, batch_id: int) -> bool:
        """Whether this passage was in another CREATION batch that reached the portal since
        its last SUPPRESSION (what the CDC deleted does not count)."""
        ...

    def add_batch(
        self,
        *,
        name: str,
        path: str,
        sha256: str,
        size: int,
        schema_version: str,
        id_flux: str,
        fingerprint: str,
        passage_ids: Sequence[int],
        action: BatchAction = BatchAction.CREATION,
    ) -> int:
        """Record a built file and move its passages to batched, in one transaction."""
        ...

    def move_passages(
        self,
        passage_ids: Sequence[int],
        to: PassageStatus,
        *,
        message: str | None = None,
        klass: str | None = None,
        hint: str | None = None,
        reasons: Sequence[str] | None = None,
    ) -> int:
        """Move these passages (checked) as :meth:`set_passage_status` does, in one statement;
        how many moved (raises :class:`StoreError` when an id names no passage)."""
        ...

    def move_batch(
        self,
        batch_id: int,
        waiting: Sequence[PassageStatus],
        to: PassageStatus,
        *,
        message: str | None = None,
        klass: str | None = None,
        hint: str | None = None,
        reasons: Sequence[str] | None = None,
        only_class: str | None = None,
    ) -> int:
        """The passages of batch ``batch_id`` in one of the ``waiting`` statuses (and of CDC
        class ``only_class``, when given) go to ``to`` in one statement; how many moved."""
        ...

    def withdraw_batch(self, batch_id: int, waiting: PassageStatus, *, only_class: str) -> int:
        """:meth:`request_withdrawal` for the passages of a batch in ``waiting`` and of CDC
        class ``only_class``, in one statement; how many moved."""
        ...

    def batch_roster(self, batch_id: int) -> dict[str, BatchPassage]:
        """idTechnique -> the passage, for every passage that was put in this batch (even if
        it moved to a later batch since: ``current`` False), in one read."""
        ...

    def corrections_held(self) -> list[Passage]:
        """Accepted passages with a corrected record waiting for their SUPPRESSION."""
        ...

    def batch_passage_counts(self) -> dict[int, dict[str, int]]:
        """Per batch, the number of passages that were in it, per current status."""
        ...

    def batch(self, batch_id: int) -> Batch:
        """The batch with this id."""
        ...

    def batch_by_name(self, name: str) -> Batch | None:
        """The batch whose file has this name, if any."""
        ...

    def batches(self, *statuses: BatchStatus) -> list[Batch]:
        """Batches (all, or those in the given statuses), oldest first."""
        ...

    def set_batch_status(
        self,
        batch_id: int,
        status: BatchStatus,
        *,
        message: str | None = None,
        accepted: int | None = None,
        rejected: int | None = None,
    ) -> None:
        """Move a batch (checked) and optionally set its message and counts."""
        ...

    def mark_released(self, batch_id: int) -> None:
        """Note that a failed batch's held passages were released."""
        ...

    def start_attempt(self, kind: str, *, batch_id: int | None = None) -> int:
        """Record the start of a portal attempt; returns its id."""
        ...

    def finish_attempt(
        self, attempt_id: int, outcome: str, *, message: str = "", evidence: Sequence[Path] = ()
    ) -> None:
        """Record how an attempt ended, with its evidence files."""
        ...

    def attempts(self, *, batch_id: int | None = None) -> list[Attempt]:
        """Attempts, oldest first (optionally for one batch)."""
        ...

    def add_document(self, batch_id: int, kind: str, path: Path, sha256: str, size: int) -> bool:
        """Record a saved receipt/report; False when the same content was already recorded."""
        ...

    def documents(self, batch_id: int) -> list[Document]:
        """Documents saved for a batch, oldest first."""
        ...

    def last_event_id(self, *, before: str | None = None) -> int:
        """The id of the latest event (0 when none), optionally among those before a time."""
        ...

    def events_after(self, event_id: int, *, limit: int = 500) -> list[Event]:
        """Events with an id above ``event_id``, oldest first (the outbox's next items)."""
        ...

    def event_by_id(self, event_id: int) -> Event | None:
        """One event of the log, if it exists."""
        ...

    def last_event(
        self, *kinds: str, level: str | None = None, before_id: int | None = None
    ) -> Event | None:
        """The latest event of one of these kinds (and level, and before an id, when given)."""
        ...

    def events_between(self, first_id: int, last_id: int) -> list[Event]:
        """Events whose id is in [first_id, last_id], oldest first."""
        ...

    def notify_cursor(self, destination: str) -> int | None:
        """The last event id given to a destination; None for a destination never seen."""
        ...

    def set_notify_cursor(self, destination: str, event_id: int, *, error: str | None) -> None:
        """Move a destination's cursor; ``error`` records why its next event failed."""
        ...

    def notify_cursors(self) -> list[dict[str, Any]]:
        """Every destination's cursor, failures in a row and last error."""
        ...

    def set_state(self, key: str, value: str) -> None:
        """Set one fact about the agent (e.g. the service heartbeat)."""
        ...

    def state(self, key: str) -> str | None:
        """One fact about the agent, if set."""
        ...

    def batch_passages(self, batch_id: int, status: PassageStatus) -> list[Passage]:
        """Passages that were in a batch (even if it is no longer their current one)."""
        ...

    def now(self) -> dt.datetime:
        """The store's clock (aware)."""
        ...

    def sync_notices(self, current: Sequence[Notice]) -> list[Notice]:
        """Keep the notices of the entries the inbox holds now; return the ones not seen before."""
        ...

    def notices(self) -> list[Notice]:
        """The inbox entries last seen that are not imported, by name."""
        ...

    def set_holder_key(self, passage_id: int, key: int) -> None:
        """Record a valid passage's holder key (``builders.exports.holders``)."""
        ...

    def same_holder(self, emitter: str, key: int, id_technique: str) -> tuple[str, str] | None:
        """(idTechnique, status) of a passage of the same holder and certification under
        another idTechnique (withdrawn ones left out), or None."""
        ...

    def undeposited_due_count(self, before: dt.date, *, held_class: str) -> int:
        """Passages due on or before ``before`` that the CDC has not received."""
        ...

    def mark_late_in_batch(self, batch_id: int, today: dt.date) -> list[Passage]:
        """Mark late the deposited passages of a batch whose deadline is before ``today``."""
        ...

    def late_passages(self) -> list[Passage]:
        """Passages declared after their deadline, oldest declaration first."""
        ...

    def login_pause(self, base_url: str, username: str) -> LoginPause | None:
        """The refused password's fingerprint for this account, if logins are paused."""
        ...

    def set_login_pause(
        self, base_url: str, username: str, *, salt: bytes, digest: bytes, message: str
    ) -> LoginPause:
        """Pause logins of this account with the refused password's fingerprint."""
        ...

    def clear_login_pause(self, base_url: str, username: str) -> bool:
        """Lift the pause; False when there was none."""
        ...

    def files_awaiting_correction(self) -> set[str]:
        """Where the imported files lie whose invalid rows still wait for a correction."""
        ...

    def purge_events(self, before: dt.datetime) -> int:
        """Delete events older than ``before`` (the only deletion the log allows)."""
        ...

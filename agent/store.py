"""The agent's store: the only module that runs SQL.

SQLite in the data directory (WAL mode), owner-only because it holds personal data (the
validated records needed to build the XML). Numbered migrations from
:mod:`agent.store_schema` are applied on open, each in one transaction with the row that
records it. Every method is written in the agent's terms (passages, batches, attempts,
documents, events), so another backend (PostgreSQL) can implement the same methods without
touching the rest. Status changes are checked against :mod:`agent.lifecycle` inside the
transaction that writes them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from agent.lifecycle import BatchStatus, PassageStatus, check_batch, check_passage
from agent.rows import Attempt, Batch, Document, Event, NewPassage, Passage, SourceFile
from agent.store_schema import MIGRATIONS

DB_NAME = "agent.sqlite3"
#: Passage statuses that still need a successful deposit (for deadlines).
OPEN_STATUSES = (
    PassageStatus.INVALID,
    PassageStatus.PENDING,
    PassageStatus.BATCHED,
    PassageStatus.REJECTED,
)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _date(text: str) -> dt.date | None:
    """A stored date; "" is unknown (an invalid row whose date could not be read)."""
    return dt.date.fromisoformat(text) if text else None


class StoreError(Exception):
    """The store cannot be opened or a requested row does not exist."""


class Store:
    """A SQLite store. Use :meth:`open`; one instance per thread (sqlite3 rule)."""

    def __init__(self, conn: sqlite3.Connection, *, now: Callable[[], dt.datetime]) -> None:
        self._conn = conn
        self._now = now
        self._depth = 0

    @classmethod
    def open(cls, path: Path, *, now: Callable[[], dt.datetime] = _utcnow) -> Store:
        """Open (creating it owner-only if needed) the database at ``path`` and migrate it.

        Raises:
            StoreError: the file is not a usable database.
        """
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not path.exists():
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        path.chmod(0o600)
        try:
            conn = sqlite3.connect(path, isolation_level=None, timeout=30.0)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA synchronous=NORMAL")
            store = cls(conn, now=now)
            store._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path}: cannot open the store: {exc}") from exc
        return store

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- plumbing ------------------------------------------------------------------------

    def _stamp(self) -> str:
        return self._now().astimezone(dt.UTC).isoformat(timespec="seconds")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction (re-entrant: inner calls join the outer one)."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._conn.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        else:
            self._conn.execute("COMMIT")
        finally:
            self._depth = 0

    def _one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self._conn.execute(sql, params).fetchone()
        return row

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        return list(self._conn.execute(sql, params).fetchall())

    def _migrate(self) -> None:
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        done = {row[0] for row in self._all("SELECT version FROM schema_migrations")}
        for version, (name, statements) in enumerate(MIGRATIONS, start=1):
            if version in done:
                continue
            with self.transaction():
                for statement in statements:
                    self._conn.execute(statement)
                self._conn.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                    (version, name, self._stamp()),
                )

    def migrations(self) -> list[tuple[int, str]]:
        """Applied migrations as (version, name)."""
        return [(r[0], r[1]) for r in self._all("SELECT version, name FROM schema_migrations")]

    # -- events --------------------------------------------------------------------------

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
        with self.transaction():
            self._conn.execute(
                "INSERT INTO events (at, level, kind, batch_id, passage_id, message) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (self._stamp(), level, kind, batch_id, passage_id, message),
            )

    def events(self, *, limit: int = 50, batch_id: int | None = None) -> list[Event]:
        """The latest events, oldest first (optionally for one batch)."""
        where, params = ("WHERE batch_id = ?", [batch_id]) if batch_id is not None else ("", [])
        rows = self._all(
            f"SELECT * FROM (SELECT * FROM events {where} ORDER BY id DESC LIMIT ?) "  # noqa: S608 - fixed fragments
            "ORDER BY id",
            [*params, limit],
        )
        return [Event(**dict(r)) for r in rows]

    # -- source files --------------------------------------------------------------------

    def source_by_sha(self, sha256: str) -> SourceFile | None:
        """The imported file with this content hash, if any."""
        row = self._one("SELECT * FROM source_files WHERE sha256 = ?", (sha256,))
        return SourceFile(**dict(row)) if row else None

    def add_source(self, sha256: str, name: str) -> int:
        """Record a source file being imported; counts are set by :meth:`finish_source`."""
        with self.transaction():
            cur = self._conn.execute(
                "INSERT INTO source_files (sha256, name, imported_at, rows, valid, invalid, "
                "skipped) VALUES (?, ?, ?, 0, 0, 0, 0)",
                (sha256, name, self._stamp()),
            )
        return int(cur.lastrowid or 0)

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
        with self.transaction():
            self._conn.execute(
                "UPDATE source_files SET rows=?, valid=?, invalid=?, skipped=?, error_report=?, "
                "unidentified=?, moved_to=? WHERE id=?",
                (
                    rows,
                    valid,
                    invalid,
                    skipped,
                    report or None,
                    unidentified,
                    moved_to or None,
                    source_id,
                ),
            )

    def source(self, source_id: int) -> SourceFile | None:
        """The imported file with this id, if any."""
        row = self._one("SELECT * FROM source_files WHERE id = ?", (source_id,))
        return SourceFile(**dict(row)) if row else None

    def passage_source(self, passage_id: int) -> tuple[int, int] | None:
        """(source file id, spreadsheet row) of the row a passage was last imported from."""
        row = self._one(
            "SELECT source_file_id, source_row FROM passages WHERE id = ?", (passage_id,)
        )
        if row is None or row[0] is None or row[1] is None:
            return None
        return int(row[0]), int(row[1])

    def sources(self, *, limit: int = 20) -> list[SourceFile]:
        """The latest imported files, oldest first."""
        rows = self._all(
            "SELECT * FROM (SELECT * FROM source_files ORDER BY id DESC LIMIT ?) ORDER BY id",
            (limit,),
        )
        return [SourceFile(**dict(r)) for r in rows]

    def add_row_error(
        self, source_id: int, row: int, field: str, value: str | None, message: str
    ) -> None:
        """Keep one row error of an imported file."""
        with self.transaction():
            self._conn.execute(
                "INSERT INTO row_errors (source_file_id, row, field, value, message) "
                "VALUES (?, ?, ?, ?, ?)",
                (source_id, row, field, value, message),
            )

    # -- passages ------------------------------------------------------------------------

    def _passage(self, row: sqlite3.Row) -> Passage:
        return Passage(
            id=row["id"],
            emitter=row["emitter"],
            id_technique=row["id_technique"],
            certification_type=row["certification_type"],
            certification_code=row["certification_code"],
            holder=row["holder"],
            delivery_date=_date(row["delivery_date"]),
            deadline=_date(row["deadline"]),
            status=PassageStatus(row["status"]),
            reasons=tuple(json.loads(row["reasons"] or "[]")),
            batch_id=row["batch_id"],
            cdc_message=row["cdc_message"],
            cdc_class=row["cdc_class"],
            hint=row["hint"],
            record_sha256=row["record_sha256"],
            updated_at=row["updated_at"],
        )

    def passage(self, emitter: str, id_technique: str) -> Passage | None:
        """The passage with this emitter BCR and idTechnique, if known."""
        row = self._one(
            "SELECT * FROM passages WHERE emitter = ? AND id_technique = ?", (emitter, id_technique)
        )
        return self._passage(row) if row else None

    def batch_id_techniques(self, batch_id: int) -> set[str]:
        """The idTechnique of every passage that was put in this batch (even if moved since)."""
        rows = self._all(
            "SELECT p.id_technique FROM passages p JOIN passage_batches pb "
            "ON pb.passage_id = p.id WHERE pb.batch_id = ?",
            (batch_id,),
        )
        return {r[0] for r in rows}

    def passages_with_id_technique(self, id_technique: str) -> list[Passage]:
        """Every passage with this idTechnique (one per emitter BCR)."""
        rows = self._all(
            "SELECT * FROM passages WHERE id_technique = ? ORDER BY id", (id_technique,)
        )
        return [self._passage(r) for r in rows]

    def passage_by_id(self, passage_id: int) -> Passage:
        """The passage with this row id.

        Raises:
            StoreError: no such passage.
        """
        row = self._one("SELECT * FROM passages WHERE id = ?", (passage_id,))
        if row is None:
            raise StoreError(f"no passage with id {passage_id}")
        return self._passage(row)

    def put_passage(
        self, new: NewPassage, *, status: PassageStatus, reasons: Sequence[str] = ()
    ) -> int:
        """Insert a passage, or replace the record of an existing one (status checked).

        Returns:
            The passage's row id.
        """
        with self.transaction():
            old = self.passage(new.emitter, new.id_technique)
            values = (
                new.certificateur,
                new.contrat,
                new.certification_type,
                new.certification_code,
                new.holder,
                new.delivery_date.isoformat() if new.delivery_date else "",
                new.deadline.isoformat() if new.deadline else "",
                status.value,
                json.dumps(list(reasons), ensure_ascii=False) if reasons else None,
                new.record_json or None,
                new.record_sha256 or None,
                new.source_file_id,
                new.source_row,
                self._stamp(),
            )
            if old is None:
                cur = self._conn.execute(
                    "INSERT INTO passages (certificateur, contrat, certification_type, "
                    "certification_code, holder, delivery_date, deadline, status, reasons, "
                    "record_json, record_sha256, source_file_id, source_row, updated_at, "
                    "emitter, id_technique, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (*values, new.emitter, new.id_technique, self._stamp()),
                )
                return int(cur.lastrowid or 0)
            check_passage(old.status, status, who=new.id_technique)
            self._conn.execute(
                "UPDATE passages SET certificateur=?, contrat=?, certification_type=?, "
                "certification_code=?, holder=?, delivery_date=?, deadline=?, status=?, "
                "reasons=?, record_json=?, record_sha256=?, source_file_id=?, source_row=?, "
                "updated_at=?, cdc_message=NULL, cdc_class=NULL, hint=NULL WHERE id=?",
                (*values, old.id),
            )
            return old.id

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
        with self.transaction():
            old = self.passage_by_id(passage_id)
            check_passage(old.status, status, who=old.id_technique)
            self._conn.execute(
                "UPDATE passages SET status=?, cdc_message=?, cdc_class=?, hint=?, "
                "reasons=COALESCE(?, reasons), updated_at=? WHERE id=?",
                (
                    status.value,
                    message,
                    klass,
                    hint,
                    json.dumps(list(reasons), ensure_ascii=False) if reasons is not None else None,
                    self._stamp(),
                    passage_id,
                ),
            )

    def iter_pending(self) -> Iterator[tuple[int, str, str]]:
        """(passage id, idTechnique, record JSON) of pending passages, in build-group order."""
        cur = self._conn.execute(
            "SELECT id, id_technique, record_json FROM passages WHERE status = ? "
            "ORDER BY emitter, certificateur, contrat, certification_type, certification_code, id",
            (PassageStatus.PENDING.value,),
        )
        for row in cur:
            yield row[0], row[1], row[2]

    def passages(
        self, *, status: PassageStatus | None = None, batch_id: int | None = None
    ) -> list[Passage]:
        """Passages filtered by status and/or current batch, in id order."""
        clauses: list[str] = []
        params: list[object] = []
        if status is not None:
            clauses.append("status = ?")
            params.append(status.value)
        if batch_id is not None:
            clauses.append("batch_id = ?")
            params.append(batch_id)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._all(f"SELECT * FROM passages {where} ORDER BY id", params)  # noqa: S608 - fixed fragments
        return [self._passage(r) for r in rows]

    def record_json(self, passage_id: int) -> str | None:
        """The validated record of a passage (personal data: for building and re-export)."""
        row = self._one("SELECT record_json FROM passages WHERE id = ?", (passage_id,))
        return row[0] if row else None

    def passage_counts(self, *, batch_id: int | None = None) -> dict[str, int]:
        """Number of passages per status (optionally among those that were in a batch)."""
        if batch_id is None:
            rows = self._all("SELECT status, COUNT(*) FROM passages GROUP BY status")
        else:
            rows = self._all(
                "SELECT p.status, COUNT(*) FROM passages p JOIN passage_batches pb "
                "ON pb.passage_id = p.id WHERE pb.batch_id = ? GROUP BY p.status",
                (batch_id,),
            )
        return {r[0]: r[1] for r in rows}

    def open_passages_due(self, before: dt.date) -> list[Passage]:
        """Passages not yet deposited successfully whose deadline is on or before ``before``.

        An invalid passage whose delivery date is unknown has no deadline and is not listed.
        """
        marks = ", ".join("?" for _ in OPEN_STATUSES)
        rows = self._all(
            f"SELECT * FROM passages WHERE status IN ({marks}) AND deadline != '' "  # noqa: S608 - placeholders only
            "AND deadline <= ? "
            "ORDER BY deadline, id",
            [*[s.value for s in OPEN_STATUSES], before.isoformat()],
        )
        return [self._passage(r) for r in rows]

    def pending_due_count(self, before: dt.date) -> int:
        """Pending passages whose deadline is on or before ``before``."""
        row = self._one(
            "SELECT COUNT(*) FROM passages WHERE status = ? AND deadline <= ?",
            (PassageStatus.PENDING.value, before.isoformat()),
        )
        return int(row[0]) if row else 0

    def was_uploaded_before(self, passage_id: int, batch_id: int) -> bool:
        """Whether this passage was in another batch that reached the portal."""
        row = self._one(
            "SELECT COUNT(*) FROM passage_batches pb JOIN batches b ON b.id = pb.batch_id "
            "WHERE pb.passage_id = ? AND pb.batch_id != ? AND b.status NOT IN (?, ?, ?)",
            (
                passage_id,
                batch_id,
                BatchStatus.BUILT.value,
                BatchStatus.INVALID.value,
                BatchStatus.UPLOADING.value,
            ),
        )
        return bool(row and row[0])

    # -- batches -------------------------------------------------------------------------

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
    ) -> int:
        """Record a built file and move its passages to batched, in one transaction."""
        with self.transaction():
            stamp = self._stamp()
            cur = self._conn.execute(
                "INSERT INTO batches (name, path, sha256, size, schema_version, id_flux, "
                "passages, status, fingerprint, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    name,
                    path,
                    sha256,
                    size,
                    schema_version,
                    id_flux,
                    len(passage_ids),
                    BatchStatus.BUILT.value,
                    fingerprint,
                    stamp,
                    stamp,
                ),
            )
            batch_id = int(cur.lastrowid or 0)
            for pid in passage_ids:
                old = self.passage_by_id(pid)
                check_passage(old.status, PassageStatus.BATCHED, who=old.id_technique)
                self._conn.execute(
                    "UPDATE passages SET status=?, batch_id=?, updated_at=? WHERE id=?",
                    (PassageStatus.BATCHED.value, batch_id, stamp, pid),
                )
                self._conn.execute("INSERT INTO passage_batches VALUES (?, ?)", (pid, batch_id))
        return batch_id

    @staticmethod
    def _batch(row: sqlite3.Row) -> Batch:
        data = dict(row)
        data["status"] = BatchStatus(data["status"])
        return Batch(**data)

    def batch(self, batch_id: int) -> Batch:
        """The batch with this id.

        Raises:
            StoreError: no such batch.
        """
        row = self._one("SELECT * FROM batches WHERE id = ?", (batch_id,))
        if row is None:
            raise StoreError(f"no batch with id {batch_id}")
        return self._batch(row)

    def batch_by_name(self, name: str) -> Batch | None:
        """The batch whose file has this name, if any."""
        row = self._one("SELECT * FROM batches WHERE name = ?", (name,))
        return self._batch(row) if row else None

    def batches(self, *statuses: BatchStatus) -> list[Batch]:
        """Batches (all, or those in the given statuses), oldest first."""
        if not statuses:
            return [self._batch(r) for r in self._all("SELECT * FROM batches ORDER BY id")]
        marks = ", ".join("?" for _ in statuses)
        rows = self._all(
            f"SELECT * FROM batches WHERE status IN ({marks}) ORDER BY id",  # noqa: S608 - placeholders only
            [s.value for s in statuses],
        )
        return [self._batch(r) for r in rows]

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
        with self.transaction():
            old = self.batch(batch_id)
            check_batch(old.status, status, who=old.name)
            self._conn.execute(
                "UPDATE batches SET status=?, message=COALESCE(?, message), "
                "accepted=COALESCE(?, accepted), rejected=COALESCE(?, rejected), updated_at=? "
                "WHERE id=?",
                (status.value, message, accepted, rejected, self._stamp(), batch_id),
            )

    def mark_released(self, batch_id: int) -> None:
        """Note that a failed batch's held passages were released."""
        with self.transaction():
            self._conn.execute(
                "UPDATE batches SET released_at=? WHERE id=?", (self._stamp(), batch_id)
            )

    # -- attempts and documents ----------------------------------------------------------

    def start_attempt(self, kind: str, *, batch_id: int | None = None) -> int:
        """Record the start of a portal attempt; returns its id."""
        with self.transaction():
            cur = self._conn.execute(
                "INSERT INTO attempts (batch_id, kind, started_at) VALUES (?, ?, ?)",
                (batch_id, kind, self._stamp()),
            )
        return int(cur.lastrowid or 0)

    def finish_attempt(
        self, attempt_id: int, outcome: str, *, message: str = "", evidence: Sequence[Path] = ()
    ) -> None:
        """Record how an attempt ended, with its evidence files."""
        with self.transaction():
            self._conn.execute(
                "UPDATE attempts SET ended_at=?, outcome=?, message=?, evidence=? WHERE id=?",
                (
                    self._stamp(),
                    outcome,
                    message or None,
                    json.dumps([str(p) for p in evidence]),
                    attempt_id,
                ),
            )

    def attempts(self, *, batch_id: int | None = None) -> list[Attempt]:
        """Attempts, oldest first (optionally for one batch)."""
        where, params = ("WHERE batch_id = ?", [batch_id]) if batch_id is not None else ("", [])
        rows = self._all(f"SELECT * FROM attempts {where} ORDER BY id", params)  # noqa: S608 - fixed fragments
        out = []
        for r in rows:
            data = dict(r)
            data["evidence"] = tuple(json.loads(data["evidence"]))
            out.append(Attempt(**data))
        return out

    def add_document(self, batch_id: int, kind: str, path: Path, sha256: str, size: int) -> bool:
        """Record a saved receipt/report; False when the same content was already recorded."""
        with self.transaction():
            cur = self._conn.execute(
                "INSERT OR IGNORE INTO documents (batch_id, kind, path, sha256, size, fetched_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (batch_id, kind, str(path), sha256, size, self._stamp()),
            )
        return cur.rowcount == 1

    def documents(self, batch_id: int) -> list[Document]:
        """Documents saved for a batch, oldest first."""
        rows = self._all("SELECT * FROM documents WHERE batch_id = ? ORDER BY id", (batch_id,))
        return [Document(**dict(r)) for r in rows]

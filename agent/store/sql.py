"""The agent's store (:class:`agent.store.base.Store`) in SQL common to its backends.

:class:`SqlStore` holds every method in SQL that SQLite and PostgreSQL both run: ``?``
placeholders (the PostgreSQL connection turns them into ``%s``), ``RETURNING id`` for new rows,
``ON CONFLICT`` upserts. What differs is a handful of hooks a backend sets
(:mod:`agent.store.sqlite`, :mod:`agent.store.postgres`): how a list of ids is passed as one
parameter (a JSON array read by ``json_each`` / a PostgreSQL array), how a transaction begins,
the row locks (``FOR UPDATE``) a check-then-write takes where SQLite's ``BEGIN IMMEDIATE``
already locks the whole database, and the migrations in its dialect. Status changes are
checked against :mod:`agent.lifecycle` inside the transaction that writes them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self

from agent.lifecycle import (
    BatchAction,
    BatchStatus,
    PassageStatus,
    check_batch,
    check_passage,
)
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
from agent.store.base import OPEN_STATUSES, StoreError

#: A result row: by column index or name, and ``dict(row)`` (sqlite3.Row and its PostgreSQL
#: counterpart).
Row = Any


class Cursor(Protocol):
    """What the store uses of a DB-API cursor."""

    @property
    def rowcount(self) -> int:
        """Rows the last statement changed."""
        ...

    def fetchone(self) -> Row | None:
        """The next row."""
        ...

    def fetchall(self) -> list[Row]:
        """The remaining rows."""
        ...

    def __iter__(self) -> Iterator[Row]:
        """The rows, one by one."""
        ...


class Connection(Protocol):
    """What the store uses of a DB-API connection (sqlite3's, or the PostgreSQL adapter)."""

    def execute(self, sql: str, params: Sequence[Any] = (), /) -> Cursor:
        """Run one statement (``?`` placeholders)."""
        ...

    def executemany(self, sql: str, params: Sequence[Sequence[Any]], /) -> Cursor:
        """Run one statement once per parameter row."""
        ...

    def close(self) -> None:
        """Close the connection."""
        ...


#: A stored status -> its enum member (a dict lookup: calling the enum costs 3 µs a row).
_STATUS: dict[str, PassageStatus] = {status.value: status for status in PassageStatus}
#: The build's order: one group (declaration + certification) after the other.
_BUILD_ORDER = (
    "p.emitter, p.certificateur, p.contrat, p.certification_type, p.certification_code, p.id"
)
#: The columns an import writes in a new passage, in ``_passage_values``'s order.
_INSERT_COLUMNS = (
    "certificateur",
    "contrat",
    "certification_type",
    "certification_code",
    "holder",
    "delivery_date",
    "deadline",
    "status",
    "reasons",
    "record_sha256",
    "source_file_id",
    "source_row",
    "holder_key",
    "updated_at",
    "created_at",
    "emitter",
    "id_technique",
)
_INSERT_PASSAGE = (
    f"INSERT INTO passages ({', '.join(_INSERT_COLUMNS)}) "  # noqa: S608 - constant names
    f"VALUES ({', '.join('?' for _ in _INSERT_COLUMNS)})"
)


def _passage_values(
    new: NewPassage, status: PassageStatus, reasons: Sequence[str], stamp: str
) -> tuple[object, ...]:
    """The values of a passage row that an import writes, in :data:`_INSERT_PASSAGE`'s order
    (then ``emitter``, ``id_technique``); ``stamp`` is both times (the UPDATE reads one)."""
    return (
        new.certificateur,
        new.contrat,
        new.certification_type,
        new.certification_code,
        new.holder,
        new.delivery_date.isoformat() if new.delivery_date else "",
        new.deadline.isoformat() if new.deadline else "",
        status.value,
        json.dumps(list(reasons), ensure_ascii=False) if reasons else None,
        new.record_sha256 or None,
        new.source_file_id,
        new.source_row,
        new.holder_key,
        stamp,
        stamp,
    )


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _date(text: str) -> dt.date | None:
    """A stored date; "" is unknown (an invalid row whose date could not be read)."""
    return dt.date.fromisoformat(text) if text else None


class SqlStore:
    """The store's methods in SQL both backends run; a backend subclass opens it."""

    #: Migrations in the backend's dialect: (name, statements), numbered from 1.
    _MIGRATIONS: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: What starts a write transaction.
    _BEGIN = "BEGIN"
    #: Filters ``passages p`` on a list of ids passed as one parameter (:meth:`_list`).
    _IDS = ""
    #: Selects the texts of a list passed as one parameter (:meth:`_list`).
    _IN_TEXTS = ""
    #: Selects the integers of a list passed as one parameter (:meth:`_list`).
    _IN_INTS = ""
    #: The errors a broken constraint raises (a unique key: a passage that exists already).
    _INTEGRITY_ERRORS: tuple[type[Exception], ...] = ()
    #: Whether the database keeps ``batch_counts`` itself (triggers); if not, every move
    #: keeps it (:meth:`_count_moves`).
    _COUNTS_BY_TRIGGERS = False
    #: The build's read of pending passages (SQLite needs an index hint to read them in
    #: ``passages_to_build`` order rather than sort them).
    _PENDING_FROM = "passages p"
    #: ``passage_records.record_json`` as the dialect gives it cheapest as UTF-8 bytes (else
    #: as text, encoded by ``iter_pending``).
    _RECORD_BYTES = "r.record_json"
    #: Appended to the SELECT a check-then-write reads, to lock the rows it will write.
    _FOR_UPDATE = ""
    #: How the held corrections are looked up (SQLite needs an index hint).
    _CORRECTIONS_FROM = "passages"

    def __init__(self, conn: Connection, *, now: Callable[[], dt.datetime]) -> None:
        self._conn = conn
        self._now = now
        self._depth = 0

    def _list(self, values: Sequence[Any]) -> Any:
        """A list of ids or texts as the one parameter ``_IDS``/``_IN_TEXTS`` read."""
        return json.dumps(list(values))

    def _lock_events(self) -> None:
        """Inside an event's transaction: event ids must become visible in id order."""

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

    def now(self) -> dt.datetime:
        """The store's clock (aware)."""
        return self._now()

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
        self._conn.execute(self._BEGIN)
        self._depth = 1
        try:
            yield
            self._conn.execute("COMMIT")
        except BaseException:
            # Also when COMMIT itself fails (SQLite: "database is locked"): a transaction left
            # open would hold the write lock until the connection closes.
            self._conn.execute("ROLLBACK")
            raise
        finally:
            self._depth = 0

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        return self._conn.execute(sql, params).fetchone()

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return list(self._conn.execute(sql, params).fetchall())

    def _migrate(self) -> None:
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        done = {row[0] for row in self._all("SELECT version FROM schema_migrations")}
        for version, (name, statements) in enumerate(self._MIGRATIONS, start=1):
            if version in done:
                continue
            with self.transaction():
                # Another process opening the same store may have applied it meanwhile: the
                # write lock (BEGIN IMMEDIATE; PostgreSQL: an advisory lock) is held now, so
                # this second look is final.
                if self._one("SELECT 1 FROM schema_migrations WHERE version = ?", (version,)):
                    continue
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
            self._lock_events()
            self._conn.execute(
                "INSERT INTO events (at, level, kind, batch_id, passage_id, message) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (self._stamp(), level, kind, batch_id, passage_id, message),
            )

    def events(self, *, limit: int = 50, batch_id: int | None = None) -> list[Event]:
        """The latest events, oldest first (optionally for one batch)."""
        where, params = ("WHERE batch_id = ?", [batch_id]) if batch_id is not None else ("", [])
        rows = self._all(
            f"SELECT * FROM (SELECT * FROM events {where} ORDER BY id DESC LIMIT ?) AS e "  # noqa: S608 - fixed fragments
            "ORDER BY id",
            [*params, limit],
        )
        return [Event(**dict(r)) for r in rows]

    # -- inbox notices -------------------------------------------------------------------

    def sync_notices(self, current: Sequence[Notice]) -> list[Notice]:
        """Keep the notices of the entries the inbox holds now; return the ones not seen before.

        An entry that changed kind or message counts as new; one that left the inbox is
        forgotten (reported again if it comes back).
        """
        known = {notice.name: notice for notice in self.notices()}
        new = [notice for notice in current if known.get(notice.name) != notice]
        with self.transaction():
            self._conn.execute(
                f"DELETE FROM inbox_notices WHERE name NOT IN ({self._IN_TEXTS})",  # noqa: S608 - fixed fragment
                (self._list([notice.name for notice in current]),),
            )
            self._conn.executemany(
                "INSERT INTO inbox_notices (name, kind, message, first_seen) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, "
                "message = excluded.message, first_seen = excluded.first_seen",
                [(n.name, n.kind, n.message, self._stamp()) for n in new],
            )
        return new

    def notices(self) -> list[Notice]:
        """The inbox entries last seen that are not imported, by name."""
        rows = self._all("SELECT name, kind, message FROM inbox_notices ORDER BY name")
        return [Notice(**dict(r)) for r in rows]

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
                "skipped) VALUES (?, ?, ?, 0, 0, 0, 0) RETURNING id",
                (sha256, name, self._stamp()),
            )
            return _new_id(cur)

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
            "SELECT * FROM (SELECT * FROM source_files ORDER BY id DESC LIMIT ?) AS s ORDER BY id",
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

    def _passage(self, row: Row) -> Passage:
        return Passage(
            id=row["id"],
            emitter=row["emitter"],
            id_technique=row["id_technique"],
            certification_type=row["certification_type"],
            certification_code=row["certification_code"],
            holder=row["holder"],
            delivery_date=_date(row["delivery_date"]),
            deadline=_date(row["deadline"]),
            status=_STATUS[row["status"]],
            reasons=tuple(json.loads(row["reasons"] or "[]")),
            batch_id=row["batch_id"],
            cdc_message=row["cdc_message"],
            cdc_class=row["cdc_class"],
            hint=row["hint"],
            record_sha256=row["record_sha256"],
            updated_at=row["updated_at"],
            accepted_at=row["accepted_at"],
            withdrawn_at=row["withdrawn_at"],
            correction_fields=tuple(json.loads(row["correction_fields"] or "[]")),
            withdraw_reason=row["withdraw_reason"],
            late_at=row["late_at"],
        )

    def passage(self, emitter: str, id_technique: str) -> Passage | None:
        """The passage with this emitter BCR and idTechnique, if known."""
        row = self._one(
            "SELECT * FROM passages WHERE emitter = ? AND id_technique = ?", (emitter, id_technique)
        )
        return self._passage(row) if row else None

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
        return self._passage_where("id = ?", passage_id)

    def _passage_where(self, where: str, *params: Any, lock: str = "") -> Passage:
        row = self._one(f"SELECT * FROM passages WHERE {where}{lock}", params)  # noqa: S608 - fixed fragments
        if row is None:
            raise StoreError(f"no passage with id {params[0]}")
        return self._passage(row)

    def _locked_passage_by_id(self, passage_id: int) -> Passage:
        """:meth:`passage_by_id`, its row locked until the transaction ends."""
        return self._passage_where("id = ?", passage_id, lock=self._FOR_UPDATE)

    def _locked_passage(self, emitter: str, id_technique: str) -> Passage | None:
        """:meth:`passage`, its row (if any) locked until the transaction ends."""
        row = self._one(
            f"SELECT * FROM passages WHERE emitter = ? AND id_technique = ?{self._FOR_UPDATE}",  # noqa: S608 - fixed fragment
            (emitter, id_technique),
        )
        return self._passage(row) if row else None

    def set_holder_key(self, passage_id: int, key: int) -> None:
        """Record a valid passage's holder key (``builders.exports.holders``)."""
        with self.transaction():
            self._conn.execute("UPDATE passages SET holder_key=? WHERE id=?", (key, passage_id))

    def same_holder(self, emitter: str, key: int, id_technique: str) -> tuple[str, str] | None:
        """(idTechnique, status) of a passage of the same holder and certification under
        another idTechnique (withdrawn ones left out), or None."""
        row = self._one(
            "SELECT id_technique, status FROM passages WHERE emitter=? AND holder_key=? "
            "AND id_technique<>? AND status<>'withdrawn' ORDER BY id LIMIT 1",
            (emitter, key, id_technique),
        )
        return None if row is None else (str(row[0]), str(row[1]))

    def put_passage(
        self, new: NewPassage, *, status: PassageStatus, reasons: Sequence[str] = ()
    ) -> int:
        """Insert a passage, or replace the record of an existing one (status checked).

        A ``holder_key`` of None keeps the one the passage has.

        Returns:
            The passage's row id.
        """
        with self.transaction():
            old = self._one(
                "SELECT id, status FROM passages WHERE emitter = ? AND id_technique = ?"  # noqa: S608 - fixed fragment
                f"{self._FOR_UPDATE}",
                (new.emitter, new.id_technique),
            )
            values = _passage_values(new, status, reasons, self._stamp())
            if old is None:
                cur = self._conn.execute(
                    f"{_INSERT_PASSAGE} RETURNING id", (*values, new.emitter, new.id_technique)
                )
                passage_id = _new_id(cur)
                self._put_record(passage_id, new.record_json, replace=False)
                return passage_id
            passage_id = int(old["id"])
            check_passage(_STATUS[old["status"]], status, who=new.id_technique)
            self._count_moves("p.id = ?", [passage_id], status)
            self._conn.execute(
                "UPDATE passages SET certificateur=?, contrat=?, certification_type=?, "
                "certification_code=?, holder=?, delivery_date=?, deadline=?, status=?, "
                "reasons=?, record_sha256=?, source_file_id=?, source_row=?, "
                "holder_key=COALESCE(?, holder_key), updated_at=?, cdc_message=NULL, "
                "cdc_class=NULL, hint=NULL, accepted_at=NULL, "
                "correction_json=NULL, correction_sha256=NULL, correction_fields=NULL, "
                "withdraw_reason=NULL WHERE id=?",
                (*values[:-1], passage_id),  # created_at stays
            )
            self._put_record(passage_id, new.record_json, replace=True)
            return passage_id

    def add_passages(self, news: Sequence[NewPassage]) -> None:
        """Insert new pending passages with their records, whatever their number in a few
        statements (an import's rows whose passage is new: see ``agent.intake.FreshRows``).

        Raises:
            StoreError: one of them exists already (nothing is inserted).
        """
        if not news:
            return
        stamp = self._stamp()
        rows = [
            (*_passage_values(n, PassageStatus.PENDING, (), stamp), n.emitter, n.id_technique)
            for n in news
        ]
        try:
            with self.transaction(), self._savepoint():
                self._insert_passages(rows)
                self._add_records(news)
        except self._INTEGRITY_ERRORS as exc:
            raise StoreError(f"cannot add {len(news)} new passage(s): {exc}") from exc
        self._added_passages(len(news))

    def _insert_passages(self, rows: Sequence[tuple[object, ...]]) -> None:
        """Insert passage rows (values in ``_INSERT_COLUMNS``' order)."""
        self._conn.executemany(_INSERT_PASSAGE, rows)

    def _added_passages(self, count: int) -> None:
        """``add_passages`` committed ``count`` more passages (a dialect may act on it)."""

    def _add_records(self, news: Sequence[NewPassage]) -> None:
        """The records of the passages ``add_passages`` just inserted (each found by its key)."""
        self._conn.executemany(
            "INSERT INTO passage_records (passage_id, record_json) SELECT id, ? "
            "FROM passages WHERE emitter = ? AND id_technique = ?",
            [(n.record_json, n.emitter, n.id_technique) for n in news if n.record_json],
        )

    @contextmanager
    def _savepoint(self) -> Iterator[None]:
        """Undo what the block wrote if it fails, without ending the outer transaction."""
        self._conn.execute("SAVEPOINT part")
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK TO SAVEPOINT part")
            self._conn.execute("RELEASE SAVEPOINT part")
            raise
        self._conn.execute("RELEASE SAVEPOINT part")

    def passage_keys(self, emitter: str, id_techniques: Sequence[str]) -> set[str]:
        """Which of these idTechniques of the emitter BCR ``emitter`` have a passage."""
        rows = self._all(
            "SELECT id_technique FROM passages WHERE emitter = ? "  # noqa: S608 - fixed fragments
            f"AND id_technique IN ({self._IN_TEXTS})",
            (emitter, self._list(id_techniques)),
        )
        return {r[0] for r in rows}

    def holder_keys_in_use(self, emitter: str, keys: Sequence[int]) -> set[int]:
        """Which of these holder keys a passage of the emitter BCR ``emitter`` has (withdrawn
        passages left out, as :meth:`same_holder` leaves them)."""
        rows = self._all(
            "SELECT DISTINCT holder_key FROM passages WHERE emitter = ? "  # noqa: S608 - fixed fragments
            f"AND holder_key IN ({self._IN_INTS}) AND status <> 'withdrawn'",
            (emitter, self._list(keys)),
        )
        return {int(r[0]) for r in rows}

    def _put_record(self, passage_id: int, record_json: str, *, replace: bool) -> None:
        """Keep a passage's validated record ("" for an invalid one: none is kept)."""
        if replace and not record_json:
            self._conn.execute("DELETE FROM passage_records WHERE passage_id = ?", (passage_id,))
        elif record_json:
            self._conn.execute(
                "INSERT INTO passage_records (passage_id, record_json) VALUES (?, ?) "
                "ON CONFLICT (passage_id) DO UPDATE SET record_json = excluded.record_json",
                (passage_id, record_json),
            )

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
            old = self._locked_passage_by_id(passage_id)
            check_passage(old.status, status, who=old.id_technique)
            stamp = self._stamp()
            # The dates of the CDC's answers: first acceptance, confirmed SUPPRESSION.
            accepted_at = stamp if status is PassageStatus.ACCEPTED else None
            withdrawn_at = (
                stamp
                if status is PassageStatus.WITHDRAWN and old.status is PassageStatus.WITHDRAWING
                else None
            )
            self._count_moves("p.id = ?", [passage_id], status)
            self._conn.execute(
                "UPDATE passages SET status=?, cdc_message=?, cdc_class=?, hint=?, "
                "reasons=COALESCE(?, reasons), updated_at=?, "
                "accepted_at=COALESCE(accepted_at, ?), withdrawn_at=COALESCE(?, withdrawn_at) "
                "WHERE id=?",
                (
                    status.value,
                    message,
                    klass,
                    hint,
                    json.dumps(list(reasons), ensure_ascii=False) if reasons is not None else None,
                    stamp,
                    accepted_at,
                    withdrawn_at,
                    passage_id,
                ),
            )

    def request_withdrawal(self, passage_id: int, *, reason: str | None = None) -> None:
        """Move a passage to ``withdrawing`` (checked): its SUPPRESSION is built next.

        The passage leaves its CREATION batch (``batch_id`` cleared) so the build finds it.
        """
        with self.transaction():
            old = self._locked_passage_by_id(passage_id)
            check_passage(old.status, PassageStatus.WITHDRAWING, who=old.id_technique)
            self._count_moves("p.id = ?", [passage_id], PassageStatus.WITHDRAWING)
            self._conn.execute(
                "UPDATE passages SET status=?, batch_id=NULL, updated_at=?, "
                "withdraw_reason=COALESCE(?, withdraw_reason) WHERE id=?",
                (PassageStatus.WITHDRAWING.value, self._stamp(), reason, passage_id),
            )

    def hold_correction(
        self, passage_id: int, record_json: str, record_sha256: str, fields: Sequence[str]
    ) -> None:
        """Keep a corrected record for a passage the CDC holds, until its SUPPRESSION is OK."""
        with self.transaction():
            self._conn.execute(
                "UPDATE passages SET correction_json=?, correction_sha256=?, "
                "correction_fields=?, updated_at=? WHERE id=?",
                (
                    record_json,
                    record_sha256,
                    json.dumps(list(fields), ensure_ascii=False),
                    self._stamp(),
                    passage_id,
                ),
            )

    def correction(self, passage_id: int) -> tuple[str, str] | None:
        """(record JSON, SHA-256) of the correction held for a passage, if any."""
        row = self._one(
            "SELECT correction_json, correction_sha256 FROM passages WHERE id = ?", (passage_id,)
        )
        if row is None or row[0] is None:
            return None
        return str(row[0]), str(row[1])

    def iter_withdrawing(self) -> Iterator[tuple[int, str, str]]:
        """(passage id, idTechnique, record JSON) of passages whose SUPPRESSION is to build."""
        cur = self._stream(
            "SELECT p.id, p.id_technique, r.record_json FROM passages p "  # noqa: S608 - fixed text
            "JOIN passage_records r ON r.passage_id = p.id "
            "WHERE p.status = ? AND p.batch_id IS NULL "
            f"ORDER BY {_BUILD_ORDER}",
            (PassageStatus.WITHDRAWING.value,),
        )
        for row in cur:
            yield row[0], row[1], row[2]

    def iter_pending(self) -> Iterator[tuple[int, str, bytes]]:
        """(passage id, idTechnique, record JSON in UTF-8) of pending passages, in build-group
        order. Bytes: the build hands them to its pool and to the JSON parser as they are (a
        150,000-record build decoded 200 MB of text to encode it again for the trip)."""
        cur = self._stream(
            # In the order of passages_to_build (migration 9): no sort of every pending record.
            f"SELECT p.id, p.id_technique, {self._RECORD_BYTES} FROM {self._PENDING_FROM} "  # noqa: S608 - fixed text
            "JOIN passage_records r ON r.passage_id = p.id "
            f"WHERE p.status = 'pending' ORDER BY {_BUILD_ORDER}",
            (),
        )
        for row in cur:
            record = row[2]
            yield row[0], row[1], record if isinstance(record, bytes) else record.encode()

    def _stream(self, sql: str, params: Sequence[Any]) -> Iterator[Row]:
        """The rows of a large read, fetched as they are consumed."""
        return iter(self._conn.execute(sql, params))

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
        row = self._one(
            "SELECT record_json FROM passage_records WHERE passage_id = ?", (passage_id,)
        )
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

    def undeposited_due_count(self, before: dt.date, *, held_class: str) -> int:
        """Passages due on or before ``before`` that the CDC has not received: pending, in
        a built batch, or held (class ``held_class``) by a file refused as a whole and not
        released yet."""
        row = self._one(
            "SELECT COUNT(*) FROM passages p LEFT JOIN batches b ON b.id = p.batch_id "
            "WHERE p.deadline != '' AND p.deadline <= ? AND (p.status = ? "
            "OR (p.status = ? AND b.status = ?) "
            "OR (p.status = ? AND p.cdc_class = ? AND b.status = ? AND b.released_at IS NULL))",
            (
                before.isoformat(),
                PassageStatus.PENDING.value,
                PassageStatus.BATCHED.value,
                BatchStatus.BUILT.value,
                PassageStatus.REJECTED.value,
                held_class,
                BatchStatus.FILE_REJECTED.value,
            ),
        )
        return int(row[0]) if row else 0

    def mark_late_in_batch(self, batch_id: int, today: dt.date) -> list[Passage]:
        """Mark late the deposited passages of batch ``batch_id`` whose deadline is before
        ``today`` (one statement); returns them."""
        where = "batch_id = ? AND status = ? AND deadline < ? AND late_at IS NULL"
        params = (batch_id, PassageStatus.DEPOSITED.value, today.isoformat())
        rows = self._all(f"SELECT * FROM passages WHERE {where} ORDER BY id", params)  # noqa: S608 - fixed text
        if rows:
            with self.transaction():
                self._conn.execute(
                    f"UPDATE passages SET late_at = ? WHERE {where}",  # noqa: S608 - fixed text
                    (self._stamp(), *params),
                )
        return [self._passage(r) for r in rows]

    def late_passages(self) -> list[Passage]:
        """Passages declared after their deadline, oldest declaration first."""
        rows = self._all("SELECT * FROM passages WHERE late_at IS NOT NULL ORDER BY late_at, id")
        return [self._passage(r) for r in rows]

    def was_uploaded_before(self, passage_id: int, batch_id: int) -> bool:
        """Whether this passage was in another CREATION batch that reached the portal since
        its last SUPPRESSION (what the CDC deleted does not count)."""
        row = self._one(
            "SELECT COUNT(*) FROM passage_batches pb JOIN batches b ON b.id = pb.batch_id "
            "WHERE pb.passage_id = ? AND pb.batch_id != ? AND b.status NOT IN (?, ?, ?) "
            "AND b.action = 'CREATION' AND b.id > COALESCE((SELECT MAX(s.id) FROM "
            "passage_batches ps JOIN batches s ON s.id = ps.batch_id "
            "WHERE ps.passage_id = pb.passage_id AND s.action = 'SUPPRESSION'), 0)",
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
        action: BatchAction = BatchAction.CREATION,
    ) -> int:
        """Record a built file and move its passages to batched, in one transaction.

        The passages of a SUPPRESSION file stay ``withdrawing`` and point at it.
        """
        with self.transaction():
            stamp = self._stamp()
            cur = self._conn.execute(
                "INSERT INTO batches (name, path, sha256, size, schema_version, id_flux, "
                "passages, status, fingerprint, created_at, updated_at, action) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
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
                    action.value,
                ),
            )
            batch_id = _new_id(cur)
            to = (
                PassageStatus.WITHDRAWING
                if action is BatchAction.SUPPRESSION
                else PassageStatus.BATCHED
            )
            ids = self._list(passage_ids)
            members = len(set(passage_ids))
            self._check_moves(self._IDS, [ids], to, members)
            self._count_moves(self._IDS, [ids], to)
            self._conn.execute(
                f"UPDATE passages AS p SET status=?, batch_id=?, updated_at=? WHERE {self._IDS}",  # noqa: S608 - fixed fragments
                (to.value, batch_id, stamp, ids),
            )
            self._conn.execute(
                "INSERT INTO passage_batches (passage_id, batch_id) "  # noqa: S608 - fixed fragments
                f"SELECT p.id, ? FROM passages p WHERE {self._IDS}",
                (batch_id, ids),
            )
            if members and not self._COUNTS_BY_TRIGGERS:
                self._count([(batch_id, to.value, members)])
        return batch_id

    def _count_moves(self, where: str, params: Sequence[Any], to: PassageStatus) -> None:
        """Keep ``batch_counts`` for a move of the passages ``where`` selects to ``to``
        (nothing to do where triggers keep it).

        Run just before the move, in its transaction: one grouped read of the passages whose
        status changes, by each batch they were in, then one row per (batch, status) changed,
        whatever the number of passages. ``where`` filters ``passages p``.
        """
        if self._COUNTS_BY_TRIGGERS:
            return
        changes = self._all(
            "SELECT pb.batch_id, p.status, COUNT(*) FROM passages p "  # noqa: S608 - fixed fragments
            f"JOIN passage_batches pb ON pb.passage_id = p.id WHERE ({where}) AND p.status <> ? "
            "GROUP BY pb.batch_id, p.status",
            [*params, to.value],
        )
        self._count(
            [(batch_id, status, -n) for batch_id, status, n in changes]
            + [(batch_id, to.value, n) for batch_id, _, n in changes]
        )

    def _count(self, changes: Sequence[tuple[int, str, int]]) -> None:
        """Add ``n`` to the count of (batch, status), for each (batch_id, status, n)."""
        if changes:
            self._conn.executemany(
                "INSERT INTO batch_counts (batch_id, status, n) VALUES (?, ?, ?) "
                "ON CONFLICT (batch_id, status) DO UPDATE SET n = batch_counts.n + excluded.n",
                changes,
            )

    def _check_moves(
        self, where: str, params: Sequence[Any], to: PassageStatus, expected: int | None = None
    ) -> None:
        """Check (one query) that every passage ``where`` selects may move to ``to``.

        ``where`` filters ``passages p``; ``expected`` is how many passages it must find.

        Raises:
            TransitionError: one of them may not (named by its idTechnique).
            StoreError: fewer passages exist than ``expected``.
        """
        found = 0
        for row in self._all(
            # The inner SELECT locks the rows the move will write (PostgreSQL).
            "SELECT status, MIN(id_technique), COUNT(*) FROM (SELECT p.status, p.id_technique "  # noqa: S608 - fixed fragments
            f"FROM passages p WHERE {where}{self._FOR_UPDATE}) AS p GROUP BY status",
            params,
        ):
            check_passage(_STATUS[row[0]], to, who=row[1])
            found += row[2]
        if expected is not None and found != expected:
            raise StoreError(f"{expected - found} of the {expected} passages do not exist")

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
        """Move these passages (checked) as :meth:`set_passage_status` does, in one statement.

        Returns:
            How many passages moved.

        Raises:
            StoreError: one of the ids names no passage.
        """
        ids = self._list(passage_ids)
        with self.transaction():
            self._check_moves(self._IDS, [ids], to, len(set(passage_ids)))
            return self._move(self._IDS, [ids], to, message, klass, hint, reasons)

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
        """The passages of batch ``batch_id`` (their current one) that are in one of the
        ``waiting`` statuses (and of CDC class ``only_class``, when given) go to ``to``, in one
        statement, as :meth:`set_passage_status` moves one.

        Returns:
            How many passages moved.
        """
        marks = ", ".join("?" for _ in waiting)
        where = f"p.batch_id = ? AND p.status IN ({marks})"
        params: list[Any] = [batch_id, *[s.value for s in waiting]]
        if only_class is not None:
            where += " AND p.cdc_class = ?"
            params.append(only_class)
        with self.transaction():
            self._check_moves(where, params, to)
            return self._move(where, params, to, message, klass, hint, reasons)

    def _move(
        self,
        where: str,
        params: Sequence[Any],
        to: PassageStatus,
        message: str | None,
        klass: str | None,
        hint: str | None,
        reasons: Sequence[str] | None,
    ) -> int:
        """One UPDATE of the passages ``where`` selects (already checked) to ``to``.

        ``where`` filters ``passages p``, as in :meth:`_check_moves`.
        """
        stamp = self._stamp()
        self._count_moves(where, params, to)
        cur = self._conn.execute(
            "UPDATE passages AS p SET status=?, cdc_message=?, cdc_class=?, hint=?, "  # noqa: S608 - fixed fragments
            "reasons=COALESCE(?, reasons), updated_at=?, "
            "accepted_at=COALESCE(accepted_at, ?), "
            "withdrawn_at=CASE WHEN ? AND status = ? THEN ? ELSE withdrawn_at END "
            f"WHERE {where}",
            (
                to.value,
                message,
                klass,
                hint,
                json.dumps(list(reasons), ensure_ascii=False) if reasons is not None else None,
                stamp,
                stamp if to is PassageStatus.ACCEPTED else None,
                to is PassageStatus.WITHDRAWN,
                PassageStatus.WITHDRAWING.value,
                stamp,
                *params,
            ),
        )
        return cur.rowcount

    def withdraw_batch(self, batch_id: int, waiting: PassageStatus, *, only_class: str) -> int:
        """:meth:`request_withdrawal` for the passages of a batch in ``waiting`` and of CDC
        class ``only_class``, in one statement; how many moved."""
        check_passage(waiting, PassageStatus.WITHDRAWING, who=f"batch {batch_id}")
        with self.transaction():
            self._count_moves(
                "p.batch_id = ? AND p.status = ? AND p.cdc_class = ?",
                [batch_id, waiting.value, only_class],
                PassageStatus.WITHDRAWING,
            )
            cur = self._conn.execute(
                "UPDATE passages SET status=?, batch_id=NULL, updated_at=? "
                "WHERE batch_id = ? AND status = ? AND cdc_class = ?",
                (
                    PassageStatus.WITHDRAWING.value,
                    self._stamp(),
                    batch_id,
                    waiting.value,
                    only_class,
                ),
            )
        return cur.rowcount

    def batch_roster(self, batch_id: int) -> dict[str, BatchPassage]:
        """idTechnique -> the passage, for every passage that was put in this batch (even if
        it moved to a later batch since: ``current`` False), in one read."""
        rows = self._all(
            "SELECT p.id_technique, p.id, p.status, p.batch_id FROM passage_batches pb "
            "JOIN passages p ON p.id = pb.passage_id WHERE pb.batch_id = ? ORDER BY p.id",
            (batch_id,),
        )
        return {r[0]: BatchPassage(r[1], _STATUS[r[2]], r[3] == batch_id) for r in rows}

    def corrections_held(self) -> list[Passage]:
        """Accepted passages with a corrected record waiting for their SUPPRESSION."""
        rows = self._all(
            # The planner would rather scan every accepted passage through passages_status.
            f"SELECT * FROM {self._CORRECTIONS_FROM} "  # noqa: S608 - fixed fragment
            "WHERE correction_fields IS NOT NULL AND status = ? ORDER BY id",
            (PassageStatus.ACCEPTED.value,),
        )
        return [self._passage(r) for r in rows]

    def batch_passage_counts(self) -> dict[int, dict[str, int]]:
        """Per batch, the number of passages that were in it, per current status.

        Read from ``batch_counts``, which every move keeps (:meth:`_count_moves`, or
        PostgreSQL's triggers): one row per batch and status, whatever the number of passages.
        """
        out: dict[int, dict[str, int]] = {}
        for row in self._all("SELECT batch_id, status, n FROM batch_counts WHERE n > 0"):
            out.setdefault(row[0], {})[row[1]] = row[2]
        return out

    @staticmethod
    def _batch(row: Row) -> Batch:
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
            row = self._one(f"SELECT * FROM batches WHERE id = ?{self._FOR_UPDATE}", (batch_id,))  # noqa: S608 - fixed fragment
            if row is None:
                raise StoreError(f"no batch with id {batch_id}")
            old = self._batch(row)
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
                "INSERT INTO attempts (batch_id, kind, started_at) VALUES (?, ?, ?) RETURNING id",
                (batch_id, kind, self._stamp()),
            )
            return _new_id(cur)

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
                "INSERT INTO documents (batch_id, kind, path, sha256, size, fetched_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (batch_id, kind, str(path), sha256, size, self._stamp()),
            )
        return cur.rowcount == 1

    def documents(self, batch_id: int) -> list[Document]:
        """Documents saved for a batch, oldest first."""
        rows = self._all("SELECT * FROM documents WHERE batch_id = ? ORDER BY id", (batch_id,))
        return [Document(**dict(r)) for r in rows]

    # -- notification outbox and agent state ---------------------------------------------

    def last_event_id(self, *, before: str | None = None) -> int:
        """The id of the latest event (0 when none), optionally among those before a time."""
        if before is None:
            row = self._one("SELECT COALESCE(MAX(id), 0) FROM events")
        else:
            row = self._one("SELECT COALESCE(MAX(id), 0) FROM events WHERE at < ?", (before,))
        return int(row[0]) if row else 0

    def events_after(self, event_id: int, *, limit: int = 500) -> list[Event]:
        """Events with an id above ``event_id``, oldest first (the outbox's next items)."""
        rows = self._all("SELECT * FROM events WHERE id > ? ORDER BY id LIMIT ?", (event_id, limit))
        return [Event(**dict(r)) for r in rows]

    def event_by_id(self, event_id: int) -> Event | None:
        """One event of the log, if it exists."""
        row = self._one("SELECT * FROM events WHERE id = ?", (event_id,))
        return Event(**dict(row)) if row else None

    def last_event(
        self, *kinds: str, level: str | None = None, before_id: int | None = None
    ) -> Event | None:
        """The latest event of one of these kinds (and level, and before an id, when given)."""
        marks = ", ".join("?" for _ in kinds)
        clauses, params = "", list[object]()
        if level is not None:
            clauses, params = " AND level = ?", [level]
        if before_id is not None:
            clauses, params = f"{clauses} AND id < ?", [*params, before_id]
        row = self._one(
            f"SELECT * FROM events WHERE kind IN ({marks}){clauses} ORDER BY id DESC LIMIT 1",  # noqa: S608 - placeholders only
            [*kinds, *params],
        )
        return Event(**dict(row)) if row else None

    def events_between(self, first_id: int, last_id: int) -> list[Event]:
        """Events whose id is in [first_id, last_id], oldest first."""
        rows = self._all(
            "SELECT * FROM events WHERE id BETWEEN ? AND ? ORDER BY id", (first_id, last_id)
        )
        return [Event(**dict(r)) for r in rows]

    def notify_cursor(self, destination: str) -> int | None:
        """The last event id given to a destination; None for a destination never seen."""
        row = self._one(
            "SELECT last_event_id FROM notify_cursors WHERE destination = ?", (destination,)
        )
        return int(row[0]) if row else None

    def set_notify_cursor(self, destination: str, event_id: int, *, error: str | None) -> None:
        """Move a destination's cursor; ``error`` records why its next event failed."""
        with self.transaction():
            self._conn.execute(
                "INSERT INTO notify_cursors (destination, last_event_id, failures, last_error, "
                "updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (destination) DO UPDATE SET "
                "last_event_id = excluded.last_event_id, last_error = excluded.last_error, "
                "failures = CASE WHEN excluded.last_error IS NULL THEN 0 "
                "ELSE notify_cursors.failures + 1 END, updated_at = excluded.updated_at",
                (destination, event_id, 1 if error else 0, error, self._stamp()),
            )

    def notify_cursors(self) -> list[dict[str, Any]]:
        """Every destination's cursor, failures in a row and last error."""
        return [dict(r) for r in self._all("SELECT * FROM notify_cursors ORDER BY destination")]

    def set_state(self, key: str, value: str) -> None:
        """Set one fact about the agent (e.g. the service heartbeat)."""
        with self.transaction():
            self._conn.execute(
                "INSERT INTO agent_state (key, value, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value, "
                "updated_at = excluded.updated_at",
                (key, value, self._stamp()),
            )

    def state(self, key: str) -> str | None:
        """One fact about the agent, if set."""
        row = self._one("SELECT value FROM agent_state WHERE key = ?", (key,))
        return str(row[0]) if row else None

    def batch_passages(self, batch_id: int, status: PassageStatus) -> list[Passage]:
        """Passages that were in a batch (even if it is no longer their current one)."""
        rows = self._all(
            "SELECT p.* FROM passages p JOIN passage_batches pb ON pb.passage_id = p.id "
            "WHERE pb.batch_id = ? AND p.status = ? ORDER BY p.id",
            (batch_id, status.value),
        )
        return [self._passage(r) for r in rows]

    # -- login pauses --------------------------------------------------------------------

    def login_pause(self, base_url: str, username: str) -> LoginPause | None:
        """The refused password's fingerprint for this account, if logins are paused."""
        row = self._one(
            "SELECT * FROM login_pauses WHERE base_url = ? AND username = ?", (base_url, username)
        )
        return LoginPause(**dict(row)) if row else None

    def set_login_pause(
        self, base_url: str, username: str, *, salt: bytes, digest: bytes, message: str
    ) -> LoginPause:
        """Pause logins of this account with the refused password's fingerprint."""
        pause = LoginPause(base_url, username, salt, digest, self._stamp(), message)
        with self.transaction():
            self._conn.execute(
                "INSERT INTO login_pauses VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (base_url, username) DO UPDATE SET salt = excluded.salt, "
                "digest = excluded.digest, at = excluded.at, message = excluded.message",
                (base_url, username, salt, digest, pause.at, message),
            )
        return pause

    def clear_login_pause(self, base_url: str, username: str) -> bool:
        """Lift the pause; False when there was none."""
        with self.transaction():
            cur = self._conn.execute(
                "DELETE FROM login_pauses WHERE base_url = ? AND username = ?",
                (base_url, username),
            )
        return cur.rowcount > 0

    # -- retention -----------------------------------------------------------------------

    def files_awaiting_correction(self) -> set[str]:
        """Where the imported files lie whose invalid rows still wait for a correction."""
        rows = self._all(
            "SELECT DISTINCT s.moved_to FROM source_files s JOIN passages p "
            "ON p.source_file_id = s.id WHERE p.status = ? AND s.moved_to IS NOT NULL",
            (PassageStatus.INVALID.value,),
        )
        return {r[0] for r in rows}

    def purge_events(self, before: dt.datetime) -> int:
        """Delete events older than ``before`` (the only deletion the log allows).

        Returns:
            The number of events deleted.
        """
        cutoff = before.astimezone(dt.UTC).isoformat(timespec="seconds")
        with self.transaction():
            self._conn.execute("INSERT INTO event_purge VALUES (?)", (cutoff,))
            cur = self._conn.execute("DELETE FROM events WHERE at < ?", (cutoff,))
            self._conn.execute("DELETE FROM event_purge")
        return cur.rowcount


def _new_id(cur: Cursor) -> int:
    """The id an ``INSERT ... RETURNING id`` gave its row."""
    row = cur.fetchone()
    if row is None:  # pragma: no cover - RETURNING always gives the row
        raise StoreError("the database returned no id for a new row")
    return int(row[0])

"""The SQLite store: the agent's store (:class:`agent.store.base.Store`) in one file.

SQLite in the data directory by default (WAL mode), owner-only because it holds personal data
(the validated records needed to build the XML). Numbered migrations from
:mod:`agent.store_schema` are applied on open, each in one transaction with the row that
records it. The methods are :class:`agent.store.sql.SqlStore`'s; this module sets SQLite's
dialect: ``BEGIN IMMEDIATE`` (one writer at a time: no row locks needed), lists of ids as one
JSON array read by ``json_each``, ``batch_counts`` kept by each move's own statements.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from agent.rows import NewPassage
from agent.store.base import StoreError
from agent.store.sql import SqlStore, _utcnow
from agent.store_schema import MIGRATIONS

DB_NAME = "agent.sqlite3"
#: How long opening waits for another process that holds the database while it migrates.
OPEN_TIMEOUT_S = 30.0


def _wal(conn: sqlite3.Connection) -> None:
    """Switch to WAL mode, waiting while another process holds the database.

    Changing the journal mode does not wait for a lock as statements do (``timeout``): two
    agents opening a new store at once would otherwise fail with "database is locked".
    """
    deadline = time.monotonic() + OPEN_TIMEOUT_S
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
        else:
            return


class SqliteStore(SqlStore):
    """The SQLite store. Use :meth:`open`; one instance per thread (sqlite3 rule)."""

    _MIGRATIONS = MIGRATIONS
    _BEGIN = "BEGIN IMMEDIATE"
    #: Ids passed as one JSON array parameter: a set-based statement whatever their number.
    _IN_TEXTS = "SELECT value FROM json_each(?)"
    _IN_INTS = _IN_TEXTS
    _IDS = f"p.id IN ({_IN_TEXTS})"
    _INTEGRITY_ERRORS = (sqlite3.IntegrityError,)
    # The planner would rather sort every pending passage (and its record) than read them in
    # the order of this index (migration 9).
    _PENDING_FROM = "passages p INDEXED BY passages_to_build"
    # The record's UTF-8 bytes as stored, without decoding them to text.
    _RECORD_BYTES = "CAST(r.record_json AS BLOB)"
    # The planner would rather scan every accepted passage through passages_status.
    _CORRECTIONS_FROM = "passages INDEXED BY passages_correction"

    _conn: sqlite3.Connection

    def _add_records(self, news: Sequence[NewPassage]) -> None:
        """The records of the passages ``add_passages`` just inserted, by their ids.

        SQLite gives rows inserted one after the other, by one writer, consecutive ids ending
        at ``last_insert_rowid()``: no lookup per record. The first and last ids are checked
        against their passages' keys; should they not match, each record is found by its key.
        """
        row = self._one("SELECT last_insert_rowid()")
        last = int(row[0]) if row else 0
        first = last - len(news) + 1
        ends = self._all(
            "SELECT id, emitter, id_technique FROM passages WHERE id IN (?, ?)", (first, last)
        )
        expected = {
            (first, news[0].emitter, news[0].id_technique),
            (last, news[-1].emitter, news[-1].id_technique),
        }
        if {(r[0], r[1], r[2]) for r in ends} != expected:  # pragma: no cover - see above
            super()._add_records(news)
            return
        self._conn.executemany(
            "INSERT INTO passage_records (passage_id, record_json) VALUES (?, ?)",
            [(first + i, n.record_json) for i, n in enumerate(news) if n.record_json],
        )

    @classmethod
    def open(cls, path: Path, *, now: Callable[[], dt.datetime] = _utcnow) -> SqliteStore:
        """Open (creating it owner-only if needed) the database at ``path`` and migrate it.

        Raises:
            StoreError: the file is not a usable database.
        """
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not path.exists():
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        path.chmod(0o600)
        try:
            conn = sqlite3.connect(path, isolation_level=None, timeout=OPEN_TIMEOUT_S)
            conn.row_factory = sqlite3.Row
            _wal(conn)
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA synchronous=NORMAL")
            store = cls(conn, now=now)
            store._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path}: cannot open the store: {exc}") from exc
        return store

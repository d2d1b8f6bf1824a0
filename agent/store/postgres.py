"""The PostgreSQL store: the agent's store (:class:`agent.store.base.Store`) on a server.

``[store] url = "postgresql://USER@HOST:PORT/DATABASE"`` (any libpq URL). The password is never
in the URL, hence never in the config file, a log line or an error message: it comes from the
agent's keyring (:mod:`agent.store.password`), else libpq reads it from ``PGPASSWORD`` or
``~/.pgpass`` (``PGPASSFILE``), as for ``psql``. A URL carrying one is refused.

The methods are :class:`agent.store.sql.SqlStore`'s; this module sets PostgreSQL's dialect:
``?`` placeholders become ``%s``; lists of ids are one array parameter (``= ANY(?)``); a
check-then-write locks the rows it reads (``SELECT ... FOR UPDATE``) where SQLite's
``BEGIN IMMEDIATE`` locks the whole file; migrations (:mod:`agent.store.postgres_schema`) and
events are serialised by transaction-scoped advisory locks, so event ids become visible in id
order (the notification outbox reads them by id) and two agents opening one database at once
migrate it once. Large reads go through a server-side cursor.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from collections.abc import Callable, Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

import psycopg
from psycopg.rows import RowMaker

from agent.rows import NewPassage
from agent.store.base import StoreError
from agent.store.postgres_schema import PG_MIGRATIONS
from agent.store.sql import _INSERT_COLUMNS, Cursor, SqlStore, _utcnow

#: Advisory lock keys of the store's migrations and event writes.
MIGRATION_LOCK = 0x61636372_0001
EVENT_LOCK = 0x61636372_0002
#: Rows a server-side cursor fetches per round trip.
STREAM_ROWS = 2000


class PgRow:
    """One result row, read like ``sqlite3.Row``: by index, by column name, ``dict(row)``."""

    __slots__ = ("_index", "_values")

    def __init__(self, values: Sequence[Any], index: dict[str, int]) -> None:
        self._values = values
        self._index = index

    def __getitem__(self, key: int | str) -> Any:
        return self._values[self._index[key] if isinstance(key, str) else key]

    def keys(self) -> list[str]:
        """The column names, in order."""
        return list(self._index)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def pg_row(cursor: psycopg.Cursor[Any]) -> RowMaker[PgRow]:
    """psycopg row factory making :class:`PgRow`."""
    names = [column.name for column in cursor.description or ()]
    index = {name: position for position, name in enumerate(names)}
    return lambda values: PgRow(values, index)


#: An import adding passages refreshes their statistics (``ANALYZE``) once it added more than
#: this many and more than the table held at the last refresh: the import's transaction is
#: the only one to see its rows, autovacuum cannot count them, and the planner, believing
#: the table nearly empty, would read every passage of the emitter for each lookup of a
#: chunk's keys (measured: 20 ms a lookup at 75,000 rows, 0.2 ms once analyzed).
ANALYZE_MIN_ROWS = 5000
#: The types of :data:`agent.store.sql._INSERT_COLUMNS`, in order, as PostgreSQL arrays.
_ARRAY_TYPES = {"source_file_id": "bigint[]", "source_row": "integer[]", "holder_key": "bigint[]"}
_INSERT_PASSAGES = (
    f"INSERT INTO passages ({', '.join(_INSERT_COLUMNS)}) SELECT * FROM unnest("  # noqa: S608 - constant names
    + ", ".join(f"?::{_ARRAY_TYPES.get(name, 'text[]')}" for name in _INSERT_COLUMNS)
    + ")"
)
_INSERT_RECORDS = (
    "INSERT INTO passage_records (passage_id, record_json) SELECT p.id, v.record_json "
    "FROM unnest(?::text[], ?::text[], ?::text[]) AS v(emitter, id_technique, record_json) "
    "JOIN passages p ON p.emitter = v.emitter AND p.id_technique = v.id_technique"
)


@functools.lru_cache(maxsize=512)
def to_pg(sql: str) -> str:
    """The store's SQL (``?`` placeholders) for psycopg (``%s``; a literal ``%`` doubled)."""
    return sql.replace("%", "%%").replace("?", "%s")


class PgConnection:
    """A psycopg connection (autocommit: the store says BEGIN and COMMIT) speaking ``?``."""

    def __init__(self, raw: psycopg.Connection[PgRow]) -> None:
        self.raw = raw
        self._cursors = itertools.count(1)

    def execute(self, sql: str, params: Sequence[Any] = (), /) -> Cursor:
        """Run one statement."""
        if not params:  # no placeholders: psycopg sends the text as it is
            return self.raw.execute(sql)
        return self.raw.execute(to_pg(sql), params)

    def execute_binary(self, sql: str, params: Sequence[Any], /) -> Cursor:
        """Run one statement, its parameters sent in binary (large text arrays: the text
        format escapes them character by character, in Python)."""
        return self.raw.execute(sql.replace("%", "%%").replace("?", "%b"), params)

    def executemany(self, sql: str, params: Sequence[Sequence[Any]], /) -> Cursor:
        """Run one statement once per parameter row."""
        cursor = self.raw.cursor()
        cursor.executemany(to_pg(sql), params)
        return cursor

    def stream(self, sql: str, params: Sequence[Any]) -> Iterator[PgRow]:
        """The rows of a large read through a server-side cursor (kept across commits)."""
        with self.raw.cursor(name=f"stream{next(self._cursors)}", withhold=True) as cursor:
            cursor.itersize = STREAM_ROWS
            cursor.execute(to_pg(sql), params)
            yield from cursor

    def close(self) -> None:
        """Close the connection."""
        self.raw.close()


def safe_url(url: str) -> str:
    """The URL as messages may show it: without a password, should it hold one."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    user = parts.username or ""
    return parts._replace(netloc=f"{user}:***@{host}").geturl()


def check_url(url: str) -> None:
    """Refuse a ``[store] url`` that carries a password.

    Raises:
        StoreError: it does (the message shows the URL without it).
    """
    parts = urlsplit(url)
    query = parts.query.lower()
    if parts.password is not None or "password=" in query:
        raise StoreError(
            f"[store] url {safe_url(url).split('?')[0]!r} holds a password: remove it; give it "
            "to libpq through ~/.pgpass (or PGPASSFILE, or PGPASSWORD) instead"
        )


class PostgresStore(SqlStore):
    """The PostgreSQL store. Use :meth:`open`; one instance per thread."""

    _MIGRATIONS = PG_MIGRATIONS
    _BEGIN = "BEGIN"
    #: Ids passed as one array parameter: a set-based statement whatever their number.
    _IDS = "p.id = ANY(?::bigint[])"
    _IN_TEXTS = "SELECT unnest(?::text[])"
    _IN_INTS = "SELECT unnest(?::bigint[])"
    _INTEGRITY_ERRORS = (psycopg.IntegrityError,)
    # Statement-level triggers keep batch_counts (migration 8), inside the UPDATE itself: the
    # store's own counting (SqlStore._count_moves, SQLite's way) measured no faster here
    # (the slowest of the five 50,000-passage moves of benchmarks/store.py, 4 runs each on a
    # shared 2-core machine: 1.46 to 1.90 s with the triggers, 1.43 to 2.16 s counting, both
    # exact), and costs a round trip more per move.
    _COUNTS_BY_TRIGGERS = True
    _FOR_UPDATE = " FOR UPDATE"

    _conn: PgConnection
    #: Passages this store added since it last refreshed their statistics, and how many
    #: there were then.
    _added = 0
    _analyzed = 0

    @classmethod
    def open(
        cls,
        url: str,
        *,
        now: Callable[[], dt.datetime] = _utcnow,
        password: str | None = None,
    ) -> PostgresStore:
        """Connect to the database at ``url`` and migrate it.

        ``password``: the one kept in the keyring (:mod:`agent.store.password`); None lets
        libpq find one (``~/.pgpass``, ``PGPASSWORD``).

        Raises:
            StoreError: the URL holds a password, or the database cannot be reached or used
                (the message never holds the password).
        """
        check_url(url)
        try:
            # No server-side prepared statements: their generic plan, fixed while a long
            # import transaction still shows an empty table to the planner, scans every
            # passage per row (an import of 6,000 rows: 49 s, against 18 s planned each time).
            raw = psycopg.connect(
                url,
                autocommit=True,
                row_factory=pg_row,
                prepare_threshold=None,
                password=password,  # None: libpq finds one
            )
        except psycopg.Error as exc:
            raise StoreError(f"{safe_url(url)}: cannot connect to the store: {exc}") from exc
        store = cls(PgConnection(raw), now=now)
        try:
            store._migrate()
        except psycopg.Error as exc:
            raw.close()
            raise StoreError(f"{safe_url(url)}: cannot migrate the store: {exc}") from exc
        return store

    def _list(self, values: Sequence[Any]) -> Any:
        return list(values)

    # New passages and their records go in as arrays (``unnest``), two statements whatever
    # their number: a statement per row would be planned per row (no prepared statements, see
    # :meth:`open`), which cost about 75 µs each on the server.
    def _insert_passages(self, rows: Sequence[tuple[object, ...]]) -> None:
        columns = [list(column) for column in zip(*rows, strict=True)]
        self._conn.execute_binary(_INSERT_PASSAGES, columns)

    def _add_records(self, news: Sequence[NewPassage]) -> None:
        stored = [n for n in news if n.record_json]
        self._conn.execute_binary(
            _INSERT_RECORDS,
            (
                [n.emitter for n in stored],
                [n.id_technique for n in stored],
                [n.record_json for n in stored],
            ),
        )

    def _added_passages(self, count: int) -> None:
        self._added += count
        if self._added > max(ANALYZE_MIN_ROWS, self._analyzed):
            self._analyze()

    def _analyze(self) -> None:
        """Refresh the planner's statistics of ``passages`` (see ``ANALYZE_MIN_ROWS``)."""
        self._conn.execute("ANALYZE passages")
        row = self._one("SELECT reltuples FROM pg_class WHERE oid = 'passages'::regclass")
        self._analyzed = max(int(row[0]) if row else 0, 0)
        self._added = 0

    def _migrate(self) -> None:
        # Held from CREATE TABLE schema_migrations on: two agents starting on a new database
        # would otherwise both create it.
        self._conn.execute("SELECT pg_advisory_lock(?)", (MIGRATION_LOCK,))
        try:
            super()._migrate()
        finally:
            self._conn.execute("SELECT pg_advisory_unlock(?)", (MIGRATION_LOCK,))

    def _lock_events(self) -> None:
        # Ids come from a sequence: without this, an event committed after a later id was
        # read could be skipped by a reader that moved past it.
        self._conn.execute("SELECT pg_advisory_xact_lock(?)", (EVENT_LOCK,))

    def _stream(self, sql: str, params: Sequence[Any]) -> Iterator[Any]:
        return self._conn.stream(sql, params)

"""The single-instance locks in PostgreSQL, for agents on several machines sharing one store.

With ``[store] url = "postgresql://..."`` the file locks of :mod:`agent.lock` would only keep
apart the processes of one machine. :func:`agent_lock` then takes, instead, a PostgreSQL
session advisory lock of the same name, held on a dedicated connection for as long as the
block runs: the service holds ``scheduler`` for its whole life, a run holds ``work``. A second
machine's service therefore stands by (waits, saying for whom) and takes over when the first
dies: PostgreSQL releases a session lock when its connection closes, a killed process included.

The holder is named by its connection's ``application_name`` (what it is, host, pid), read from
``pg_stat_activity`` by whoever finds the lock taken: nothing to clean up after a crash.

A session lock also goes when its connection drops while the agent lives on (PostgreSQL
restarted, a network cut, an idle-connection killer): another machine's agent may then take it.
The lock a block holds is therefore a :class:`HeldLock` whose :meth:`~HeldLock.check` asks
PostgreSQL whether this connection still holds it, raising :class:`LockLost` if not. A run
checks its work lock at each step it reaches (before every upload among them: see
``agent.checkpoint.checked``); the service checks its own lock before each job and at each
heartbeat, and stops when it lost it (its restart stands by, or takes the lock again).
File locks (SQLite store) live as long as the process: their check never fails.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Final

import psycopg

from agent.config import Config
from agent.lock import SCHEDULER, WORK, AlreadyRunning, instance_lock, waiting_lock
from agent.store import StoreError
from agent.store.password import store_password
from agent.store.postgres import check_url, safe_url

#: First key of the two-key advisory locks ("accr"); the second is the lock's number.
NAMESPACE = 0x61636372
NUMBERS = {SCHEDULER: 1, WORK: 2, "notify": 3}
#: How often a standby tries the lock again (s).
POLL_S = 2.0


class LockLost(AlreadyRunning):
    """The lock this process held is gone (its connection to the store dropped): another
    agent may hold it now, so this one must not go on with the work the lock guarded."""


class HeldLock:
    """A lock held by this process for the duration of a block; file locks cannot be lost."""

    def check(self) -> None:
        """Return if the lock is still held.

        Raises:
            LockLost: it is not (never for a file lock).
        """


#: The lock of a block guarded by a file lock (or no lock at all).
FILE_LOCK: Final = HeldLock()


class AdvisoryLock(HeldLock):
    """A PostgreSQL session advisory lock, held on its own connection."""

    def __init__(self, conn: psycopg.Connection[tuple[object, ...]], name: str, url: str) -> None:
        self._conn = conn
        self._name = name
        self._url = url

    def check(self) -> None:
        """Ask PostgreSQL whether this lock's connection still holds it.

        Raises:
            LockLost: the connection is closed or broken, or the lock is not held on it.
        """
        lost = f"the {self._name} lock of the store {safe_url(self._url)} was lost"
        try:
            row = self._conn.execute(
                "SELECT COUNT(*) FROM pg_locks WHERE pid = pg_backend_pid() "
                "AND locktype = 'advisory' AND granted AND classid = %s AND objid = %s "
                "AND objsubid = 2",
                (NAMESPACE, NUMBERS[self._name]),
            ).fetchone()
        except psycopg.Error as exc:
            raise LockLost(f"{lost} (its connection failed: {exc})") from exc
        if not row or not row[0]:
            raise LockLost(f"{lost} (not held on its connection any more)")


def _store_url(config: Config) -> str | None:
    url = config.store.url
    return url if url and url.startswith("postgresql://") else None


def _connect(
    url: str, label: str, password: str | None = None
) -> psycopg.Connection[tuple[object, ...]]:
    check_url(url)
    try:  # password None: libpq finds one (~/.pgpass, PGPASSWORD)
        return psycopg.connect(url, autocommit=True, application_name=label[:63], password=password)
    except psycopg.Error as exc:
        raise StoreError(f"{safe_url(url)}: cannot connect to the store: {exc}") from exc


def _try(conn: psycopg.Connection[tuple[object, ...]], number: int) -> bool:
    row = conn.execute("SELECT pg_try_advisory_lock(%s, %s)", (NAMESPACE, number)).fetchone()
    return bool(row and row[0])


def _holder(conn: psycopg.Connection[tuple[object, ...]], name: str) -> str | None:
    """Who holds the ``name`` lock of this database, as its connection names itself; None
    when nobody does."""
    row = conn.execute(
        "SELECT a.application_name, a.client_addr FROM pg_locks l "
        "JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = %s AND l.objid = %s "
        "AND l.objsubid = 2 AND l.database = "
        "(SELECT oid FROM pg_database WHERE datname = current_database())",
        (NAMESPACE, NUMBERS[name]),
    ).fetchone()
    if row is None:
        return None
    label, address = row
    return f"{label or 'another agent'}" + (f" from {address}" if address else "")


def holder_of(conn: psycopg.Connection[tuple[object, ...]], name: str) -> str:
    """Who holds the ``name`` lock of this database (when taking it just failed)."""
    return _holder(conn, name) or "another agent (gone since)"


def store_lock_holder(config: Config, name: str) -> str | None:
    """Who holds the ``name`` lock of the config's PostgreSQL store, or None (also when the
    store is not PostgreSQL); never takes the lock.

    Raises:
        StoreError: the store cannot be reached.
    """
    url = _store_url(config)
    if url is None:
        return None
    with _connect(url, "accrochage: status", store_password(config, url)) as conn:
        return _holder(conn, name)


@contextmanager
def store_lock(
    url: str,
    name: str,
    *,
    holder: str,
    on_wait: Callable[[AlreadyRunning], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    poll_s: float = POLL_S,
    sleep: Callable[[float], None] = time.sleep,
    password: str | None = None,
) -> Iterator[AdvisoryLock]:
    """Hold the ``name`` advisory lock of the PostgreSQL store at ``url`` (the block gets it,
    to :meth:`~AdvisoryLock.check` it).

    Without ``on_wait``, a lock already held raises at once; with it, the call waits (calling
    ``on_wait`` once with who holds it) until the lock comes free or ``should_stop``.

    Raises:
        AlreadyRunning: held by another agent (and not waiting, or asked to stop).
        StoreError: the store cannot be reached.
    """
    label = f"accrochage: {holder} on {socket.gethostname()} pid {os.getpid()}"
    conn = _connect(url, label, password)
    try:
        told = False
        while not _try(conn, NUMBERS[name]):
            refused = AlreadyRunning(
                f"{holder_of(conn, name)} holds the {name} lock of the store {safe_url(url)}"
            )
            if on_wait is None or should_stop():
                raise refused
            if not told:
                on_wait(refused)
                told = True
            sleep(poll_s)
        yield AdvisoryLock(conn, name, url)  # the lock lives as long as the connection
    finally:
        conn.close()


@contextmanager
def agent_lock(
    config: Config,
    name: str = WORK,
    *,
    holder: str,
    on_wait: Callable[[AlreadyRunning], None] | None = None,
    stand_by: Callable[[AlreadyRunning], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> Iterator[HeldLock]:
    """The ``name`` lock of this agent, which the block gets (to :meth:`~HeldLock.check` it):
    the data directory's file lock (SQLite store), or the store's advisory lock (PostgreSQL
    store: it keeps out every agent sharing the store, on this machine or another, whose data
    directory is shared too, where a file lock would be taken over the network file system or
    not at all).

    Waits (telling ``on_wait`` once) when ``on_wait`` is given; with a PostgreSQL store,
    ``stand_by`` also waits (another machine's service is active), where a SQLite store
    refuses at once (two services on one data directory); else refuses at once.

    Raises:
        AlreadyRunning: another process or agent holds it.
    """
    url = _store_url(config)
    if url is not None:
        with store_lock(
            url,
            name,
            holder=holder,
            on_wait=on_wait or stand_by,
            should_stop=should_stop,
            password=store_password(config, url),
        ) as lock:
            yield lock
    elif on_wait is None:
        with instance_lock(config.agent.data_dir, name, holder=holder):
            yield FILE_LOCK
    else:
        with waiting_lock(
            config.agent.data_dir, name, holder=holder, on_wait=on_wait, should_stop=should_stop
        ):
            yield FILE_LOCK

"""The agent's store: the only package that runs SQL.

:class:`agent.store.base.Store` is the port (what the agent asks of its store, in its own
terms); :mod:`agent.store.sqlite` and :mod:`agent.store.postgres` implement it (their SQL is
shared, :mod:`agent.store.sql`). :func:`open_store` opens the one ``[store] url`` names
(``sqlite:///ABSOLUTE/PATH``, by default ``agent.sqlite3`` in the data directory; or
``postgresql://USER@HOST:PORT/DATABASE``, its password from libpq's ``~/.pgpass`` or
``PGPASSWORD``, never from the URL).

``Store`` imported from here is the SQLite store, for the callers that open a file
(``Store.open(path)``); code that only uses a store types it with :class:`StorePort`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from agent.config import Config
from agent.store.base import DATABASE_ERRORS, OPEN_STATUSES, StoreError
from agent.store.base import Store as StorePort
from agent.store.password import store_password
from agent.store.postgres import PostgresStore
from agent.store.sqlite import DB_NAME, SqliteStore
from agent.store.sqlite import SqliteStore as Store
from agent.store_schema import MIGRATIONS

__all__ = [
    "DATABASE_ERRORS",
    "DB_NAME",
    "MIGRATIONS",
    "OPEN_STATUSES",
    "PostgresStore",
    "SqliteStore",
    "Store",
    "StoreError",
    "StorePort",
    "open_store",
    "sqlite_path",
    "store_exists",
    "unavailable",
]


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def sqlite_path(config: Config) -> Path | None:
    """The SQLite file the config's store lives in; None when it is not SQLite.

    Raises:
        StoreError: a ``sqlite://`` URL whose path is not absolute.
    """
    url = config.store.url
    if url is None:
        return config.agent.data_dir / DB_NAME
    scheme, _, rest = url.partition("://")
    if scheme != "sqlite":
        return None
    if not rest.startswith("/") or rest == "/":
        raise StoreError(
            f"[store] url {url!r}: expected sqlite:///ABSOLUTE/PATH (three slashes, then the "
            "absolute path of the database file)"
        )
    return Path(rest)


def store_exists(config: Config) -> bool:
    """Whether the config's store exists already (a PostgreSQL database is assumed to: the
    agent never creates one, only its tables)."""
    path = sqlite_path(config)
    return path is None or path.is_file()


def unavailable(scheme: str) -> StoreError:
    """The error for a ``[store] url`` naming a backend this version lacks."""
    return StoreError(f"[store] url: the {scheme} backend is not available in this version")


def open_store(config: Config, *, now: Callable[[], dt.datetime] = _utcnow) -> StorePort:
    """Open (creating and migrating it if needed) the store ``[store] url`` names.

    Raises:
        StoreError: the URL names a backend this version lacks, or the store cannot be opened.
    """
    path = sqlite_path(config)
    if path is not None:
        return SqliteStore.open(path, now=now)
    url = config.store.url or ""
    scheme = url.partition("://")[0]
    if scheme == "postgresql":
        return PostgresStore.open(url, now=now, password=store_password(config, url))
    raise unavailable(scheme)


def _conforms(sqlite: SqliteStore, postgres: PostgresStore) -> tuple[StorePort, StorePort]:
    """Never called: mypy checks here that both stores implement the port."""
    return sqlite, postgres

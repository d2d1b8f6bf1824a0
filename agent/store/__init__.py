"""The agent's store: the only package that runs SQL.

:class:`agent.store.base.Store` is the port (what the agent asks of its store, in its own
terms); :mod:`agent.store.sqlite` implements it. :func:`open_store` opens the one
``[store] url`` names (``sqlite:///ABSOLUTE/PATH``; by default ``agent.sqlite3`` in the data
directory).

``Store`` imported from here is the SQLite store, for the callers that open a file
(``Store.open(path)``); code that only uses a store types it with :class:`StorePort`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from agent.config import Config
from agent.store.base import OPEN_STATUSES, StoreError
from agent.store.base import Store as StorePort
from agent.store.sqlite import DB_NAME, SqliteStore
from agent.store.sqlite import SqliteStore as Store
from agent.store_schema import MIGRATIONS

__all__ = [
    "DB_NAME",
    "MIGRATIONS",
    "OPEN_STATUSES",
    "SqliteStore",
    "Store",
    "StoreError",
    "StorePort",
    "open_store",
    "sqlite_path",
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


def unavailable(scheme: str) -> StoreError:
    """The error for a ``[store] url`` naming a backend this version lacks."""
    return StoreError(f"[store] url: the {scheme} backend is not available in this version")


def open_store(config: Config, *, now: Callable[[], dt.datetime] = _utcnow) -> StorePort:
    """Open (creating and migrating it if needed) the store ``[store] url`` names.

    Raises:
        StoreError: the URL names a backend this version lacks, or the store cannot be opened.
    """
    path = sqlite_path(config)
    if path is None:
        scheme = (config.store.url or "").partition("://")[0]
        raise unavailable(scheme)
    return SqliteStore.open(path, now=now)


def _conforms(store: SqliteStore) -> StorePort:
    """Never called: mypy checks here that the SQLite store implements the port."""
    return store

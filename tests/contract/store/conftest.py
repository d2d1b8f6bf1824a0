"""The store contract's fixture: one fresh store per test, for every backend.

As APScheduler tests its job stores, each contract test runs once per backend; a backend
joins by adding its name to :data:`BACKENDS` and a branch to :func:`_url` (PostgreSQL: a
throwaway cluster started by the tests themselves).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.config import AgentSettings, Config, StoreSettings
from agent.store import StorePort, open_store

BACKENDS = ("sqlite", "postgresql")
NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


def _url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite://{tmp_path / 'contract' / 'agent.sqlite3'}"
    if request.param == "postgresql":
        return str(request.getfixturevalue("pg_url"))
    raise AssertionError(f"unknown backend {request.param}")  # pragma: no cover


@pytest.fixture(params=BACKENDS)
def store_config(request: pytest.FixtureRequest, tmp_path: Path) -> Config:
    """A config whose ``[store] url`` names a fresh store of one backend."""
    url = _url(request, tmp_path)
    return Config(agent=AgentSettings(data_dir=tmp_path / "data"), store=StoreSettings(url=url))


@pytest.fixture
def store(store_config: Config) -> Iterator[StorePort]:
    """A fresh, migrated store of one backend, through ``open_store`` as the agent opens it."""
    with open_store(store_config, now=lambda: NOW) as opened:
        yield opened

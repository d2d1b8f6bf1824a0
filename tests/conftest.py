"""Shared fixtures: paths to the independent oracle in ../shared/cdc; a throwaway PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pgcluster import PgCluster, PgUnavailable

ROOT = Path(__file__).resolve().parent.parent
SHARED_CDC = ROOT.parent / "shared" / "cdc"


@pytest.fixture(scope="session")
def shared_cdc() -> Path:
    """The folder of official XSDs, samples and reports (never copied into the project)."""
    if not SHARED_CDC.is_dir():
        pytest.fail(f"oracle folder missing: {SHARED_CDC}")
    return SHARED_CDC


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """A PostgreSQL cluster started for this session (stopped at its end, pass or fail).

    Fails (never skips) when PostgreSQL cannot start: ``make test`` runs both store backends.
    """
    try:
        cluster = PgCluster()
    except PgUnavailable as exc:
        pytest.fail(f"PostgreSQL for the store tests: {exc}")
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def pg_url(pg_cluster: PgCluster) -> str:
    """The URL of a fresh, empty database of the session's cluster (one per test)."""
    return pg_cluster.new_database()


@pytest.fixture
def pools_started(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Two CPUs, as far as process pools know; the process count of each pool started
    (``builders.flux.parallel.Pool``), in order."""
    from builders.flux import parallel

    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 2)
    started: list[int] = []
    real_pool = parallel.Pool

    def counting_pool(workers: int, **kwargs: object) -> object:
        started.append(workers)
        return real_pool(workers, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(parallel, "Pool", counting_pool)
    return started

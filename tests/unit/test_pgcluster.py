"""The throwaway PostgreSQL cluster the store tests use: reachable, one database per test."""

from __future__ import annotations

from pathlib import Path

import psycopg

from tests.pgcluster import PgCluster


def test_each_test_gets_its_own_empty_database(pg_cluster: PgCluster, pg_url: str) -> None:
    other = pg_cluster.new_database()
    assert other != pg_url
    with psycopg.connect(pg_url) as conn:
        conn.execute("CREATE TABLE mine (x int)")
    with psycopg.connect(other) as conn:
        row = conn.execute("SELECT count(*) FROM pg_tables WHERE tablename = 'mine'").fetchone()
        assert row == (0,)
        owner = conn.execute("SELECT current_setting('port')").fetchone()
        assert owner == (str(pg_cluster.port),)


def test_the_server_does_not_run_as_root(pg_url: str) -> None:
    with psycopg.connect(pg_url) as conn:
        row = conn.execute("SELECT pg_read_file('postmaster.pid')").fetchone()
    assert row is not None
    # The data folder's owner runs the server; root would have been refused by postgres.
    pid = int(str(row[0]).splitlines()[0])
    with Path(f"/proc/{pid}/status").open(encoding="ascii") as status:
        uid = next(line for line in status if line.startswith("Uid:")).split()[1]
    assert uid != "0"

"""PostgreSQL specifics: set-based moves, row locks between two agents, event id order."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

import psycopg
import pytest

from agent.lifecycle import PassageStatus, TransitionError
from agent.store import PostgresStore
from agent.store.postgres import PgConnection
from agent.store.postgres_schema import PG_MIGRATIONS
from agent.store.sql import Cursor
from tests.agent.conftest import add_test_batch, new_passage, old_store_passages
from tests.contract.store.moves import check_migrated_store, count_move_statements

P = PassageStatus


def _record(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every statement PostgreSQL stores send."""
    seen: list[str] = []
    real = PgConnection.execute

    def execute(self: PgConnection, sql: str, params: Sequence[Any] = (), /) -> Cursor:
        seen.append(sql)
        return real(self, sql, params)

    monkeypatch.setattr(PgConnection, "execute", execute)
    return seen


def test_batch_moves_do_not_query_per_passage(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """add_batch, hold and release of 300 passages: a handful of statements each."""
    with PostgresStore.open(pg_url) as store:
        added, held, released = count_move_statements(store, _record(monkeypatch))
    assert added <= 10, added
    assert held <= 12, held
    assert released <= 15, released


def test_migrations_8_and_9_keep_an_existing_store(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """batch_counts starts from the passages already in batches, then follows their moves;
    the records move to passage_records (migration 9) and are still read by the build."""
    monkeypatch.setattr(PostgresStore, "_MIGRATIONS", PG_MIGRATIONS[:7])
    with PostgresStore.open(pg_url) as store:
        old, ids = old_store_passages(store, 4, 3)
    monkeypatch.undo()
    with PostgresStore.open(pg_url) as store:
        check_migrated_store(store, old, ids)


def _wait_until_someone_waits(url: str) -> None:
    """Return once another connection of this database waits for a lock."""
    deadline = time.monotonic() + 60
    while not _waiting_for_a_lock(url):
        assert time.monotonic() < deadline, "no connection ever waited for a lock"
        time.sleep(0.05)


def _waiting_for_a_lock(url: str) -> bool:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND datname = current_database()"
        ).fetchone()
    return bool(row and row[0])


def test_a_checked_move_waits_for_the_other_agents_and_sees_its_result(pg_url: str) -> None:
    """Two agents on one database move the same passage: the second waits for the first's
    row lock, then finds the passage already moved (SQLite: BEGIN IMMEDIATE does this)."""
    with PostgresStore.open(pg_url) as first, PostgresStore.open(pg_url) as second:
        pid = first.put_passage(new_passage("L1"), status=P.PENDING)
        add_test_batch(first, [pid])
        outcome: list[BaseException | None] = []

        def second_agent() -> None:
            try:
                second.set_passage_status(pid, P.DEPOSITED)
                outcome.append(None)
            except TransitionError as exc:
                outcome.append(exc)

        with first.transaction():
            first.set_passage_status(pid, P.DEPOSITED)
            thread = threading.Thread(target=second_agent)
            thread.start()
            _wait_until_someone_waits(pg_url)
        thread.join(60)
        assert len(outcome) == 1
        assert isinstance(outcome[0], TransitionError)
        assert first.passage_by_id(pid).status is P.DEPOSITED


def test_event_ids_become_visible_in_order(pg_url: str) -> None:
    """An event written in a long transaction holds back the next writer, so a reader that
    saw id N never later finds an id below N appearing (the outbox reads by id)."""
    with PostgresStore.open(pg_url) as first, PostgresStore.open(pg_url) as second:
        done = threading.Event()

        def later_writer() -> None:
            second.add_event("later", "second")
            done.set()

        with first.transaction():
            first.add_event("earlier", "first")
            thread = threading.Thread(target=later_writer)
            thread.start()
            _wait_until_someone_waits(pg_url)
            assert not done.is_set()
        thread.join(60)
        assert [e.kind for e in first.events()] == ["earlier", "later"]

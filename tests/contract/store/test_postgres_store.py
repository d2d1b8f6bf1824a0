"""PostgreSQL specifics: set-based moves, row locks between two agents, event id order."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

import psycopg
import pytest

from agent.collect import hold_batch, release_held
from agent.lifecycle import BatchStatus, PassageStatus, TransitionError
from agent.store import PostgresStore
from agent.store.postgres import PgConnection
from agent.store.sql import Cursor
from tests.agent.conftest import add_test_batch, new_passage

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
        ids = [store.put_passage(new_passage(f"S{i:04d}"), status=P.PENDING) for i in range(300)]
        seen = _record(monkeypatch)
        batch_id = add_test_batch(store, ids)
        added = len(seen)
        store.set_batch_status(batch_id, BatchStatus.UPLOADING)
        seen.clear()
        hold_batch(store, store.batch(batch_id), BatchStatus.FILE_REJECTED, "refused")
        held = len(seen)
        seen.clear()
        assert release_held(store, "fp2", lambda _line: None) == 300
        released = len(seen)
        assert {p.status for p in store.passages()} == {P.PENDING}
        assert store.batch_passage_counts() == {batch_id: {"pending": 300}}
    assert added <= 10, added
    assert held <= 12, held
    assert released <= 12, released


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
            deadline = time.monotonic() + 60
            while not _waiting_for_a_lock(pg_url):
                assert time.monotonic() < deadline, "the second agent never waited"
                time.sleep(0.05)
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
            deadline = time.monotonic() + 60
            while not _waiting_for_a_lock(pg_url):
                assert time.monotonic() < deadline, "the second writer never waited"
                time.sleep(0.05)
            assert not done.is_set()
        thread.join(60)
        assert [e.kind for e in first.events()] == ["earlier", "later"]

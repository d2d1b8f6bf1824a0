"""SQLite specifics: a batch move is a few statements whatever its size; migration 5."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.lifecycle import PassageStatus
from agent.store import DB_NAME, Store
from agent.store_schema import MIGRATIONS
from tests.agent.conftest import add_test_batch, new_passage
from tests.contract.store.moves import count_move_statements


def _statements(store: Store) -> list[str]:
    """Start recording the SQL the store's connection runs (sqlite3's trace callback)."""
    seen: list[str] = []

    def record(sql: str) -> None:
        # A statement whose triggers run is reported again for each of their statements:
        # count it once (a per-passage loop sends statements that differ by their ids).
        if sql not in seen:
            seen.append(sql)

    store._conn.set_trace_callback(record)  # the test reads the SQL run
    return seen


def test_batch_moves_do_not_query_per_passage(tmp_path: Path) -> None:
    """add_batch, upload, hold and release of 300 passages: a handful of statements each."""
    with Store.open(tmp_path / DB_NAME) as store:
        added, held, released = count_move_statements(store, _statements(store))
    # One passage per statement would be 300+ each; today 6, 8 and 8 (BEGIN/COMMIT, checks,
    # the move, the batch row, the event).
    assert added <= 10, added
    assert held <= 10, held
    assert released <= 15, released


def test_migration_5_counts_the_batches_of_an_existing_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """batch_counts starts from the passages already in batches, then follows their moves."""
    path = tmp_path / DB_NAME
    monkeypatch.setattr(Store, "_MIGRATIONS", MIGRATIONS[:7])
    with Store.open(path) as store:
        ids = [
            store.put_passage(new_passage(f"M{index}"), status=PassageStatus.PENDING)
            for index in range(4)
        ]
        old = add_test_batch(store, ids[:3])
    monkeypatch.undo()
    with Store.open(path) as store:
        assert store.batch_passage_counts() == {old: {"batched": 3}}
        store.move_passages(ids[:1], PassageStatus.INVALID)
        new = add_test_batch(store, ids[3:], "b.xml")
        assert store.batch_passage_counts() == {
            old: {"batched": 2, "invalid": 1},
            new: {"batched": 1},
        }

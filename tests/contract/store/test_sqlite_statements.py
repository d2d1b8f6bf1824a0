"""SQLite specifics: a batch move is a few statements whatever its size; migrations 8 and 9;
the build's and status's reads from an index."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.lifecycle import PassageStatus
from agent.store import DB_NAME, Store
from agent.store_schema import MIGRATIONS
from tests.agent.conftest import new_passage, old_store_passages
from tests.contract.store.moves import check_migrated_store, count_move_statements


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


def test_migrations_8_and_9_keep_an_existing_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """batch_counts starts from the passages already in batches, then follows their moves;
    the records move to passage_records (migration 9) and are still read by the build."""
    path = tmp_path / DB_NAME
    monkeypatch.setattr(Store, "_MIGRATIONS", MIGRATIONS[:7])
    with Store.open(path) as store:
        old, ids = old_store_passages(store, 4, 3)
    monkeypatch.undo()
    with Store.open(path) as store:
        check_migrated_store(store, old, ids)


@pytest.mark.parametrize("read", ["iter_pending", "late_passages"])
def test_build_and_late_reads_use_an_index_not_a_scan_or_sort(tmp_path: Path, read: str) -> None:
    """The build's pending passages in group order, and status's late passages, are read
    from an index (migration 9): neither a scan of every passage nor a sort of them."""
    with Store.open(tmp_path / DB_NAME) as store:
        store.put_passage(new_passage("I1"), status=PassageStatus.PENDING)
        seen = _statements(store)
        list(getattr(store, read)())
        [sql] = [s for s in seen if s.startswith("SELECT")]
        plan = [row[3] for row in store._conn.execute(f"EXPLAIN QUERY PLAN {sql}")]
    assert not [step for step in plan if "TEMP B-TREE" in step], plan
    scans = [step for step in plan if step.startswith("SCAN")]
    assert all("INDEX passages_" in step for step in scans), plan
    assert any("INDEX passages_" in step for step in plan), plan

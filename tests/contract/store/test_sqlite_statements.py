"""SQLite specifics: a batch move is a few statements whatever its size; migration 5."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.collect import hold_batch, release_held
from agent.lifecycle import BatchStatus, PassageStatus
from agent.store import DB_NAME, Store
from agent.store_schema import MIGRATIONS
from tests.agent.conftest import add_test_batch, new_passage, old_store_passages


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
        ids = [
            store.put_passage(new_passage(f"S{index:04d}"), status=PassageStatus.PENDING)
            for index in range(300)
        ]
        seen = _statements(store)
        batch_id = add_test_batch(store, ids)
        added = len(seen)
        store.set_batch_status(batch_id, BatchStatus.UPLOADING)
        seen.clear()
        hold_batch(store, store.batch(batch_id), BatchStatus.FILE_REJECTED, "refused")
        held = len(seen)
        seen.clear()
        assert release_held(store, "fp2", lambda _line: None) == 300
        released = len(seen)
        assert {p.status for p in store.passages()} == {PassageStatus.PENDING}
    # One passage per statement would be 300+ each; today 6, 8 and 8 (BEGIN/COMMIT, checks,
    # the move, the batch row, the event).
    assert added <= 10, added
    assert held <= 10, held
    assert released <= 15, released


def test_migrations_5_and_9_keep_an_existing_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """batch_counts starts from the passages already in batches, then follows their moves;
    the records move to passage_records (migration 9) and are still read by the build."""
    path = tmp_path / DB_NAME
    monkeypatch.setattr("agent.store.sqlite.MIGRATIONS", MIGRATIONS[:4])
    Store.open(path).close()
    old_store_passages(path, 4, 3)
    monkeypatch.undo()
    with Store.open(path) as store:
        assert store.batch_passage_counts() == {1: {"batched": 3}}
        assert store.record_json(2) == '{"record": 2}'
        assert list(store.iter_pending()) == [(4, "M4", '{"record": 4}')]
        store.move_passages([1], PassageStatus.INVALID)
        new = add_test_batch(store, [4], "b.xml")
        assert store.batch_passage_counts() == {
            1: {"batched": 2, "invalid": 1},
            new: {"batched": 1},
        }


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

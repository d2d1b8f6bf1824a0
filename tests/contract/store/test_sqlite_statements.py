"""SQLite: a batch move is a fixed number of statements, whatever the batch's size."""

from __future__ import annotations

from pathlib import Path

from agent.collect import hold_batch, release_held
from agent.lifecycle import BatchStatus, PassageStatus
from agent.store import DB_NAME, Store
from tests.agent.conftest import add_test_batch, new_passage


def _statements(store: Store) -> list[str]:
    """Start recording the SQL the store's connection runs (sqlite3's trace callback)."""
    seen: list[str] = []
    store._conn.set_trace_callback(seen.append)  # the test reads the SQL run
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

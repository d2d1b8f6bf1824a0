"""The batch moves whose statements the backend-specific tests count; a migrated store."""

from __future__ import annotations

from agent.collect import hold_batch, release_held
from agent.lifecycle import BatchStatus, PassageStatus
from agent.store import StorePort
from tests.agent.conftest import add_test_batch, new_passage

PASSAGES = 300


def count_move_statements(store: StorePort, seen: list[str]) -> tuple[int, int, int]:
    """Statements (recorded into ``seen``) that add_batch, hold and release of 300 passages
    send, each; checks that every passage moved."""
    ids = [
        store.put_passage(new_passage(f"S{index:04d}"), status=PassageStatus.PENDING)
        for index in range(PASSAGES)
    ]
    seen.clear()
    batch_id = add_test_batch(store, ids)
    added = len(seen)
    store.set_batch_status(batch_id, BatchStatus.UPLOADING)
    seen.clear()
    hold_batch(store, store.batch(batch_id), BatchStatus.FILE_REJECTED, "refused")
    held = len(seen)
    seen.clear()
    assert release_held(store, "fp2", lambda _line: None) == PASSAGES
    released = len(seen)
    assert {p.status for p in store.passages()} == {PassageStatus.PENDING}
    assert store.batch_passage_counts() == {batch_id: {"pending": PASSAGES}}
    return added, held, released


def check_migrated_store(store: StorePort, old: int, ids: list[int]) -> None:
    """A store written before migrations 8 and 9 (:func:`old_store_passages`, 4 passages, the
    first 3 in batch ``old``): batch_counts counts them and follows their moves; the records
    moved to passage_records are read back by the build."""
    assert store.batch_passage_counts() == {old: {"batched": 3}}
    assert store.record_json(ids[1]) == '{"record": 2}'
    assert list(store.iter_pending()) == [(ids[3], "M4", b'{"record": 4}')]
    store.move_passages(ids[:1], PassageStatus.INVALID)
    new = add_test_batch(store, ids[3:], "b.xml")
    assert store.batch_passage_counts() == {
        old: {"batched": 2, "invalid": 1},
        new: {"batched": 1},
    }

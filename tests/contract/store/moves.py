"""The batch moves whose statements the backend-specific tests count."""

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

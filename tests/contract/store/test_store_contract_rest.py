"""The rest of the store port's contract, on every backend: the event log and outbox, imported
files, passages read and replaced, documents, attempts, cursors, state, login pauses, deadlines.
"""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest

from agent.config import Config
from agent.lifecycle import BatchStatus, PassageStatus, TransitionError
from agent.rows import Notice
from agent.store import DATABASE_ERRORS, StoreError, StorePort, open_store
from agent.store_schema import MIGRATIONS
from tests.agent.conftest import add_test_batch as _batch
from tests.agent.conftest import new_passage

P = PassageStatus
NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


def test_event_log_reads_and_outbox(store: StorePort) -> None:
    for index in range(5):
        store.add_event("k" if index % 2 else "other", f"m{index}", level="info", batch_id=None)
    store.add_event("k", "warned", level="warning")
    assert [e.message for e in store.events(limit=2)] == ["m4", "warned"]
    last = store.last_event_id()
    assert last == store.events()[-1].id
    assert [e.message for e in store.events_after(last - 2)] == ["m4", "warned"]
    assert store.last_event("k").message == "warned"  # type: ignore[union-attr]
    assert store.last_event("k", level="info").message == "m3"  # type: ignore[union-attr]
    assert store.last_event("k", before_id=last).message == "m3"  # type: ignore[union-attr]
    assert store.last_event("absent") is None
    first = store.events()[0].id
    assert [e.message for e in store.events_between(first, first + 1)] == ["m0", "m1"]
    assert store.event_by_id(first) == store.events()[0]
    assert store.event_by_id(last + 100) is None
    assert store.last_event_id(before="2000-01-01") == 0


def test_event_log_is_append_only_but_purgeable(store: StorePort) -> None:
    store.add_event("old", "kept until purged")
    with pytest.raises(DATABASE_ERRORS), store.transaction():
        # Not through the port: the database itself refuses an edit of the log.
        store._conn.execute("UPDATE events SET message = 'edited'")  # type: ignore[attr-defined]
    assert store.events()[0].message == "kept until purged"
    assert store.purge_events(NOW - dt.timedelta(days=1)) == 0
    assert store.purge_events(NOW + dt.timedelta(days=1)) == 1
    assert store.events() == []


def test_events_of_one_batch(store: StorePort) -> None:
    ids = [store.put_passage(new_passage("E1"), status=P.PENDING)]
    batch_id = _batch(store, ids)
    store.add_event("mine", "of the batch", batch_id=batch_id)
    store.add_event("other", "not of the batch")
    assert [e.kind for e in store.events(batch_id=batch_id)] == ["mine"]


def test_imported_files_and_row_errors(store: StorePort) -> None:
    source_id = store.add_source("a" * 64, "export.csv")
    store.add_row_error(source_id, 3, "dateNaissance", "1990-13-01", "not a date")
    store.finish_source(
        source_id, rows=3, valid=1, invalid=1, skipped=1, report="/r.csv", moved_to="/moved.csv"
    )
    source = store.source(source_id)
    assert source is not None
    assert (source.rows, source.valid, source.invalid, source.skipped) == (3, 1, 1, 1)
    assert source.error_report == "/r.csv"
    assert store.source_by_sha("a" * 64) == source
    assert store.source_by_sha("b" * 64) is None
    second = store.add_source("b" * 64, "second.csv")
    assert [s.id for s in store.sources(limit=1)] == [second]
    pid = store.put_passage(
        new_passage("R1", source_file_id=source_id, source_row=7), status=P.INVALID
    )
    assert store.passage_source(pid) == (source_id, 7)
    assert store.files_awaiting_correction() == {"/moved.csv"}


def test_put_passage_replaces_the_record_and_checks_the_move(store: StorePort) -> None:
    pid = store.put_passage(new_passage("U1"), status=P.INVALID, reasons=["x: bad"])
    assert store.passage_by_id(pid).reasons == ("x: bad",)
    again = store.put_passage(new_passage("U1", holder="A.B. 1980"), status=P.PENDING)
    assert again == pid
    passage = store.passage("12ABC345", "U1")
    assert passage is not None
    assert (passage.status, passage.holder, passage.reasons) == (P.PENDING, "A.B. 1980", ())
    assert store.record_json(pid) == '{"fake": true}'
    store.put_passage(new_passage("U1", emitter="99ZZZ999"), status=P.PENDING)
    assert len(store.passages_with_id_technique("U1")) == 2
    _batch(store, [pid])
    with pytest.raises(TransitionError):
        store.put_passage(new_passage("U1"), status=P.PENDING)  # batched -> pending
    with pytest.raises(StoreError, match="no passage with id"):
        store.passage_by_id(pid + 1000)


def test_reads_by_status_deadline_and_build_order(store: StorePort) -> None:
    late = store.put_passage(
        new_passage("D2", certification_code="RS0001", deadline=dt.date(2026, 3, 1)),
        status=P.PENDING,
    )
    soon = store.put_passage(new_passage("D1", deadline=dt.date(2026, 3, 5)), status=P.PENDING)
    store.put_passage(new_passage("D3", deadline=None, delivery_date=None), status=P.INVALID)
    assert [p.id for p in store.open_passages_due(dt.date(2026, 3, 10))] == [late, soon]
    assert store.pending_due_count(dt.date(2026, 3, 2)) == 1
    assert store.undeposited_due_count(dt.date(2026, 3, 10), held_class="file") == 2
    # Build-group order: certification code before id.
    assert [row[0] for row in store.iter_pending()] == [late, soon]
    assert store.passage_counts() == {"pending": 2, "invalid": 1}
    assert [p.id for p in store.passages(status=P.PENDING)] == [late, soon]


def test_late_passages_and_uploaded_before(store: StorePort) -> None:
    ids = [
        store.put_passage(new_passage(f"L{i}", deadline=dt.date(2026, 3, i)), status=P.PENDING)
        for i in (1, 9)
    ]
    first = _batch(store, ids, "first.xml")
    store.set_batch_status(first, BatchStatus.UPLOADING)
    store.move_batch(first, (P.BATCHED,), P.DEPOSITED)
    store.set_batch_status(first, BatchStatus.UPLOADED)
    marked = store.mark_late_in_batch(first, dt.date(2026, 3, 2))
    assert [p.id for p in marked] == ids[:1]
    assert [p.id for p in store.late_passages()] == ids[:1]
    assert store.mark_late_in_batch(first, dt.date(2026, 3, 2)) == []
    store.move_passages(ids, P.REJECTED)
    store.move_passages(ids, P.PENDING)
    second = _batch(store, ids, "second.xml")
    assert store.was_uploaded_before(ids[0], second)
    assert not store.was_uploaded_before(ids[0], first)
    assert store.batch_roster(first) == {
        "L1": (ids[0], P.BATCHED, False),
        "L9": (ids[1], P.BATCHED, False),
    }
    assert {key: p.current for key, p in store.batch_roster(second).items()} == {
        "L1": True,
        "L9": True,
    }


def test_batches_by_status_and_name_and_checked_moves(store: StorePort) -> None:
    ids = [store.put_passage(new_passage(f"B{i}"), status=P.PENDING) for i in range(2)]
    one = _batch(store, ids[:1], "one.xml")
    two = _batch(store, ids[1:], "two.xml")
    store.set_batch_status(two, BatchStatus.UPLOADING, message="going")
    assert [b.id for b in store.batches(BatchStatus.UPLOADING)] == [two]
    assert [b.id for b in store.batches()] == [one, two]
    assert store.batch_by_name("two.xml").message == "going"  # type: ignore[union-attr]
    assert store.batch_by_name("none.xml") is None
    with pytest.raises(TransitionError):
        store.set_batch_status(one, BatchStatus.ACCEPTED)
    with pytest.raises(StoreError, match="no batch with id"):
        store.batch(two + 100)
    store.mark_released(one)
    assert store.batch(one).released_at is not None


def test_documents_attempts_cursors_and_state(store: StorePort, tmp_path: Path) -> None:
    ids = [store.put_passage(new_passage("A1"), status=P.PENDING)]
    batch_id = _batch(store, ids)
    assert store.add_document(batch_id, "ar", tmp_path / "ar.pdf", "c" * 64, 12)
    assert not store.add_document(batch_id, "ar", tmp_path / "ar2.pdf", "c" * 64, 12)
    assert [d.kind for d in store.documents(batch_id)] == ["ar"]
    attempt = store.start_attempt("deposit", batch_id=batch_id)
    store.finish_attempt(attempt, "ok", message="done", evidence=[tmp_path / "shot.png"])
    (only,) = store.attempts(batch_id=batch_id)
    assert (only.outcome, only.message, len(only.evidence)) == ("ok", "done", 1)
    assert store.notify_cursor("mail") is None
    store.set_notify_cursor("mail", 3, error="down")
    store.set_notify_cursor("mail", 3, error="still down")
    assert store.notify_cursors()[0]["failures"] == 2
    store.set_notify_cursor("mail", 5, error=None)
    assert store.notify_cursor("mail") == 5
    assert store.notify_cursors()[0]["failures"] == 0
    assert store.state("heartbeat") is None
    store.set_state("heartbeat", "1")
    store.set_state("heartbeat", "2")
    assert store.state("heartbeat") == "2"


def test_login_pauses_keep_bytes(store: StorePort) -> None:
    salt, digest = bytes(range(16)), b"\x00\xff" * 16
    store.set_login_pause("https://p", "me", salt=salt, digest=digest, message="refused")
    store.set_login_pause("https://p", "me", salt=salt, digest=digest, message="refused again")
    pause = store.login_pause("https://p", "me")
    assert pause is not None
    assert (pause.salt, pause.digest, pause.message) == (salt, digest, "refused again")
    assert store.clear_login_pause("https://p", "me")
    assert not store.clear_login_pause("https://p", "me")


def test_inbox_notices_are_new_once(store: StorePort) -> None:
    first = [Notice("a.xls", "xls", "not read"), Notice("b", "folder", "skipped")]
    assert store.sync_notices(first) == first
    assert store.sync_notices(first) == []
    changed = [Notice("a.xls", "xls", "still not read")]
    assert store.sync_notices(changed) == changed
    assert store.notices() == changed
    assert store.sync_notices([]) == []
    assert store.notices() == []


def test_holder_key_is_a_64_bit_integer(store: StorePort) -> None:
    pid = store.put_passage(new_passage("H1"), status=P.PENDING)
    key = -(2**63) + 12345
    store.set_holder_key(pid, key)
    assert store.same_holder("12ABC345", key, "H2") == ("H1", "pending")
    assert store.same_holder("12ABC345", key, "H1") is None


def test_withdrawal_and_corrections(store: StorePort) -> None:
    pid = store.put_passage(new_passage("W1"), status=P.PENDING)
    batch_id = _batch(store, [pid])
    store.move_batch(batch_id, (P.BATCHED,), P.DEPOSITED)
    store.set_passage_status(pid, P.ACCEPTED, message="OK")
    store.hold_correction(pid, '{"new": 1}', "d" * 64, ["nom"])
    assert store.correction(pid) == ('{"new": 1}', "d" * 64)
    store.request_withdrawal(pid, reason="corrected")
    assert [row[0] for row in store.iter_withdrawing()] == [pid]
    passage = store.passage_by_id(pid)
    assert (passage.status, passage.batch_id, passage.withdraw_reason) == (
        P.WITHDRAWING,
        None,
        "corrected",
    )


def test_two_stores_opening_at_once_migrate_once(store_config: Config) -> None:
    """Two processes (here threads, each with its own connection) starting on a new store."""
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            with open_store(store_config) as opened:
                opened.add_event("started", "one opener")
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with open_store(store_config) as store:
        assert len(store.migrations()) == len(MIGRATIONS)
        assert len(store.events()) == 2

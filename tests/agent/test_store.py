"""The SQLite store: migrations, permissions, append-only log, checked status changes."""

from __future__ import annotations

import datetime as dt
import sqlite3
import stat
import threading
from pathlib import Path

import pytest

from agent.lifecycle import BatchStatus, PassageStatus, TransitionError
from agent.store import DB_NAME, Store, StoreError
from agent.store_schema import MIGRATIONS
from tests.agent.conftest import NOW, add_test_batch, new_passage, old_store_passages


def test_store_open_migrates_once_and_is_owner_only(tmp_path: Path) -> None:
    """Opening applies every migration once, records it, and leaves the file 0600 in WAL."""
    path = tmp_path / "d" / DB_NAME
    with Store.open(path) as store:
        assert store.migrations() == [
            (number, name) for number, (name, _) in enumerate(MIGRATIONS, start=1)
        ]
        assert store.migrations()[0] == (1, "initial")
    with Store.open(path) as store:
        assert len(store.migrations()) == len(MIGRATIONS)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_store_migration_2_upgrades_an_existing_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store made before migration 2 keeps its files, which get 0 unidentified rows."""
    path = tmp_path / DB_NAME
    monkeypatch.setattr(Store, "_MIGRATIONS", MIGRATIONS[:1])
    with Store.open(path) as store:
        source = store.add_source("f" * 64, "old.csv")
    monkeypatch.undo()
    with Store.open(path) as store:
        assert [number for number, _ in store.migrations()] == list(range(1, len(MIGRATIONS) + 1))
        found = store.source(source)
        assert found is not None
        assert (found.name, found.unidentified, found.moved_to) == ("old.csv", 0, None)
        store.finish_source(
            source, rows=2, valid=0, invalid=2, skipped=0, report="", unidentified=1, moved_to="/m"
        )
        again = store.source(source)
        assert again is not None and (again.unidentified, again.moved_to) == (1, "/m")


def test_store_migration_withdrawals_upgrades_an_existing_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches and passages made before SUPPRESSION support are CREATION ones, no correction."""
    path = tmp_path / DB_NAME
    before = next(i for i, (name, _) in enumerate(MIGRATIONS) if name.startswith("withdrawals"))
    monkeypatch.setattr(Store, "_MIGRATIONS", MIGRATIONS[:before])
    with Store.open(path, now=lambda: NOW) as store:
        _, [pid] = old_store_passages(store, 1, 0)
    monkeypatch.undo()
    with Store.open(path, now=lambda: NOW) as store:
        batch_id = store.add_batch(
            name="b.xml",
            path="b.xml",
            sha256="0" * 64,
            size=1,
            schema_version="1.1.5",
            id_flux="x",
            fingerprint="f",
            passage_ids=[pid],
        )
        assert store.batch(batch_id).action == "CREATION"
        passage = store.passage_by_id(pid)
        assert (passage.accepted_at, passage.withdrawn_at, passage.correction_held) == (
            None,
            None,
            False,
        )


def test_store_opened_by_many_at_once_migrates_once(tmp_path: Path) -> None:
    """Several processes (threads here) opening a new store together all succeed."""
    path = tmp_path / DB_NAME
    errors: list[BaseException] = []

    def open_it() -> None:
        try:
            with Store.open(path) as store:
                store.add_event("opened", "ok")
        except StoreError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with Store.open(path) as store:
        assert len(store.migrations()) == len(MIGRATIONS)
        assert len(store.events()) == 8


def test_store_open_refuses_garbage(tmp_path: Path) -> None:
    """A file that is not a database gives a StoreError naming it."""
    path = tmp_path / DB_NAME
    path.write_bytes(b"not a database at all" * 100)
    with pytest.raises(StoreError, match="cannot open the store"):
        Store.open(path)


def test_store_event_log_is_append_only(store: Store, tmp_path: Path) -> None:
    """Events can be added and read back, never updated or deleted."""
    store.add_event("hello", "first")
    store.add_event("hello", "second", level="warning", batch_id=None)
    assert [e.message for e in store.events()] == ["first", "second"]
    conn = sqlite3.connect(tmp_path / "data" / DB_NAME)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE events SET message = 'x'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM events")
    conn.close()


def test_store_put_passage_insert_then_checked_update(store: Store) -> None:
    """A passage is inserted once per (emitter, idTechnique); updates respect the lifecycle."""
    pid = store.put_passage(new_passage("A1"), status=PassageStatus.PENDING)
    again = store.put_passage(new_passage("A1", holder="K.L. 1991"), status=PassageStatus.PENDING)
    assert again == pid
    assert store.passage("12ABC345", "A1").holder == "K.L. 1991"  # type: ignore[union-attr]
    other = store.put_passage(new_passage("A1", emitter="99ZZZ999"), status=PassageStatus.PENDING)
    assert other != pid
    store.set_passage_status(pid, PassageStatus.BATCHED)
    store.set_passage_status(pid, PassageStatus.DEPOSITED)
    store.set_passage_status(pid, PassageStatus.ACCEPTED, message=None)
    with pytest.raises(TransitionError, match="A1"):
        store.put_passage(new_passage("A1"), status=PassageStatus.PENDING)
    assert store.passage_by_id(pid).status is PassageStatus.ACCEPTED


def test_store_transaction_rolls_back_on_error(store: Store) -> None:
    """A failing transaction leaves nothing behind."""
    pid = store.put_passage(new_passage("A1"), status=PassageStatus.PENDING)
    with pytest.raises(TransitionError), store.transaction():
        store.add_event("x", "inside")
        store.set_passage_status(pid, PassageStatus.ACCEPTED)
    assert store.events() == []
    assert store.passage_by_id(pid).status is PassageStatus.PENDING


def test_store_add_batch_moves_passages_atomically(store: Store) -> None:
    """add_batch records the batch and batches its passages, or does nothing at all."""
    a = store.put_passage(new_passage("A1"), status=PassageStatus.PENDING)
    b = store.put_passage(new_passage("B2"), status=PassageStatus.INVALID, reasons=["bad"])
    with pytest.raises(TransitionError):
        add_test_batch(store, [a, b])
    assert store.batches() == []
    assert store.passage_by_id(a).status is PassageStatus.PENDING
    batch_id = add_test_batch(store, [a])
    batch = store.batch(batch_id)
    assert (batch.status, batch.passages, batch.name) == (BatchStatus.BUILT, 1, "a.xml")
    assert store.passage_by_id(a).batch_id == batch_id
    assert store.passage_counts(batch_id=batch_id) == {"batched": 1}
    assert store.batch_by_name("a.xml") == batch
    assert store.batch_by_name("zz.xml") is None


def test_store_batch_status_checked(store: Store) -> None:
    """Batch moves go through the lifecycle; counts and message are kept."""
    batch_id = add_test_batch(store, [])
    with pytest.raises(TransitionError):
        store.set_batch_status(batch_id, BatchStatus.ACCEPTED)
    store.set_batch_status(batch_id, BatchStatus.UPLOADING)
    store.set_batch_status(batch_id, BatchStatus.UPLOADED, message="ok")
    store.set_batch_status(batch_id, BatchStatus.PARTLY_REJECTED, accepted=2, rejected=1)
    batch = store.batch(batch_id)
    assert (batch.status, batch.accepted, batch.rejected, batch.message) == (
        BatchStatus.PARTLY_REJECTED,
        2,
        1,
        "ok",
    )
    assert store.batches(BatchStatus.UPLOADED) == []
    with pytest.raises(StoreError):
        store.batch(999)


def test_store_iter_pending_in_group_order(store: Store) -> None:
    """Pending records come grouped by emitter, certifier, contract and certification."""
    store.put_passage(new_passage("A1", certification_code="RS9"), status=PassageStatus.PENDING)
    store.put_passage(new_passage("B2", certification_code="RS1"), status=PassageStatus.PENDING)
    store.put_passage(new_passage("C3", certification_code="RS9"), status=PassageStatus.PENDING)
    store.put_passage(new_passage("D4"), status=PassageStatus.INVALID, reasons=["x"])
    assert [idt for _, idt, _ in store.iter_pending()] == ["B2", "A1", "C3"]


def test_store_deadlines_and_prior_uploads(store: Store) -> None:
    """Open passages due by a date are listed; prior uploads are detected per batch."""
    early = store.put_passage(
        new_passage("A1", deadline=dt.date(2026, 3, 10)), status=PassageStatus.PENDING
    )
    store.put_passage(new_passage("B2", deadline=dt.date(2026, 6, 1)), status=PassageStatus.PENDING)
    assert [p.id for p in store.open_passages_due(dt.date(2026, 3, 17))] == [early]
    assert store.pending_due_count(dt.date(2026, 3, 17)) == 1
    first = add_test_batch(store, [early], "one.xml")
    store.set_batch_status(first, BatchStatus.UPLOADING)
    assert not store.was_uploaded_before(early, 999)
    store.set_batch_status(first, BatchStatus.UPLOADED)
    assert store.was_uploaded_before(early, 999)
    assert not store.was_uploaded_before(early, first)


def test_store_attempts_and_documents(store: Store, tmp_path: Path) -> None:
    """Attempts keep outcome and evidence; the same document content is recorded once."""
    batch_id = add_test_batch(store, [])
    attempt = store.start_attempt("deposit", batch_id=batch_id)
    store.finish_attempt(attempt, "unavailable", message="HTTP 500", evidence=[tmp_path / "s.png"])
    [row] = store.attempts(batch_id=batch_id)
    assert (row.outcome, row.message, row.evidence) == (
        "unavailable",
        "HTTP 500",
        (str(tmp_path / "s.png"),),
    )
    assert row.started_at == NOW.isoformat(timespec="seconds")
    assert store.add_document(batch_id, "accuse_reception", tmp_path / "r", "a" * 64, 3)
    assert not store.add_document(batch_id, "accuse_reception", tmp_path / "r", "a" * 64, 3)
    assert [d.kind for d in store.documents(batch_id)] == ["accuse_reception"]


def test_store_source_files_by_hash(store: Store) -> None:
    """A source file is found again by its SHA-256 with its counts."""
    assert store.source_by_sha("e" * 64) is None
    source = store.add_source("e" * 64, "export.csv")
    store.finish_source(source, rows=3, valid=2, invalid=1, skipped=0, report="/r.csv")
    store.add_row_error(source, 3, "sexe", "X", "not M or F")
    found = store.source_by_sha("e" * 64)
    assert found is not None
    assert (found.name, found.valid, found.invalid, found.error_report) == (
        "export.csv",
        2,
        1,
        "/r.csv",
    )


def test_store_sources_latest_first_window(store: Store) -> None:
    """sources() returns the latest imports, oldest first."""
    for index in range(3):
        store.add_source(f"{index}" * 64, f"f{index}.csv")
    assert [s.name for s in store.sources(limit=2)] == ["f1.csv", "f2.csv"]


def test_store_open_while_another_process_migrates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A migration applied by another opener after this one looked is not applied twice."""
    path = tmp_path / DB_NAME
    Store.open(path).close()  # the other process, done first
    stale = Store._all

    def first_look_empty(self: Store, sql: str, params: object = ()) -> list[object]:
        if sql == "SELECT version FROM schema_migrations":
            return []  # what this process saw before the other one committed
        return stale(self, sql, params)  # type: ignore[arg-type]

    monkeypatch.setattr(Store, "_all", first_look_empty)
    with Store.open(path) as store:
        monkeypatch.undo()
        assert [number for number, _ in store.migrations()] == list(range(1, len(MIGRATIONS) + 1))

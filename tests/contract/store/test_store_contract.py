"""The store port's contract, run against every backend (see conftest.BACKENDS).

What every backend must do, in the agent's terms: checked and atomic moves, set-based batch
moves with the same effects as moving passages one by one, the reads status relies on.
"""

from __future__ import annotations

import pytest

from agent.config import Config
from agent.lifecycle import BatchAction, BatchStatus, PassageStatus, TransitionError
from agent.store import StoreError, StorePort, open_store
from agent.store_schema import MIGRATIONS
from tests.agent.conftest import add_test_batch as _batch
from tests.agent.conftest import new_passage
from tests.contract.store.conftest import NOW

P = PassageStatus


def _pending(store: StorePort, count: int, prefix: str = "T") -> list[int]:
    return [
        store.put_passage(new_passage(f"{prefix}{index:05d}"), status=P.PENDING)
        for index in range(count)
    ]


def _suppression(store: StorePort, ids: list[int]) -> int:
    """Deposit and accept ``ids``, ask their withdrawal and build its SUPPRESSION batch."""
    creation = _batch(store, ids, "c.xml")
    store.move_batch(creation, (P.BATCHED,), P.DEPOSITED)
    store.move_passages(ids, P.ACCEPTED)
    for pid in ids:
        store.request_withdrawal(pid)
    return _batch(store, ids, "s.xml", BatchAction.SUPPRESSION)


def _statuses(store: StorePort, ids: list[int]) -> list[PassageStatus]:
    return [store.passage_by_id(pid).status for pid in ids]


def test_open_migrates_once(store_config: Config) -> None:
    """Every migration is applied once, in order, and reopening applies nothing again."""
    expected = [(number, name) for number, (name, _) in enumerate(MIGRATIONS, start=1)]
    for _ in range(2):
        with open_store(store_config) as store:
            assert store.migrations() == expected


def test_add_batch_moves_every_passage_and_remembers_membership(store: StorePort) -> None:
    ids = _pending(store, 30)
    batch_id = _batch(store, ids[:20], "a.xml")
    assert _statuses(store, ids) == [P.BATCHED] * 20 + [P.PENDING] * 10
    assert store.batch(batch_id).passages == 20
    assert all(store.passage_by_id(pid).batch_id == batch_id for pid in ids[:20])
    members = store.batch_roster(batch_id)
    assert sorted(p.id for p in members.values()) == ids[:20]
    assert {(p.status, p.current) for p in members.values()} == {(P.BATCHED, True)}
    assert store.passage_counts(batch_id=batch_id) == {"batched": 20}


def test_add_batch_refuses_an_illegal_move_and_changes_nothing(store: StorePort) -> None:
    """One accepted passage among pending ones: the whole batch is refused, named by it."""
    ids = _pending(store, 5)
    first = _batch(store, ids[:1], "first.xml")
    store.move_batch(first, (P.BATCHED,), P.DEPOSITED)
    store.move_passages(ids[:1], P.ACCEPTED)
    with pytest.raises(TransitionError, match="T00000: passage cannot go from accepted"):
        _batch(store, ids, "second.xml")
    assert _statuses(store, ids) == [P.ACCEPTED] + [P.PENDING] * 4
    assert store.batch_by_name("second.xml") is None


def test_add_batch_with_an_unknown_passage_changes_nothing(store: StorePort) -> None:
    ids = _pending(store, 3)
    with pytest.raises(StoreError, match="1 of the 4 passages do not exist"):
        _batch(store, [*ids, 999_999], "a.xml")
    assert _statuses(store, ids) == [P.PENDING] * 3
    assert store.batches() == []


def test_suppression_batch_keeps_passages_withdrawing(store: StorePort) -> None:
    ids = _pending(store, 2)
    suppression = _suppression(store, ids)
    assert _statuses(store, ids) == [P.WITHDRAWING] * 2
    assert {store.passage_by_id(pid).batch_id for pid in ids} == {suppression}
    store.move_batch(suppression, (P.WITHDRAWING,), P.WITHDRAWN)
    done = [store.passage_by_id(pid) for pid in ids]
    assert [p.withdrawn_at for p in done] == [NOW.isoformat()] * 2


def test_move_batch_moves_only_waiting_passages_of_that_batch(store: StorePort) -> None:
    ids = _pending(store, 6)
    one = _batch(store, ids[:4], "one.xml")
    two = _batch(store, ids[4:], "two.xml")
    store.move_passages(ids[:1], P.INVALID)  # batched -> invalid: no longer waiting below
    moved = store.move_batch(
        one, (P.BATCHED,), P.REJECTED, message="refused", klass="file", hint="fix it"
    )
    assert moved == 3
    assert _statuses(store, ids) == [P.INVALID] + [P.REJECTED] * 3 + [P.BATCHED] * 2
    held = store.passage_by_id(ids[1])
    assert (held.cdc_message, held.cdc_class, held.hint) == ("refused", "file", "fix it")
    assert store.batch_roster(two) == {
        f"T{index:05d}": (ids[index], P.BATCHED, True) for index in (4, 5)
    }


def test_move_batch_only_class_and_reasons(store: StorePort) -> None:
    ids = _pending(store, 4)
    batch_id = _batch(store, ids, "a.xml")
    store.move_passages(ids[:2], P.REJECTED, message="m", klass="file")
    store.move_passages(ids[2:], P.REJECTED, message="m", klass="holder")
    moved = store.move_batch(batch_id, (P.REJECTED,), P.PENDING, reasons=[], only_class="file")
    assert moved == 2
    assert _statuses(store, ids) == [P.PENDING] * 2 + [P.REJECTED] * 2
    released = store.passage_by_id(ids[0])
    assert (released.cdc_message, released.cdc_class, released.reasons) == (None, None, ())


def test_move_batch_refuses_an_illegal_move(store: StorePort) -> None:
    """Checked against the statuses actually present: deposited cannot become invalid."""
    ids = _pending(store, 2)
    batch_id = _batch(store, ids, "a.xml")
    store.move_batch(batch_id, (P.BATCHED,), P.DEPOSITED)
    assert store.move_batch(batch_id, (P.BATCHED,), P.INVALID) == 0  # none batched: fine
    with pytest.raises(TransitionError, match="cannot go from deposited to invalid"):
        store.move_batch(batch_id, (P.BATCHED, P.DEPOSITED), P.INVALID)
    assert _statuses(store, ids) == [P.DEPOSITED] * 2


def test_move_passages_sets_accepted_at_once_and_is_atomic(store: StorePort) -> None:
    ids = _pending(store, 3)
    batch_id = _batch(store, ids, "a.xml")
    store.move_batch(batch_id, (P.BATCHED,), P.DEPOSITED)
    assert store.move_passages(ids[:2], P.ACCEPTED, message="ok") == 2
    first = store.passage_by_id(ids[0])
    assert (first.status, first.accepted_at, first.cdc_message) == (
        P.ACCEPTED,
        NOW.isoformat(),
        "ok",
    )
    with pytest.raises(TransitionError, match="cannot go from accepted to rejected"):
        store.move_passages(ids, P.REJECTED)
    assert _statuses(store, ids) == [P.ACCEPTED, P.ACCEPTED, P.DEPOSITED]
    with pytest.raises(StoreError, match="do not exist"):
        store.move_passages([ids[2], 999_999], P.REJECTED)
    assert store.passage_by_id(ids[2]).status is P.DEPOSITED


def test_withdraw_batch_clears_the_batch(store: StorePort) -> None:
    ids = _pending(store, 3)
    suppression = _suppression(store, ids)
    store.move_passages(ids[:2], P.WITHDRAW_REJECTED, klass="file")
    store.move_passages(ids[2:], P.WITHDRAW_REJECTED, klass="withdrawal")
    assert store.withdraw_batch(suppression, P.WITHDRAW_REJECTED, only_class="file") == 2
    again = [store.passage_by_id(pid) for pid in ids[:2]]
    assert [(p.status, p.batch_id) for p in again] == [(P.WITHDRAWING, None)] * 2
    assert [i for i, _, _ in store.iter_withdrawing()] == ids[:2]


def test_batch_passage_counts_follow_passages_that_moved_on(store: StorePort) -> None:
    """A batch counts the passages that were in it, by their current status."""
    ids = _pending(store, 5)
    first = _batch(store, ids, "first.xml")
    store.set_batch_status(first, BatchStatus.UPLOADING)
    store.move_batch(first, (P.BATCHED,), P.REJECTED, klass="file")
    store.move_batch(first, (P.REJECTED,), P.PENDING, reasons=[])
    second = _batch(store, ids[:2], "second.xml")
    assert store.batch_passage_counts() == {
        first: {"batched": 2, "pending": 3},
        second: {"batched": 2},
    }
    for batch_id in (first, second):
        assert store.batch_passage_counts()[batch_id] == store.passage_counts(batch_id=batch_id)


def _counts_are_exact(store: StorePort) -> None:
    """batch_passage_counts (kept by the moves) equals a count of the passages themselves."""
    kept = store.batch_passage_counts()
    for batch in store.batches():
        assert kept.get(batch.id, {}) == store.passage_counts(batch_id=batch.id), batch.name


def test_batch_passage_counts_stay_exact_through_every_kind_of_move(store: StorePort) -> None:
    """Each way a passage changes status keeps the per-batch counts exact: set-based moves,
    one-passage moves, a re-imported row, withdrawals, and a passage in several batches."""
    ids = _pending(store, 6)
    first = _batch(store, ids[:4], "first.xml")
    _counts_are_exact(store)
    store.move_batch(first, (P.BATCHED,), P.DEPOSITED)
    store.move_passages(ids[:2], P.ACCEPTED)
    store.move_passages(ids[:2], P.ACCEPTED)  # the same report twice: nothing counted twice
    store.set_passage_status(ids[2], P.REJECTED, message="KO", klass="data")
    store.move_batch(first, (P.DEPOSITED,), P.REJECTED, klass="file")
    _counts_are_exact(store)
    store.put_passage(new_passage("T00002", holder="X.Y. 1991"), status=P.PENDING)  # reopened
    store.put_passage(new_passage("T00003", record_json=""), status=P.INVALID, reasons=["r"])
    second = _batch(store, [ids[2], *ids[4:]], "second.xml")  # ids[2]: its second batch
    _counts_are_exact(store)
    assert store.batch_passage_counts()[first] == {"accepted": 2, "batched": 1, "invalid": 1}
    store.request_withdrawal(ids[0])
    suppression = _batch(store, [ids[0]], "s.xml", BatchAction.SUPPRESSION)
    store.move_passages([ids[0]], P.WITHDRAW_REJECTED, klass="file")
    assert store.withdraw_batch(suppression, P.WITHDRAW_REJECTED, only_class="file") == 1
    with pytest.raises(RuntimeError), store.transaction():
        store.move_batch(second, (P.BATCHED,), P.DEPOSITED)
        raise RuntimeError("crash")  # a move rolled back is not counted either
    _counts_are_exact(store)
    assert store.batch_passage_counts()[second] == {"batched": 3}


def test_corrections_held_lists_only_accepted_passages_holding_one(store: StorePort) -> None:
    ids = _pending(store, 3)
    batch_id = _batch(store, ids, "a.xml")
    store.move_batch(batch_id, (P.BATCHED,), P.DEPOSITED)
    store.move_passages(ids, P.ACCEPTED)
    store.hold_correction(ids[1], '{"fixed": true}', "a" * 64, ["nomNaissance"])
    held = store.corrections_held()
    assert [(p.id, p.correction_fields) for p in held] == [(ids[1], ("nomNaissance",))]


def test_transaction_rolls_back_every_move(store: StorePort) -> None:
    ids = _pending(store, 2)
    with pytest.raises(RuntimeError), store.transaction():
        batch_id = _batch(store, ids, "a.xml")
        store.move_batch(batch_id, (P.BATCHED,), P.DEPOSITED)
        raise RuntimeError("crash")
    assert _statuses(store, ids) == [P.PENDING] * 2
    assert store.batches() == []


def test_add_passages_inserts_new_pending_passages_with_records_and_holder_keys(
    store: StorePort,
) -> None:
    news = [
        new_passage(f"N{index}", record_json=f'{{"n": {index}}}', holder_key=100 + index)
        for index in range(3)
    ]
    store.add_passages(news)
    found = [store.passage("12ABC345", f"N{index}") for index in range(3)]
    assert [p.status if p else None for p in found] == [P.PENDING] * 3
    assert [store.record_json(p.id) for p in found if p] == ['{"n": 0}', '{"n": 1}', '{"n": 2}']
    assert [i for i, _, _ in store.iter_pending()] == [p.id for p in found if p]
    assert store.same_holder("12ABC345", 101, "OTHER") == ("N1", "pending")
    assert store.passage_counts() == {"pending": 3}


def test_pending_records_come_back_as_their_utf8_bytes(store: StorePort) -> None:
    """The build reads records as bytes, whatever the backend keeps them as."""
    text = '{"nomNaissance": "Éloïse Ñúñez", "ville": "Besançon", "autre": "中"}'
    store.add_passages([new_passage("U1", record_json=text)])
    [(_, id_technique, record)] = list(store.iter_pending())
    assert (id_technique, record) == ("U1", text.encode("utf-8"))


def test_add_passages_refuses_an_existing_one_and_inserts_none(store: StorePort) -> None:
    _pending(store, 1, "E")
    with pytest.raises(StoreError):
        store.add_passages([new_passage("NEW1"), new_passage("E00000")])
    assert store.passage("12ABC345", "NEW1") is None
    assert store.passage_counts() == {"pending": 1}


def test_passage_and_holder_keys_say_which_are_taken(store: StorePort) -> None:
    store.add_passages([new_passage("K1", holder_key=7), new_passage("K2", holder_key=8)])
    withdrawn = store.put_passage(new_passage("K3", holder_key=9), status=P.PENDING)
    store.set_passage_status(withdrawn, P.WITHDRAWN)
    assert store.passage_keys("12ABC345", ["K1", "K3", "K9"]) == {"K1", "K3"}
    assert store.passage_keys("99ZZZ999", ["K1"]) == set()
    # A withdrawn passage's holder is free again, as same_holder sees it.
    assert store.holder_keys_in_use("12ABC345", [7, 9, 10]) == {7}
    assert store.holder_keys_in_use("99ZZZ999", [7]) == set()

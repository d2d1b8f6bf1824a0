"""Passage and batch lifecycles: allowed moves pass, every other move raises."""

from __future__ import annotations

import itertools

import pytest

from agent.lifecycle import (
    BatchStatus,
    PassageStatus,
    TransitionError,
    batch_can_move,
    batch_outcome,
    check_batch,
    check_passage,
    passage_can_move,
)

P = PassageStatus
B = BatchStatus

PASSAGE_ALLOWED = {
    (P.INVALID, P.PENDING),
    (P.INVALID, P.INVALID),
    (P.INVALID, P.WITHDRAWN),
    (P.PENDING, P.PENDING),
    (P.PENDING, P.BATCHED),
    (P.PENDING, P.INVALID),
    (P.PENDING, P.WITHDRAWN),
    (P.BATCHED, P.DEPOSITED),
    (P.BATCHED, P.INVALID),
    (P.BATCHED, P.REJECTED),
    (P.DEPOSITED, P.ACCEPTED),
    (P.DEPOSITED, P.REJECTED),
    (P.ACCEPTED, P.ACCEPTED),
    (P.REJECTED, P.REJECTED),
    (P.REJECTED, P.PENDING),
    (P.REJECTED, P.INVALID),
    (P.REJECTED, P.WITHDRAWN),
    # withdrawal at the CDC (SUPPRESSION) and corrections
    (P.ACCEPTED, P.WITHDRAWING),
    (P.WITHDRAWING, P.WITHDRAWING),
    (P.WITHDRAWING, P.WITHDRAWN),
    (P.WITHDRAWING, P.PENDING),
    (P.WITHDRAWING, P.WITHDRAW_REJECTED),
    (P.WITHDRAW_REJECTED, P.WITHDRAW_REJECTED),
    (P.WITHDRAW_REJECTED, P.WITHDRAWING),
    (P.WITHDRAW_REJECTED, P.WITHDRAWN),
    (P.WITHDRAWN, P.PENDING),
}

BATCH_ALLOWED = {
    (B.BUILT, B.UPLOADING),
    (B.BUILT, B.INVALID),
    (B.UPLOADING, B.UPLOADED),
    (B.UPLOADING, B.BUILT),
    (B.UPLOADING, B.FILE_REJECTED),
    (B.UPLOADED, B.ACCEPTED),
    (B.UPLOADED, B.PARTLY_REJECTED),
    (B.UPLOADED, B.FILE_REJECTED),
    (B.UPLOADED, B.REPORT_QUARANTINED),
    (B.REPORT_QUARANTINED, B.ACCEPTED),
    (B.REPORT_QUARANTINED, B.PARTLY_REJECTED),
    (B.REPORT_QUARANTINED, B.FILE_REJECTED),
    (B.REPORT_QUARANTINED, B.REPORT_QUARANTINED),
    (B.ACCEPTED, B.ACCEPTED),
    (B.PARTLY_REJECTED, B.PARTLY_REJECTED),
    (B.FILE_REJECTED, B.FILE_REJECTED),
}


@pytest.mark.parametrize(("old", "new"), list(itertools.product(P, P)))
def test_passage_transition_table(old: PassageStatus, new: PassageStatus) -> None:
    """Exactly the documented passage moves are allowed; the others raise."""
    allowed = (old, new) in PASSAGE_ALLOWED
    assert passage_can_move(old, new) is allowed
    if allowed:
        check_passage(old, new)
    else:
        with pytest.raises(TransitionError, match=f"from {old} to {new}"):
            check_passage(old, new, who="X1")


@pytest.mark.parametrize(("old", "new"), list(itertools.product(B, B)))
def test_batch_transition_table(old: BatchStatus, new: BatchStatus) -> None:
    """Exactly the documented batch moves are allowed; the others raise."""
    allowed = (old, new) in BATCH_ALLOWED
    assert batch_can_move(old, new) is allowed
    if allowed:
        check_batch(old, new)
    else:
        with pytest.raises(TransitionError):
            check_batch(old, new)


def test_lifecycle_accepted_passage_never_reopens() -> None:
    """An accepted passage can never go back to pending (it must not be re-sent)."""
    with pytest.raises(TransitionError, match="X9: passage cannot go from accepted to pending"):
        check_passage(P.ACCEPTED, P.PENDING, who="X9")


def test_lifecycle_batch_outcome() -> None:
    """The processed status follows the report's counts."""
    assert batch_outcome(0, file_rejected=False) is B.ACCEPTED
    assert batch_outcome(1, file_rejected=False) is B.PARTLY_REJECTED
    assert batch_outcome(0, file_rejected=True) is B.FILE_REJECTED

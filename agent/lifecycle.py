"""The two state machines of the agent: passages and batches.

Statuses are closed enums and every change goes through :func:`check_passage` or
:func:`check_batch`, which raise :class:`TransitionError` for a move the lifecycle does not
allow. The store calls them inside the transaction that writes the new status, so an
impossible state never reaches the database.

Passage::

    (import) ──► pending ──► batched ──► deposited ──► accepted
                    ▲  ▲         │                  └──► rejected ──┐
                    │  │         └─► invalid (file failed validation)│
                    │  │         └─► rejected (file refused)         │
                    │  └── invalid: corrected row, or cause fixed    │
                    └───── rejected: corrected row, or cause fixed ◄─┘
    pending | rejected ──► invalid (a re-imported row for it is invalid)
    pending | invalid | rejected ──► withdrawn

Withdrawal at the CDC (a SUPPRESSION flux, schema 1.1.5; see ``agent.withdrawal``)::

    accepted ──► withdrawing ──► withdrawn (SUPPRESSION report OK)
                  ▲    │  └───► pending (OK, and a held correction becomes the new record)
                  │    └──────► withdraw_rejected (KO, or its file failed) ──► withdrawn
                  └──────────────────────┘ (asked again)
    withdrawn (at the CDC) ──► pending (declared again by a re-import)

"Cause fixed" applies to passages held by a file-level failure (see ``agent.collect``).

Batch::

    built ──► uploading ──► uploaded ──► accepted | partly_rejected | file_rejected
      │           │  ▲           │                 ▲
      │           └──┘           └─► report_quarantined (its report contradicts the batch;
      │   (reconciled: the history     never applied; a report imported by hand settles it)
      │    has no such file; sent again)
      └──► invalid (the built file failed validation; never uploaded)
"""

from __future__ import annotations

from enum import StrEnum


class TransitionError(Exception):
    """A status change the lifecycle does not allow."""


class PassageStatus(StrEnum):
    INVALID = "invalid"  # the row failed validation; reasons stored with it
    PENDING = "pending"  # valid, waiting for the next build
    BATCHED = "batched"  # placed in a built file, not yet uploaded
    DEPOSITED = "deposited"  # its file was uploaded; waiting for the accusé de traitement
    ACCEPTED = "accepted"  # in PassagesOK (or a duplicate of our own earlier deposit)
    REJECTED = "rejected"  # in PassagesKO, or its whole file was rejected
    WITHDRAWN = "withdrawn"  # taken out: never deposited, or deleted at the CDC (SUPPRESSION)
    WITHDRAWING = "withdrawing"  # a SUPPRESSION for it is to build, built or deposited
    WITHDRAW_REJECTED = "withdraw_rejected"  # the CDC refused its SUPPRESSION (or the file)


class BatchStatus(StrEnum):
    BUILT = "built"
    INVALID = "invalid"  # failed validation after build: never uploaded
    UPLOADING = "uploading"  # committed before the upload starts
    UPLOADED = "uploaded"  # confirmed by the portal history
    ACCEPTED = "accepted"  # processed: every passage accepted
    PARTLY_REJECTED = "partly_rejected"  # processed: some passages rejected
    FILE_REJECTED = "file_rejected"  # processed: the file was rejected as a whole
    # Its accusé de traitement names another file or flux, an idTechnique the batch does not
    # hold, or one passage both OK and KO: never applied; passages stay deposited.
    REPORT_QUARANTINED = "report_quarantined"


#: Batch statuses that are final (the accusé de traitement has been applied, or never will).
BATCH_FINAL = frozenset(
    {
        BatchStatus.ACCEPTED,
        BatchStatus.PARTLY_REJECTED,
        BatchStatus.FILE_REJECTED,
        BatchStatus.INVALID,
    }
)

#: Passage statuses plain ``withdraw`` accepts: the CDC does not hold them.
PASSAGE_NEVER_SENT = frozenset(
    {PassageStatus.PENDING, PassageStatus.INVALID, PassageStatus.REJECTED}
)

#: Passage statuses a corrected row may bring back to pending.
PASSAGE_REOPENABLE = frozenset({PassageStatus.INVALID, PassageStatus.REJECTED})

_P = PassageStatus
_PASSAGE_MOVES: dict[PassageStatus, frozenset[PassageStatus]] = {
    _P.INVALID: frozenset({_P.PENDING, _P.INVALID, _P.WITHDRAWN}),
    _P.PENDING: frozenset({_P.PENDING, _P.BATCHED, _P.INVALID, _P.WITHDRAWN}),
    # batched -> invalid: its file failed validation; -> rejected: the portal refused the file.
    _P.BATCHED: frozenset({_P.DEPOSITED, _P.INVALID, _P.REJECTED}),
    _P.DEPOSITED: frozenset({_P.ACCEPTED, _P.REJECTED}),
    _P.ACCEPTED: frozenset({_P.ACCEPTED, _P.WITHDRAWING}),
    # rejected -> invalid: a re-imported row for it is itself invalid.
    _P.REJECTED: frozenset({_P.REJECTED, _P.PENDING, _P.INVALID, _P.WITHDRAWN}),
    # withdrawn -> pending: only one the CDC deleted, declared again (agent.intake decides).
    _P.WITHDRAWN: frozenset({_P.PENDING}),
    _P.WITHDRAWING: frozenset({_P.WITHDRAWING, _P.WITHDRAWN, _P.PENDING, _P.WITHDRAW_REJECTED}),
    _P.WITHDRAW_REJECTED: frozenset({_P.WITHDRAW_REJECTED, _P.WITHDRAWING, _P.WITHDRAWN}),
}

_B = BatchStatus
_BATCH_MOVES: dict[BatchStatus, frozenset[BatchStatus]] = {
    _B.BUILT: frozenset({_B.UPLOADING, _B.INVALID}),
    _B.INVALID: frozenset(),
    # uploading -> built: reconciliation found no such file in the history (never arrived).
    # uploading -> file_rejected: the portal refused the file at upload.
    _B.UPLOADING: frozenset({_B.UPLOADED, _B.BUILT, _B.FILE_REJECTED}),
    _B.UPLOADED: frozenset(
        {_B.ACCEPTED, _B.PARTLY_REJECTED, _B.FILE_REJECTED, _B.REPORT_QUARANTINED}
    ),
    # A quarantined report is settled by a report imported by hand (or another bad one).
    _B.REPORT_QUARANTINED: frozenset(
        {_B.ACCEPTED, _B.PARTLY_REJECTED, _B.FILE_REJECTED, _B.REPORT_QUARANTINED}
    ),
    # A report imported by hand after one was collected: same outcome again is allowed.
    _B.ACCEPTED: frozenset({_B.ACCEPTED}),
    _B.PARTLY_REJECTED: frozenset({_B.PARTLY_REJECTED}),
    _B.FILE_REJECTED: frozenset({_B.FILE_REJECTED}),
}


class BatchAction(StrEnum):
    """What a batch file asks of the CDC (``cpf:action``)."""

    CREATION = "CREATION"
    SUPPRESSION = "SUPPRESSION"


def passage_can_move(old: PassageStatus, new: PassageStatus) -> bool:
    """Whether a passage may go from ``old`` to ``new``."""
    return new in _PASSAGE_MOVES[old]


def check_passage(old: PassageStatus, new: PassageStatus, *, who: str = "passage") -> None:
    """Raise TransitionError unless a passage may go from ``old`` to ``new``.

    Args:
        old: current status.
        new: wanted status.
        who: names the passage in the message (e.g. its idTechnique).

    Raises:
        TransitionError: the lifecycle does not allow the move.
    """
    if not passage_can_move(old, new):
        raise TransitionError(f"{who}: passage cannot go from {old} to {new}")


def batch_can_move(old: BatchStatus, new: BatchStatus) -> bool:
    """Whether a batch may go from ``old`` to ``new``."""
    return new in _BATCH_MOVES[old]


def check_batch(old: BatchStatus, new: BatchStatus, *, who: str = "batch") -> None:
    """Raise TransitionError unless a batch may go from ``old`` to ``new``.

    Raises:
        TransitionError: the lifecycle does not allow the move.
    """
    if not batch_can_move(old, new):
        raise TransitionError(f"{who}: batch cannot go from {old} to {new}")


def batch_outcome(rejected: int, *, file_rejected: bool) -> BatchStatus:
    """The processed status of a batch from its report's rejected count."""
    if file_rejected:
        return BatchStatus.FILE_REJECTED
    return BatchStatus.PARTLY_REJECTED if rejected else BatchStatus.ACCEPTED

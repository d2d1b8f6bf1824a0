"""Withdrawals and corrections at the CDC: SUPPRESSION requests, and what their reports do.

Schema 1.1.5 lets a certifier delete a passage the CDC holds (a flux whose ``action`` is
SUPPRESSION); it is also the only way to correct one the CDC accepted with wrong data: delete
it, then declare the corrected record again (cdc-format.md §1, §5).

- :func:`request_withdrawals`: ``accrochage withdraw --at-cdc``; accepted passages become
  ``withdrawing`` and the next run builds, validates and deposits their SUPPRESSION file
  through the usual batch lifecycle (``agent.build.build_suppressions``, ``agent.deposit``).
- :func:`correction_of` / :func:`hold_correction`: an import bringing other data for an
  accepted idTechnique holds the corrected record beside the passage (never deposited yet);
  :func:`request_corrections` (``accrochage correct``, or ``[build] corrections = "auto"``)
  withdraws the passage first.
- :func:`apply_suppression_report`: the SUPPRESSION's accusé de traitement. OK: the passage is
  ``withdrawn`` (with the date), or, when a correction is held, the corrected record becomes
  the passage's record and goes back to ``pending``: the CREATION is therefore built only
  after the SUPPRESSION report is OK, never in the same file. KO: ``withdraw_rejected`` with
  the CDC's message and a hint.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from agent.intake import new_passage
from agent.lifecycle import (
    PASSAGE_NEVER_SENT,
    BatchAction,
    BatchStatus,
    PassageStatus,
    batch_outcome,
)
from agent.rows import Batch, NewPassage, Passage
from agent.store import StorePort
from builders.cdc.models import PassageRecord
from builders.cdc.reports import ProcessingReport
from builders.cdc.versions import SchemaVersion, action_version, spec
from builders.settings import BuildSettings

#: ``cdc_class`` of a passage whose SUPPRESSION the CDC refused.
WITHDRAWAL_CLASS: Final = "withdrawal"
WITHDRAWAL_HINT: Final = (
    "the CDC did not delete this passage. If it does not hold it (never accepted under this "
    "idTechnique and emitter BCR, or already deleted), `accrochage withdraw ID` records it as "
    "withdrawn here only; otherwise check the idTechnique and the holder identification it "
    "was declared with, then `accrochage withdraw --at-cdc ID` again (CDC support: "
    "support.certificateurs@caissedesdepots.fr)"
)


def no_suppression(version: SchemaVersion) -> str:
    """Why schema ``version`` (which has no ``cpf:action``) cannot withdraw at the CDC."""
    needed = action_version(version)
    return (
        f"SUPPRESSION does not exist in schema {version}: the CDC added it in {needed}. To "
        f'withdraw or correct a passage at the CDC, set [build] schema_version = "{needed}" '
        f"(and import the {needed} XSD with `accrochage schema import`), or ask the CDC "
        "support (support.certificateurs@caissedesdepots.fr) to delete it"
    )


class WithdrawalError(Exception):
    """A withdrawal or correction cannot be asked for this passage (the message says why)."""


@dataclass(frozen=True)
class Change:
    """One declared field whose value differs between the accepted and the new record."""

    field: str
    old: Any
    new: Any

    def __str__(self) -> str:
        return f"{self.field} {_shown(self.old)} -> {_shown(self.new)}"


def _shown(value: Any) -> str:
    return "(none)" if value is None else repr(str(value) if not isinstance(value, str) else value)


def _leaves(data: Any, prefix: str = "") -> dict[str, Any]:
    """Flatten a record dump into {CDC field (with its list index when repeated): value}."""
    if isinstance(data, dict):
        found: dict[str, Any] = {}
        for key, value in data.items():
            found.update(_leaves(value, key))
        return found
    if isinstance(data, list):
        found = {}
        for index, value in enumerate(data, start=1):
            for key, leaf in _leaves(value).items():
                found[f"{prefix}[{index}].{key}"] = leaf
        return found if data else {prefix: None}
    return {prefix: data}


def record_changes(old_json: str, new_json: str) -> list[Change]:
    """The declared fields that differ between two stored records (JSON), in record order."""
    old = _leaves(json.loads(old_json))
    new = _leaves(json.loads(new_json))
    names = list(old) + [name for name in new if name not in old]
    return [Change(n, old.get(n), new.get(n)) for n in names if old.get(n) != new.get(n)]


def accepted_on(passage: Passage) -> str:
    """The date the CDC accepted the passage (as far as the agent knows)."""
    return (passage.accepted_at or passage.updated_at)[:10]


def correction_message(
    passage: Passage, changes: Sequence[Change], *, settings: BuildSettings
) -> str:
    """What the import report says of a correction (values included: the report is 0600,
    beside the imported file that holds the same data)."""
    listed = ", ".join(str(c) for c in changes)
    head = f"accepted on {accepted_on(passage)} with other data: {listed}"
    if not spec(settings.schema_version).has_action:
        return f"{head}; held: {no_suppression(settings.schema_version)}"
    if settings.corrections == "auto":
        return f"{head}; correcting: SUPPRESSION first, then the corrected row once it is OK"
    return (
        f"{head}; held: `accrochage correct {passage.id_technique}` withdraws it at the CDC "
        "(SUPPRESSION), then declares this row once the SUPPRESSION is OK"
    )


def hold_correction(
    store: StorePort, passage: Passage, new: NewPassage, *, settings: BuildSettings
) -> str | None:
    """Keep ``new`` as the correction of a passage the CDC holds; its report message.

    Returns None when ``new`` brings nothing new: the same record as the accepted one, or as
    the correction already held (an identical re-import stays a no-op).
    """
    held = store.correction(passage.id)
    if held is not None and held[1] == new.record_sha256:
        return None
    old_json = store.record_json(passage.id) or "{}"
    changes = record_changes(old_json, new.record_json)
    if not changes:
        return None
    with store.transaction():
        store.hold_correction(
            passage.id, new.record_json, new.record_sha256, [c.field for c in changes]
        )
        fields = ", ".join(c.field for c in changes)
        store.add_event(
            "correction_held",
            f"{passage.id_technique}: accepted on {accepted_on(passage)}; a re-imported row "
            f"differs in {fields}; held until its SUPPRESSION is OK",
            level="warning",
            passage_id=passage.id,
        )
        automatic = settings.corrections == "auto" and spec(settings.schema_version).has_action
        if automatic and passage.status is not PassageStatus.WITHDRAWING:
            _withdraw(store, passage, reason="correction", kind="correction_requested")
    return correction_message(passage, changes, settings=settings)


def _withdraw(store: StorePort, passage: Passage, *, reason: str | None, kind: str) -> None:
    store.request_withdrawal(passage.id, reason=reason)
    then = (
        "then its corrected row"
        if kind == "correction_requested"
        else "the passage will be withdrawn"
    )
    store.add_event(
        kind,
        f"{passage.id_technique}: SUPPRESSION requested at the CDC"
        + (f" ({reason})" if reason else "")
        + f"; built and deposited by the next run, {then}",
        passage_id=passage.id,
    )


def find_passage(store: StorePort, id_technique: str, emitter: str | None) -> Passage:
    """The one passage with this idTechnique (and emitter BCR when given).

    Raises:
        WithdrawalError: none, or several (the emitter is needed).
    """
    found = [
        p
        for p in store.passages_with_id_technique(id_technique)
        if emitter is None or p.emitter == emitter
    ]
    if len(found) != 1:
        what = "no passage" if not found else "several passages (use --emitter)"
        raise WithdrawalError(f"{id_technique}: {what}")
    return found[0]


def _check_schema(settings: BuildSettings) -> None:
    if not spec(settings.schema_version).has_action:
        raise WithdrawalError(no_suppression(settings.schema_version))


def request_withdrawals(
    store: StorePort,
    id_techniques: Sequence[str],
    *,
    emitter: str | None,
    reason: str | None,
    settings: BuildSettings,
) -> list[str]:
    """Ask the CDC to delete these accepted passages (SUPPRESSION built by the next run).

    Every id is checked before any is changed, so one bad id changes nothing.

    Raises:
        WithdrawalError: schema 1.1.2, an unknown id, or a passage the CDC does not hold.
    """
    _check_schema(settings)
    passages = [find_passage(store, i, emitter) for i in id_techniques]
    for passage in passages:
        if passage.status not in (PassageStatus.ACCEPTED, PassageStatus.WITHDRAW_REJECTED):
            raise WithdrawalError(
                f"{passage.id_technique}: passage is {passage.status}: only a passage the CDC "
                "accepted can be withdrawn at the CDC"
                + (
                    "; `accrochage withdraw ID` (without --at-cdc) never deposits it"
                    if passage.status in PASSAGE_NEVER_SENT
                    else ""
                )
            )
    with store.transaction():
        for passage in passages:
            _withdraw(store, passage, reason=reason, kind="withdraw_requested")
    return [p.id_technique for p in passages]


def request_corrections(
    store: StorePort, id_techniques: Sequence[str], *, emitter: str | None, settings: BuildSettings
) -> list[str]:
    """Send the held corrections of these passages: SUPPRESSION first, CREATION after its OK.

    Raises:
        WithdrawalError: schema 1.1.2, an unknown id, no correction held, or not at the CDC.
    """
    _check_schema(settings)
    passages = [find_passage(store, i, emitter) for i in id_techniques]
    for passage in passages:
        if not passage.correction_held:
            raise WithdrawalError(
                f"{passage.id_technique}: no correction held (import a corrected row for it "
                "first; an identical row changes nothing)"
            )
        if passage.status not in (PassageStatus.ACCEPTED, PassageStatus.WITHDRAW_REJECTED):
            raise WithdrawalError(
                f"{passage.id_technique}: passage is {passage.status}: its correction is "
                "already under way"
            )
    with store.transaction():
        for passage in passages:
            _withdraw(store, passage, reason="correction", kind="correction_requested")
    return [p.id_technique for p in passages]


def adopt_correction(store: StorePort, passage: Passage) -> None:
    """The held correction becomes the passage's record, pending (its CREATION comes next)."""
    held = store.correction(passage.id)
    if held is None:  # pragma: no cover - callers check correction_held
        return
    source = store.passage_source(passage.id)
    record = PassageRecord.model_validate_json(held[0])
    new = new_passage(record, source[0] if source else None, source[1] if source else 0)
    store.put_passage(new, status=PassageStatus.PENDING)


def withdraw_locally(
    store: StorePort, id_techniques: Sequence[str], *, emitter: str | None
) -> list[str]:
    """Never deposit these passages (pending, invalid or rejected: the CDC does not hold them).

    Raises:
        WithdrawalError: an unknown id, or a passage the CDC holds or is being sent.
    """
    passages = [find_passage(store, i, emitter) for i in id_techniques]
    for passage in passages:
        if passage.status in PASSAGE_NEVER_SENT:
            continue
        at_cdc = passage.status in (PassageStatus.ACCEPTED, PassageStatus.WITHDRAW_REJECTED)
        raise WithdrawalError(
            f"{passage.id_technique}: passage cannot go from {passage.status} to withdrawn: "
            + (
                "the CDC holds it; `accrochage withdraw --at-cdc "
                f"{passage.id_technique}` asks the CDC to delete it (SUPPRESSION)"
                if at_cdc
                else "only pending, invalid or rejected passages can be withdrawn"
            )
        )
    return _move_all(
        store, passages, PassageStatus.WITHDRAWN, "withdrawn", "withdrawn by the operator"
    )


def _move_all(
    store: StorePort, passages: Sequence[Passage], to: PassageStatus, kind: str, what: str
) -> list[str]:
    """Move every passage to ``to`` in one transaction, one event each; their ids."""
    with store.transaction():
        for passage in passages:
            store.set_passage_status(passage.id, to)
            store.add_event(kind, f"{passage.id_technique}: {what}", passage_id=passage.id)
    return [p.id_technique for p in passages]


def redeclare(store: StorePort, id_techniques: Sequence[str], *, emitter: str | None) -> list[str]:
    """Put withdrawn passages back to pending, to be declared again with their stored record.

    Raises:
        WithdrawalError: an unknown id, a passage that is not withdrawn, or one without a
            valid record (an invalid row withdrawn before it was corrected).
    """
    passages = [find_passage(store, i, emitter) for i in id_techniques]
    for passage in passages:
        if passage.status is not PassageStatus.WITHDRAWN:
            raise WithdrawalError(
                f"{passage.id_technique}: passage is {passage.status}, not withdrawn"
            )
        if not store.record_json(passage.id):
            raise WithdrawalError(
                f"{passage.id_technique}: no valid record to declare (it was an invalid row)"
            )
    return _move_all(
        store,
        passages,
        PassageStatus.PENDING,
        "redeclared",
        "withdrawn passage back to pending, declared again by the next run",
    )


def apply_suppression_report(
    store: StorePort, batch: Batch, report: ProcessingReport
) -> BatchStatus:
    """Apply the accusé de traitement of a SUPPRESSION file (inside the caller's transaction)."""
    mine = {p.id_technique: p for p in store.passages(batch_id=batch.id)}
    accepted = rejected = 0
    for outcome in report.passages:
        passage = mine.get(outcome.id_technique)
        if passage is None or passage.status is not PassageStatus.WITHDRAWING:
            store.add_event(
                "report_unmatched",
                f"{batch.name}: report names idTechnique {outcome.id_technique}, "
                "which is not awaiting a SUPPRESSION report in this batch; ignored",
                level="warning",
                batch_id=batch.id,
            )
            continue
        if outcome.ok:
            accepted += 1
            if passage.correction_held:
                adopt_correction(store, passage)
                store.add_event(
                    "corrected",
                    f"{passage.id_technique}: SUPPRESSION OK ({batch.name}); the corrected "
                    "record is pending, declared by the next build",
                    batch_id=batch.id,
                    passage_id=passage.id,
                )
            else:
                store.set_passage_status(passage.id, PassageStatus.WITHDRAWN)
                store.add_event(
                    "withdrawn_at_cdc",
                    f"{passage.id_technique}: withdrawn at the CDC ({batch.name})",
                    batch_id=batch.id,
                    passage_id=passage.id,
                )
            continue
        rejected += 1
        store.set_passage_status(
            passage.id,
            PassageStatus.WITHDRAW_REJECTED,
            message=outcome.message,
            klass=WITHDRAWAL_CLASS,
            hint=WITHDRAWAL_HINT,
        )
        store.add_event(
            "withdraw_rejected",
            f"{passage.id_technique}: the CDC refused its SUPPRESSION: {outcome.message}",
            level="error",
            batch_id=batch.id,
            passage_id=passage.id,
        )
    return close_processed(
        store, batch, report, accepted, rejected, f"SUPPRESSION {accepted} OK, {rejected} refused"
    )


def close_processed(
    store: StorePort,
    batch: Batch,
    report: ProcessingReport,
    accepted: int,
    rejected: int,
    counts: str,
) -> BatchStatus:
    """Give a processed batch its outcome and counts, and log it (``counts`` in words)."""
    status = batch_outcome(rejected, file_rejected=False)
    store.set_batch_status(batch.id, status, accepted=accepted, rejected=rejected)
    store.add_event(
        "processed",
        f"{batch.name}: {counts} (idTraitement {report.id_traitement or '?'})",
        level="warning" if rejected else "info",
        batch_id=batch.id,
    )
    return status


def is_suppression(batch: Batch) -> bool:
    """Whether ``batch`` is a SUPPRESSION file."""
    return batch.action == BatchAction.SUPPRESSION.value

"""What one imported row does to its passage (valid rows and invalid ones whose id is known).

Valid rows: :func:`put_record` inserts a pending passage or refreshes one, see its rules. Bad
rows whose idTechnique is known (:class:`builders.exports.results.RowResult`): :func:`put_invalid`
marks the passage invalid with its reasons (:func:`agent.invalid.reasons`). Passages that are
batched, deposited, accepted or withdrawn are never touched by an import.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from enum import StrEnum
from typing import Final

from agent.invalid import reasons
from agent.lifecycle import PASSAGE_REOPENABLE, PassageStatus
from agent.rows import NewPassage, Passage
from agent.store import StorePort
from builders.cdc.models import IdentificationTitulaire, PassageRecord
from builders.exports.plausibility import add_months
from builders.exports.results import RowResult

UNKNOWN_HOLDER: Final = "?"


class Outcome(StrEnum):
    """What importing one row did to its passage."""

    NEW = "new"
    UPDATED = "updated"  # a pending passage got newer data
    REOPENED = "reopened"  # an invalid/rejected passage is pending again
    UNCHANGED = "unchanged"
    KEPT = "kept"  # batched, deposited, accepted or withdrawn: never touched
    CORRECTION = "correction"  # other data for a passage the CDC holds (agent.withdrawal)
    INVALID = "invalid"  # a bad row: a new invalid passage
    INVALIDATED = "invalidated"  # a bad row: a pending/invalid/rejected passage is invalid now
    REPEATED = "repeated"  # a bad row whose id an earlier row of the file already used


def _initials(*names: str | None) -> str:
    return "".join(f"{n.strip()[0].upper()}." for n in names if n and n.strip())


def holder_summary(identification: IdentificationTitulaire) -> str:
    """Initials and birth year: enough to recognise a row, not an identity."""
    if identification.titulaire is not None:
        holder = identification.titulaire
        return f"{_initials(holder.prenom1, holder.nomNaissance)} {holder.anneeNaissance}"
    if identification.dossierFormation is not None:
        dossier = identification.dossierFormation
        return f"{_initials(dossier.prenom1Titulaire, dossier.nomTitulaire)} (dossier CPF)"
    if identification.identifiantNational is not None:
        return f"{_initials(identification.identifiantNational.nomNaissance)} (NIR)"
    return "?"


def new_passage(
    record: PassageRecord, source_id: int | None, row: int, holder_key: int | None = None
) -> NewPassage:
    """The store's view of a validated record (and of its holder key, when known)."""
    record_json = record.model_dump_json()
    delivery = record.passage.dateDebutValidite
    return NewPassage(
        emitter=record.declaration.idClientEmetteur,
        id_technique=record.passage.idTechnique,
        certificateur=record.declaration.idClientCertificateur,
        contrat=record.declaration.idContrat,
        certification_type=record.certification.type,
        certification_code=record.certification.code,
        holder=holder_summary(record.passage.identificationTitulaire),
        delivery_date=delivery,
        deadline=add_months(delivery, 3),
        record_json=record_json,
        record_sha256=hashlib.sha256(record_json.encode()).hexdigest(),
        source_file_id=source_id,
        source_row=row,
        holder_key=holder_key,
    )


def put_record(store: StorePort, new: NewPassage) -> tuple[Outcome, PassageStatus | None]:
    """Insert or refresh one passage from a valid row; returns (outcome, previous status).

    A corrected row puts an invalid or rejected passage back to pending (the same data again
    does not: it would be rejected again). A passage that is batched, deposited, accepted or
    withdrawn is never touched: the CDC keeps accepted data, and re-sending it is a duplicate.
    Other data for a passage the CDC holds is a ``CORRECTION``: the caller holds it
    (``agent.withdrawal.hold_correction``).
    """
    old = store.passage(new.emitter, new.id_technique)
    if old is None:
        store.put_passage(new, status=PassageStatus.PENDING)
        return Outcome.NEW, None
    if old.record_sha256 == new.record_sha256 and old.status is not PassageStatus.INVALID:
        return Outcome.UNCHANGED, old.status
    if old.status is PassageStatus.PENDING:
        store.put_passage(new, status=PassageStatus.PENDING)
        return Outcome.UPDATED, old.status
    if old.status in PASSAGE_REOPENABLE:
        store.put_passage(new, status=PassageStatus.PENDING)
        store.add_event(
            "reopened",
            f"{new.id_technique}: corrected row re-imported, {old.status} -> pending",
            passage_id=old.id,
        )
        return Outcome.REOPENED, old.status
    if old.status in _AT_CDC:
        # The CDC holds other data: a correction (SUPPRESSION, then CREATION), never a
        # plain re-send, which the CDC would refuse as a duplicate.
        return Outcome.CORRECTION, old.status
    return Outcome.KEPT, old.status


class FreshRows:
    """The valid rows of a chunk whose passage is new for sure, inserted together.

    The chunk's keys are looked up once (two queries). A valid row is *fresh* when neither
    its (emitter, idTechnique) nor its holder key is in the store or was met earlier in the
    chunk: :func:`put_record` would insert it (``NEW``) and ``same_holder`` would find
    nothing, so it waits in :meth:`add` and goes in with the others (:meth:`flush`). Every
    other row is handled row by row after a :meth:`flush`, so what it reads is up to date.
    """

    def __init__(self, store: StorePort, news: Sequence[NewPassage]) -> None:
        """Look up the keys of a chunk's valid rows (``news``: their passages)."""
        self._store = store
        ids: dict[str, list[str]] = {}
        holders: dict[str, list[int]] = {}
        for new in news:
            ids.setdefault(new.emitter, []).append(new.id_technique)
            if new.holder_key:
                holders.setdefault(new.emitter, []).append(new.holder_key)
        self._met = {(e, i) for e, found in ids.items() for i in store.passage_keys(e, found)}
        self._held = {
            (e, k) for e, found in holders.items() for k in store.holder_keys_in_use(e, found)
        }
        self._waiting: list[NewPassage] = []

    def fresh(self, emitter: str, id_technique: str, holder_key: int | None) -> bool:
        """Whether this valid row's passage is new for sure; its keys count as met after."""
        key, holder = (emitter, id_technique), (emitter, holder_key or 0)
        fresh = key not in self._met and (not holder_key or holder not in self._held)
        self._met.add(key)
        if holder_key:
            self._held.add(holder)
        return fresh

    def touch(self, emitter: str | None, id_technique: str | None) -> None:
        """A bad row's passage (when known) counts as met: a later row goes row by row."""
        if emitter is not None and id_technique is not None:
            self._met.add((emitter, id_technique))

    def add(self, new: NewPassage) -> None:
        """A fresh row's passage, inserted by the next :meth:`flush`."""
        self._waiting.append(new)

    def flush(self) -> None:
        """Insert the fresh rows' passages waiting (one statement for all)."""
        if self._waiting:
            self._store.add_passages(self._waiting)
            self._waiting = []


#: Statuses in which the CDC holds the passage's record: other data is a correction.
_AT_CDC = frozenset(
    {PassageStatus.ACCEPTED, PassageStatus.WITHDRAWING, PassageStatus.WITHDRAW_REJECTED}
)


#: Statuses a bad row may turn invalid.
_INVALIDATABLE = frozenset({PassageStatus.PENDING, PassageStatus.INVALID, PassageStatus.REJECTED})


def put_invalid(
    store: StorePort, row: RowResult, source_id: int
) -> tuple[Outcome, PassageStatus | None] | None:
    """Mark the passage of a bad row invalid; None when the row's passage is unknown.

    A new id gives a new invalid passage. A pending, invalid or rejected passage becomes
    invalid with the new reasons (event logged): its newer data is not valid, so neither it
    nor older data may be deposited. A batched, deposited, accepted or withdrawn passage is
    never touched (``KEPT``).
    """
    if row.id_technique is None or row.emitter is None:
        return None
    old = store.passage(row.emitter, row.id_technique)
    new = invalid_passage(row, source_id, old=old)
    if new is None:  # pragma: no cover - same condition as above
        return None
    why = reasons(row.errors)
    if old is None:
        store.put_passage(new, status=PassageStatus.INVALID, reasons=why)
        return Outcome.INVALID, None
    if old.status not in _INVALIDATABLE:
        return Outcome.KEPT, old.status
    with store.transaction():
        store.put_passage(new, status=PassageStatus.INVALID, reasons=why)
        store.add_event(
            "invalidated",
            f"{new.id_technique}: re-imported row {row.row} is invalid ({len(why)} problem(s)); "
            f"{old.status} -> invalid",
            level="warning",
            passage_id=old.id,
        )
    return Outcome.INVALIDATED, old.status


def invalid_passage(
    row: RowResult, source_id: int, *, old: Passage | None, deadline_months: int = 3
) -> NewPassage | None:
    """The store's view of a bad row whose passage is known, else None.

    What the row does not give (holder summary, certification code, delivery date) is kept
    from the passage it replaces, if any.
    """
    if row.id_technique is None or row.emitter is None:
        return None
    delivery = row.delivery_date or (old.delivery_date if old else None)
    return NewPassage(
        emitter=row.emitter,
        id_technique=row.id_technique,
        certificateur="",
        contrat="",
        certification_type=old.certification_type if old else "",
        certification_code=row.certification_code or (old.certification_code if old else ""),
        holder=old.holder if old else UNKNOWN_HOLDER,
        delivery_date=delivery,
        deadline=add_months(delivery, deadline_months) if delivery else None,
        record_json="",
        record_sha256="",
        source_file_id=source_id,
        source_row=row.row,
    )

"""Values the store returns: frozen dataclasses, no SQL, no database types."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple

from agent.lifecycle import BatchStatus, PassageStatus


@dataclass(frozen=True)
class SourceFile:
    """An imported export file, known by its SHA-256."""

    id: int
    sha256: str
    name: str
    imported_at: str
    rows: int
    valid: int
    invalid: int
    skipped: int
    error_report: str | None
    unidentified: int = 0  # bad rows without a known idTechnique: only in the error report
    moved_to: str | None = None  # where the file now lies (inbox/imported/...)


@dataclass(frozen=True)
class Notice:
    """An inbox entry that is not imported, and why (``name`` is printable)."""

    name: str
    kind: str
    message: str


@dataclass(frozen=True)
class Passage:
    """One passage as tracked by the agent (no holder identity beyond ``holder``)."""

    id: int
    emitter: str
    id_technique: str
    certification_type: str
    certification_code: str
    holder: str  # initials and birth year only ("?" for an invalid row never valid)
    delivery_date: dt.date | None  # None: an invalid row whose dateDebutValidite is unreadable
    deadline: dt.date | None
    status: PassageStatus
    reasons: tuple[str, ...]
    batch_id: int | None
    cdc_message: str | None
    cdc_class: str | None
    hint: str | None
    record_sha256: str | None
    updated_at: str
    accepted_at: str | None = None  # when the CDC accepted it (None before this was recorded)
    withdrawn_at: str | None = None  # when the CDC confirmed its SUPPRESSION
    correction_fields: tuple[str, ...] = ()  # fields of a held correction that differ
    withdraw_reason: str | None = None  # the operator's reason for withdrawing it at the CDC
    late_at: str | None = None  # when it was declared after its deadline

    @property
    def correction_held(self) -> bool:
        """Whether a corrected record waits for this passage's SUPPRESSION."""
        return bool(self.correction_fields)


@dataclass(frozen=True)
class LoginPause:
    """A password the portal refused: no login with it until it changes or is checked."""

    base_url: str
    username: str
    salt: bytes
    digest: bytes
    at: str
    message: str


@dataclass(frozen=True)
class Batch:
    """One built XML file and where it stands."""

    id: int
    name: str
    path: str
    sha256: str
    size: int
    schema_version: str
    id_flux: str
    passages: int
    status: BatchStatus
    fingerprint: str
    accepted: int
    rejected: int
    message: str | None
    created_at: str
    updated_at: str
    released_at: str | None
    action: str = "CREATION"  # cpf:action of the file: CREATION or SUPPRESSION


@dataclass(frozen=True)
class Attempt:
    """One portal attempt (deposit, reconcile, collect) with its evidence files."""

    id: int
    batch_id: int | None
    kind: str
    started_at: str
    ended_at: str | None
    outcome: str | None
    message: str | None
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class Document:
    """A receipt or report saved under the data directory."""

    id: int
    batch_id: int
    kind: str
    path: str
    sha256: str
    size: int
    fetched_at: str


@dataclass(frozen=True)
class Event:
    """One entry of the append-only event log."""

    id: int
    at: str
    level: str
    kind: str
    batch_id: int | None
    passage_id: int | None
    message: str


class BatchPassage(NamedTuple):
    """A passage that was put in a batch: its id, its status, and whether that batch is still
    its current one (it may have moved to a later batch since)."""

    id: int
    status: PassageStatus
    current: bool


@dataclass(frozen=True)
class NewPassage:
    """What the inbox gives the store for a row (a valid one, or an invalid one with its id).

    An invalid row has empty ``record_json``/``record_sha256``; its unknown texts are "" and
    its unknown dates None.
    """

    emitter: str
    id_technique: str
    certificateur: str
    contrat: str
    certification_type: str
    certification_code: str
    holder: str
    delivery_date: dt.date | None
    deadline: dt.date | None
    record_json: str
    record_sha256: str
    source_file_id: int | None
    source_row: int
    #: ``builders.exports.holders.holder_key`` of a valid row (None: unknown, or kept).
    holder_key: int | None = None

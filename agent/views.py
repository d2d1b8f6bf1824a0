"""What the operator commands show, as JSON-ready dicts (the CLI renders them).

``status``: batches, passage counts, deadlines (due within N days, overdue), last events.
``status BATCH``: one batch with its passages' counts, attempts, documents and event log.
``rejects``: rejected passages with the CDC message, class and hint; the CSV export has the
canonical columns (:data:`builders.columns.CANONICAL`) so it can be corrected and re-imported.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from agent.lifecycle import PassageStatus
from agent.rows import Batch, Passage
from agent.store import Store, StoreError
from builders.columns import CANONICAL
from builders.models import PassageRecord
from builders.normalize import format_resultats

REJECT_COLUMNS = ("cdcMessage", "cdcClass", "hint")


def batch_json(batch: Batch) -> dict[str, Any]:
    """A batch as JSON (``status`` as its string)."""
    data = asdict(batch)
    data["status"] = str(batch.status)
    return data


def passage_json(passage: Passage) -> dict[str, Any]:
    """A passage as JSON, without its record (personal data)."""
    data = asdict(passage)
    data.pop("record_sha256")
    data["status"] = str(passage.status)
    data["delivery_date"] = passage.delivery_date.isoformat()
    data["deadline"] = passage.deadline.isoformat()
    data["reasons"] = list(passage.reasons)
    return data


def status_view(
    store: Store, *, today: dt.date, within_days: int, events: int = 10
) -> dict[str, Any]:
    """The overall status."""
    horizon = today + dt.timedelta(days=within_days)
    due = store.open_passages_due(horizon)
    return {
        "batches": [
            batch_json(b) | {"counts": store.passage_counts(batch_id=b.id)} for b in store.batches()
        ],
        "passages": store.passage_counts(),
        "imports": [asdict(source) for source in store.sources()],
        "deadlines": {
            "today": today.isoformat(),
            "within_days": within_days,
            "overdue": [passage_json(p) for p in due if p.deadline < today],
            "due": [passage_json(p) for p in due if p.deadline >= today],
        },
        "events": [asdict(e) for e in store.events(limit=events)],
    }


def find_batch(store: Store, ref: str) -> Batch:
    """A batch by file name, file name without ``.xml``, or numeric id.

    Raises:
        StoreError: no such batch.
    """
    for name in (ref, f"{ref}.xml"):
        batch = store.batch_by_name(name)
        if batch is not None:
            return batch
    if ref.isdigit():
        return store.batch(int(ref))
    raise StoreError(f"no batch named {ref!r} (see `accrochage status`)")


def batch_view(store: Store, batch: Batch) -> dict[str, Any]:
    """One batch in detail."""
    return batch_json(batch) | {
        "counts": store.passage_counts(batch_id=batch.id),
        "attempts": [asdict(a) for a in store.attempts(batch_id=batch.id)],
        "documents": [asdict(d) for d in store.documents(batch.id)],
        "events": [asdict(e) for e in store.events(batch_id=batch.id, limit=1000)],
    }


def rejects_view(store: Store) -> list[dict[str, Any]]:
    """Rejected passages with the CDC message, class and hint."""
    return [passage_json(p) for p in store.passages(status=PassageStatus.REJECTED)]


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def record_row(record: PassageRecord) -> dict[str, str]:
    """A validated record as one row of canonical columns (re-importable)."""
    passage = record.passage
    row: dict[str, Any] = {}
    row.update(record.declaration.model_dump())
    row.update(record.certification.model_dump())
    row.update(
        passage.model_dump(
            exclude={"niveauNumeriqueEuropeen", "modalitesInscription", "identificationTitulaire"}
        )
    )
    digcomp = passage.niveauNumeriqueEuropeen
    if digcomp is not None:
        row["scoreGeneral"] = digcomp.scoreGeneral
        row["resultats"] = format_resultats(digcomp.resultats)
    row.update(passage.modalitesInscription.model_dump())
    ident = passage.identificationTitulaire
    if ident.titulaire is not None:
        row.update(ident.titulaire.model_dump())
    if ident.dossierFormation is not None:
        row.update(ident.dossierFormation.model_dump())
    if ident.identifiantNational is not None:
        row.update(ident.identifiantNational.model_dump())
    row["admis"] = True  # only admitted candidates are ever declared
    return {column: _cell(row.get(column)) for column in CANONICAL}


def write_rejects_csv(store: Store, path: Path) -> int:
    """Write rejected passages as a re-importable CSV (owner-only: personal data).

    Returns:
        The number of rows written.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    count = 0
    with open(fd, "w", encoding="utf-8", newline="") as handle:  # noqa: PTH123 - from an fd
        writer = csv.DictWriter(handle, fieldnames=(*CANONICAL, *REJECT_COLUMNS), delimiter=";")
        writer.writeheader()
        for passage in store.passages(status=PassageStatus.REJECTED):
            raw = store.record_json(passage.id)
            if raw is None:
                continue
            row = record_row(PassageRecord.model_validate_json(raw))
            row.update(
                cdcMessage=passage.cdc_message or "",
                cdcClass=passage.cdc_class or "",
                hint=passage.hint or "",
            )
            writer.writerow(row)
            count += 1
    return count


__all__ = ["StoreError", "batch_view", "find_batch", "rejects_view", "status_view"]

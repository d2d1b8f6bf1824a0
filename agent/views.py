"""What the operator commands show, as JSON-ready dicts (the CLI renders them).

``status``: batches, passage counts, deadlines (due within N days, overdue), last events.
``status BATCH``: one batch with its passages' counts, attempts, documents and event log.
``rejects``: rejected passages with the CDC message, class and hint, and invalid passages
(bad rows whose idTechnique is known) with their reasons; the CSV export has the canonical
columns (:data:`builders.columns.CANONICAL`) so it can be corrected and re-imported: rejected
rows from their stored record, invalid rows read again from the imported file.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from agent.invalid import invalid_rows
from agent.lifecycle import PassageStatus
from agent.rows import Batch, Passage
from agent.store import Store, StoreError
from builders.columns import CANONICAL
from builders.csvsafe import neutralise_row
from builders.models import PassageRecord
from builders.normalize import format_resultats
from builders.settings import BuildSettings

REJECT_COLUMNS = ("status", "cdcMessage", "cdcClass", "hint", "reasons")


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
    data["delivery_date"] = passage.delivery_date.isoformat() if passage.delivery_date else None
    data["deadline"] = passage.deadline.isoformat() if passage.deadline else None
    data["reasons"] = list(passage.reasons)
    return data


def status_view(
    store: Store, *, today: dt.date, within_days: int, events: int = 10
) -> dict[str, Any]:
    """The overall status."""
    horizon = today + dt.timedelta(days=within_days)
    due = store.open_passages_due(horizon)
    sources = store.sources()
    return {
        "batches": [
            batch_json(b) | {"counts": store.passage_counts(batch_id=b.id)} for b in store.batches()
        ],
        "passages": store.passage_counts(),
        "imports": [asdict(source) for source in sources],
        # Bad rows of the files listed above whose idTechnique is unknown: only in the reports.
        "unidentified_rows": sum(source.unidentified for source in sources),
        "deadlines": {
            "today": today.isoformat(),
            "within_days": within_days,
            "overdue": [passage_json(p) for p in due if p.deadline and p.deadline < today],
            "due": [passage_json(p) for p in due if p.deadline and p.deadline >= today],
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


def invalid_view(store: Store) -> list[dict[str, Any]]:
    """Invalid passages with their reasons and the file and row they came from."""
    out = []
    for passage in store.passages(status=PassageStatus.INVALID):
        where = store.passage_source(passage.id)
        source = store.source(where[0]) if where else None
        out.append(
            passage_json(passage)
            | {
                "source_file": source.name if source else None,
                "source_row": where[1] if where else None,
                "imported_file": source.moved_to if source else None,
            }
        )
    return out


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


def reimport_cells(cells: dict[str, str]) -> dict[str, str]:
    """An export row (canonical column -> cell) as a row of every canonical column.

    Columns the export did not have get what the importer assumed without them, since the
    CSV has every column and an empty cell there would be an error: admitted, and the
    presence flags true exactly when their level is given.
    """
    row = {column: cells.get(column, "") for column in CANONICAL}
    if "admis" not in cells:
        row["admis"] = "oui"
    if "presenceNiveauLangueEuro" not in cells:
        row["presenceNiveauLangueEuro"] = "oui" if row["niveauLangueEuropeen"] else "non"
    if "presenceNiveauNumeriqueEuro" not in cells:
        digital = row["scoreGeneral"] or row["resultats"]
        row["presenceNiveauNumeriqueEuro"] = "oui" if digital else "non"
    return row


def write_rejects_csv(
    store: Store, path: Path, *, invalid: bool = False, settings: BuildSettings | None = None
) -> int:
    """Write rejected (and invalid) passages as a re-importable CSV (owner-only: personal data).

    Args:
        store: the store.
        path: the CSV to write.
        invalid: also write the invalid passages, their rows read again from the imported
            files (a row whose file is gone is left out, with a warning in the log).
        settings: build settings (the header mapping to read the imported files).

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
                status=str(passage.status),
                cdcMessage=passage.cdc_message or "",
                cdcClass=passage.cdc_class or "",
                hint=passage.hint or "",
                reasons="",
            )
            writer.writerow(neutralise_row(row))
            count += 1
        if invalid:
            found = store.passages(status=PassageStatus.INVALID)
            for passage, cells in invalid_rows(store, found, settings or BuildSettings()):
                if cells is None:
                    continue
                line = reimport_cells(cells)
                line.update(
                    idTechnique=passage.id_technique,
                    status=str(passage.status),
                    reasons=" | ".join(passage.reasons),
                )
                writer.writerow(neutralise_row(line))
                count += 1
    return count


__all__ = [
    "StoreError",
    "batch_view",
    "find_batch",
    "invalid_view",
    "rejects_view",
    "status_view",
    "write_rejects_csv",
]

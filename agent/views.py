"""What the operator commands show, as JSON-ready dicts (the CLI renders them).

``status``: batches, passage counts, deadlines (due within N days, overdue), passages declared
late, last events.
``status BATCH``: one batch with its passages' counts, attempts, documents and event log.
``rejects``: rejected passages with the CDC message, class and hint, and invalid passages
(bad rows whose idTechnique is known) with their reasons; the CSV export has the canonical
columns (:data:`builders.exports.columns.CANONICAL`) so it can be corrected and re-imported:
rejected rows from their stored record (dates DD/MM/YYYY), invalid rows read again from the
imported file; it is written for Excel (``builders.exports.csvout``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from pathlib import Path
from typing import Any

from agent.invalid import invalid_rows
from agent.lifecycle import PassageStatus
from agent.rows import Batch, Passage
from agent.store import StoreError, StorePort
from builders.cdc.models import PassageRecord
from builders.exports.columns import CANONICAL
from builders.exports.csvout import REJECTS_EXTRA, excel_csv
from builders.exports.csvsafe import neutralise_row
from builders.exports.dates import cell_date
from builders.exports.normalize import format_resultats
from builders.settings import BuildSettings

REJECT_COLUMNS = REJECTS_EXTRA


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
    store: StorePort, *, today: dt.date, within_days: int, events: int = 10
) -> dict[str, Any]:
    """The overall status."""
    horizon = today + dt.timedelta(days=within_days)
    due = store.open_passages_due(horizon)
    sources = store.sources()
    counts = store.batch_passage_counts()
    return {
        "batches": [batch_json(b) | {"counts": counts.get(b.id, {})} for b in store.batches()],
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
        "withdrawals": withdrawals_view(store),
        "corrections_held": [
            {
                "id_technique": p.id_technique,
                "accepted_on": (p.accepted_at or p.updated_at)[:10],
                "fields": list(p.correction_fields),
            }
            for p in store.corrections_held()
        ],
        # Declared after their deadline (uploaded more than three months after delivery).
        "late": [passage_json(p) for p in store.late_passages()],
        "events": [asdict(e) for e in store.events(limit=events)],
        # Inbox entries that are not imported (symlink, .xls, folder...), as last seen.
        "inbox_unhandled": [asdict(notice) for notice in store.notices()],
    }


#: Statuses of passages withdrawn, or being withdrawn, at the CDC.
_WITHDRAWAL_STATUSES = (
    PassageStatus.WITHDRAWING,
    PassageStatus.WITHDRAW_REJECTED,
    PassageStatus.WITHDRAWN,
)


def withdrawals_view(store: StorePort) -> list[dict[str, Any]]:
    """Withdrawals at the CDC (asked, refused, done) and corrections under way."""
    out = []
    for status in _WITHDRAWAL_STATUSES:
        for p in store.passages(status=status):
            if status is PassageStatus.WITHDRAWN and p.withdrawn_at is None:
                continue  # withdrawn here only, never deposited
            out.append(
                {
                    "id_technique": p.id_technique,
                    "status": str(p.status),
                    "date": (p.withdrawn_at or p.updated_at)[:10],
                    "reason": p.withdraw_reason,
                    "message": p.cdc_message,
                    "correction": list(p.correction_fields),
                }
            )
    return out


def find_batch(store: StorePort, ref: str) -> Batch:
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


def batch_view(store: StorePort, batch: Batch) -> dict[str, Any]:
    """One batch in detail."""
    return batch_json(batch) | {
        "counts": store.passage_counts(batch_id=batch.id),
        "attempts": [asdict(a) for a in store.attempts(batch_id=batch.id)],
        "documents": [asdict(d) for d in store.documents(batch.id)],
        "events": [asdict(e) for e in store.events(batch_id=batch.id, limit=1000)],
    }


def rejects_view(store: StorePort) -> list[dict[str, Any]]:
    """Rejected passages, then refused withdrawals, with the CDC message, class and hint."""
    found = store.passages(status=PassageStatus.REJECTED)
    found += store.passages(status=PassageStatus.WITHDRAW_REJECTED)
    return [passage_json(p) for p in found]


def invalid_view(store: StorePort) -> list[dict[str, Any]]:
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
        return cell_date(value)  # as Excel shows dates in France; the importer reads it
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
    store: StorePort, path: Path, *, invalid: bool = False, settings: BuildSettings | None = None
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
    count = 0
    with excel_csv(path, (*CANONICAL, *REJECT_COLUMNS)) as writer:
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

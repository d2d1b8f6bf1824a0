"""``accrochage report import``: apply an accusé de traitement downloaded by hand.

The report is matched to its batch by its ``nomFichier``, kept under the batch's documents
(owner-only), recorded, and applied like a collected one (:func:`agent.collect.apply_report`),
all in one transaction. Importing the same report again changes nothing.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from agent.collect import CollectError, apply_report
from agent.lifecycle import BatchStatus
from agent.paths import AgentPaths
from agent.rows import Batch
from agent.store import StorePort
from builders.cdc.reports import ProcessingReport, parse_report
from builders.files import ensure_private_dir, file_sha256


@dataclass(frozen=True)
class ImportedReport:
    """What importing a report did: the batch as it now stands, its outcome, the kept copy."""

    batch: Batch
    outcome: BatchStatus
    saved_as: Path

    def to_json(self) -> dict[str, object]:
        """A JSON-ready dict."""
        return {
            "batch": self.batch.name,
            "status": str(self.outcome),
            "accepted": self.batch.accepted,
            "rejected": self.batch.rejected,
            "saved_as": str(self.saved_as),
        }


def read_report(file: Path) -> ProcessingReport:
    """Parse a report downloaded by hand; it must name the file it is about.

    Raises:
        ReportRefused: not a report this parser can trust.
        CollectError: the report has no ``nomFichier``.
    """
    report = parse_report(file)
    if not report.nom_fichier:
        raise CollectError(f"{file}: the report has no nomFichier; cannot match a batch")
    return report


def import_report(
    store: StorePort, paths: AgentPaths, file: Path, report: ProcessingReport
) -> ImportedReport:
    """Keep ``file`` with its batch's documents and apply ``report`` (from :func:`read_report`).

    Raises:
        CollectError: no batch of this agent has the report's ``nomFichier`` (or the report
            does not match the batch).
    """
    name = report.nom_fichier or ""
    batch = store.batch_by_name(name)
    if batch is None:
        raise CollectError(f"{file}: no batch named {name!r} was built by this agent")
    dest = ensure_private_dir(paths.documents / batch.name.removesuffix(".xml")) / file.name
    shutil.copyfile(file, dest)
    with store.transaction():
        store.add_document(
            batch.id, "accuse_traitement", dest, file_sha256(dest), dest.stat().st_size
        )
        store.add_event(
            "report_imported",
            f"{batch.name}: report imported by hand from {file}",
            batch_id=batch.id,
        )
        outcome = apply_report(store, batch, report)
    return ImportedReport(store.batch(batch.id), outcome, dest)

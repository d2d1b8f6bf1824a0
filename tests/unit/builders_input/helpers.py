"""Small helpers shared by the input-side tests: write exports, import them."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path

from pydantic import BaseModel

from builders.cdc.models import PassageRecord
from builders.cdc.versions import SchemaVersion
from builders.exports.importer import import_file
from builders.exports.normalize import format_resultats
from builders.exports.results import RowResult
from builders.exports.template import EXAMPLE
from builders.settings import BuildSettings, Declarant
from tests.holders import holder_for

DECLARANT = Declarant(
    id_client_emetteur="12ABC345",
    id_client_certificateur="12ABC345",
    id_contrat="MCFCER000123",
    nature_deposant="CERTIFICATEUR",
)


def base_row(**changes: str) -> dict[str, str]:
    """The template's valid example row with some cells changed ("" empties a cell)."""
    row = dict(EXAMPLE)
    if changes.get("idTechnique"):
        row["prenom1"] = holder_for(changes["idTechnique"])
    row.update(changes)
    return row


def write_csv(
    path: Path,
    rows: Sequence[Mapping[str, str]],
    *,
    headers: Sequence[str] | None = None,
    delimiter: str = ";",
    encoding: str = "utf-8",
) -> Path:
    """Write ``rows`` as a CSV export with ``headers`` (default: the first row's keys)."""
    names = list(headers if headers is not None else rows[0].keys())
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow(names)
        for row in rows:
            writer.writerow([row.get(name, "") for name in names])
    return path


def import_rows(
    tmp_path: Path,
    rows: Sequence[Mapping[str, str]],
    *,
    headers: Sequence[str] | None = None,
    declarant: Declarant = DECLARANT,
    settings: BuildSettings | None = None,
    schema_version: SchemaVersion | None = None,
) -> list[RowResult]:
    """Write ``rows`` to a CSV in ``tmp_path`` and import it."""
    path = write_csv(tmp_path / "export.csv", rows, headers=headers)
    return list(
        import_file(
            path,
            declarant=declarant,
            settings=settings or BuildSettings(),
            schema_version=schema_version,
        )
    )


def import_one(tmp_path: Path, row: Mapping[str, str], **kwargs: object) -> RowResult:
    """Import a single-row export and return its result."""
    results = import_rows(tmp_path, [row], **kwargs)  # type: ignore[arg-type]
    assert len(results) == 1
    return results[0]


def error_fields(result: RowResult) -> set[str]:
    """The CDC fields a row's errors name."""
    return {error.field for error in result.errors}


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def record_to_row(record: PassageRecord) -> dict[str, str]:
    """The export row a certifier would write for ``record`` (canonical columns)."""
    passage = record.passage
    row: dict[str, str] = {}
    for model in (record.declaration, record.certification, passage.modalitesInscription):
        row.update({name: _cell(value) for name, value in model})
    for name, value in passage:
        if not isinstance(value, BaseModel):
            row[name] = _cell(value)
    block = passage.niveauNumeriqueEuropeen
    if block is not None:
        row["scoreGeneral"] = _cell(block.scoreGeneral)
        row["resultats"] = format_resultats(block.resultats)
    identity = passage.identificationTitulaire
    for branch in (identity.titulaire, identity.dossierFormation, identity.identifiantNational):
        if branch is not None:
            row.update({name: _cell(value) for name, value in branch})
    return row

"""Property: any valid record, written as an export row, imports back as the same record."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from builders.cdc.models import MAX_DATE, PassageRecord
from builders.exports import codes, plausibility
from builders.exports.cellerror import CellError
from builders.exports.columns import CANONICAL
from builders.exports.holders import holder_key
from builders.exports.importer import import_file
from builders.settings import BuildSettings, Declarant

from .helpers import record_to_row, write_csv
from .strategies import passage_records

#: Every canonical column but the convenience ones (admis, dateNaissance).
HEADERS = [name for name in CANONICAL if name not in ("admis", "dateNaissance")]


#: "Today" for the round trip: no XSD-valid date is in the future then.
LAST_DAY = MAX_DATE


def _kept(convert: Callable[[str], str], value: str | None) -> bool:
    """Whether the importer's converter keeps ``value`` as it is."""
    if value is None:
        return True
    try:
        return convert(value) == value
    except CellError:
        return False


def _stable(record: PassageRecord) -> bool:
    """Values the importer rewrites on purpose (documented normalisations) are left out."""
    passage = record.passage
    identity = passage.identificationTitulaire
    postal = identity.titulaire.codePostal if identity.titulaire is not None else None
    dossier = identity.dossierFormation.idDossier if identity.dossierFormation else None
    nir = identity.identifiantNational.nir if identity.identifiantNational is not None else ""
    return (
        _kept(codes.parse_certification_code, record.certification.code)
        and _kept(codes.parse_postal, postal)
        and _kept(codes.parse_postal, passage.codePostalCentreExamen)
        and _kept(codes.parse_identifier, dossier)
        and _kept(codes.refuse_scientific, passage.idTechnique)
        and nir == nir.upper()
        and not [
            finding
            for finding in plausibility.findings(record, LAST_DAY, birth_field="anneeNaissance")
            if not finding.warning
        ]
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    version=st.sampled_from(["1.1.5", "1.1.2"]),
    data=st.data(),
)
def test_import_file_round_trips_records(version: str, data: st.DataObject) -> None:
    """Records of every branch, nils, DIGCOMP, VAE and births abroad survive CSV and import."""
    records = data.draw(st.lists(passage_records(version).filter(_stable), min_size=1, max_size=4))
    ids = [record.passage.idTechnique for record in records]
    assume(len(set(ids)) == len(ids))
    assume(len({holder_key(record) for record in records}) == len(records))
    with tempfile.TemporaryDirectory() as folder:
        path = write_csv(
            Path(folder) / "export.csv", [record_to_row(r) for r in records], headers=HEADERS
        )
        results = list(
            import_file(
                path,
                declarant=Declarant(),
                settings=BuildSettings(),
                schema_version=version,
                today=LAST_DAY,
            )
        )
    assert [result.errors for result in results] == [()] * len(records)
    assert [result.record for result in results] == records

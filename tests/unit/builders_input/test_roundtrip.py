"""Property: any valid record, written as an export row, imports back as the same record."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from builders.cdc.models import PassageRecord
from builders.exports.columns import CANONICAL
from builders.exports.importer import import_file
from builders.settings import BuildSettings, Declarant

from .helpers import record_to_row, write_csv
from .strategies import passage_records

#: Every canonical column but the convenience ones (admis, dateNaissance).
HEADERS = [name for name in CANONICAL if name not in ("admis", "dateNaissance")]


_CODE = re.compile(r"(RNCP|RS)\s*[0-9]+", re.IGNORECASE)


def _stable(record: PassageRecord) -> bool:
    """Values the importer rewrites on purpose (documented normalisations) are left out."""
    code = record.certification.code
    identity = record.passage.identificationTitulaire
    postal = identity.titulaire.codePostal if identity.titulaire is not None else None
    nir = identity.identifiantNational.nir if identity.identifiantNational is not None else ""
    return (
        (record.certification.type in ("RNCP", "RS") or not _CODE.fullmatch(code))
        and (postal is None or not (len(postal) == 4 and postal.isdigit()))
        and nir == nir.upper()
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
    with tempfile.TemporaryDirectory() as folder:
        path = write_csv(
            Path(folder) / "export.csv", [record_to_row(r) for r in records], headers=HEADERS
        )
        results = list(
            import_file(
                path, declarant=Declarant(), settings=BuildSettings(), schema_version=version
            )
        )
    assert [result.errors for result in results] == [()] * len(records)
    assert [result.record for result in results] == records

"""Fixtures for the output side: official XSDs (the oracle), a fixed clock, sample records."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree

from builders.cdc.models import (
    Certification,
    Declaration,
    IdentificationTitulaire,
    PassageCertification,
    PassageRecord,
    Titulaire,
)
from builders.flux.splitter import Fragment, Run
from builders.flux.spool import Spool

WINTER = dt.datetime(2026, 1, 15, 9, 30, 5, 123456, tzinfo=dt.UTC)
SUMMER = dt.datetime(2026, 7, 15, 9, 30, 5, tzinfo=dt.UTC)


@pytest.fixture(scope="session")
def xsd115(shared_cdc: Path) -> Path:
    """The official 1.1.5 XSD."""
    return shared_cdc / "cdc-certifications-1.1.5.xsd"


@pytest.fixture(scope="session")
def xsd112(shared_cdc: Path) -> Path:
    """The official 1.1.2 XSD."""
    return shared_cdc / "cdc-certifications-1.1.2.xsd"


@pytest.fixture(scope="session")
def oracle(xsd115: Path, xsd112: Path) -> dict[str, etree.XMLSchema]:
    """Compiled official schemas, by version."""
    return {
        "1.1.5": etree.XMLSchema(etree.parse(str(xsd115))),
        "1.1.2": etree.XMLSchema(etree.parse(str(xsd112))),
    }


def fixed_clock(moment: dt.datetime = WINTER) -> Callable[[], dt.datetime]:
    """A clock that always returns ``moment``."""
    return lambda: moment


def counter_ids() -> Callable[[], str]:
    """Deterministic idFlux factory."""
    numbers = itertools.count(1)
    return lambda: f"00000000-0000-4000-8000-{next(numbers):012d}"


def make_record(
    id_technique: str = "T1",
    *,
    code: str = "RNCP12345",
    type_: str = "RNCP",
    certificateur: str = "AB123CDE",
    emetteur: str = "AB123CDE",
    contrat: str = "MCFCER000123",
    nom: str = "Dupont",
) -> PassageRecord:
    """A small valid record."""
    return PassageRecord(
        declaration=Declaration(
            idClientEmetteur=emetteur, idClientCertificateur=certificateur, idContrat=contrat
        ),
        certification=Certification(type=type_, code=code, natureDeposant="CERTIFICATEUR"),
        passage=PassageCertification(
            idTechnique=id_technique,
            obtentionCertification="PAR_ADMISSION",
            donneeCertifiee=True,
            dateDebutValidite=dt.date(2025, 6, 30),
            presenceNiveauLangueEuro=False,
            presenceNiveauNumeriqueEuro=False,
            identificationTitulaire=IdentificationTitulaire(
                titulaire=Titulaire(
                    nomNaissance=nom,
                    prenom1="Élodie",
                    anneeNaissance=1990,
                    moisNaissance=3,
                    jourNaissance=14,
                    sexe="F",
                    codeInsee="75115",
                )
            ),
        ),
    )


def write_flux(records: list[PassageRecord], folder: Path, **options: object) -> list:
    """Write ``records`` with the default settings, a fixed clock and counter ids."""
    from builders.flux.writer import write_flux_files
    from builders.settings import BuildSettings

    settings = options.pop("settings", BuildSettings())
    return write_flux_files(
        records,
        folder,
        settings=settings,  # type: ignore[arg-type]
        now=options.pop("now", fixed_clock()),  # type: ignore[arg-type]
        new_id=options.pop("new_id", counter_ids()),  # type: ignore[arg-type]
        **options,  # type: ignore[arg-type]
    )


def strict_xsd(xsd115: Path, folder: Path, max_nom: int = 3) -> Path:
    """A copy (in a temp folder) of the official 1.1.5 XSD with nomNaissance limited to
    ``max_nom`` characters, to make the writer produce files an imported XSD rejects."""
    text = xsd115.read_text(encoding="utf-8")
    marker = '<xsd:element name="nomNaissance">'
    head, tail = text.rsplit(marker, 1)
    tail = tail.replace('<xsd:maxLength value="60"/>', f'<xsd:maxLength value="{max_nom}"/>', 1)
    path = folder / "strict.xsd"
    path.write_text(head + marker + tail, encoding="utf-8")
    return path


#: A valid export row with canonical (CDC) column names.
GOOD_ROW = {
    "idClientEmetteur": "12ABC345",
    "idClientCertificateur": "12ABC345",
    "idContrat": "MCFCER000123",
    "type": "RNCP",
    "code": "RNCP34567",
    "idTechnique": "ROW-1",
    "obtentionCertification": "PAR_ADMISSION",
    "donneeCertifiee": "oui",
    "dateDebutValidite": "28/06/2024",
    "presenceNiveauLangueEuro": "non",
    "presenceNiveauNumeriqueEuro": "non",
    "nomNaissance": "Martin",
    "prenom1": "Élodie",
    "dateNaissance": "17/04/1990",
    "sexe": "F",
    "codeInsee": "69123",
    "admis": "oui",
}


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    """Write an export as Excel would (UTF-8 with BOM, ``;``) with GOOD_ROW's columns."""
    import csv

    from tests.holders import holder_for

    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(GOOD_ROW), delimiter=";")
        writer.writeheader()
        for row in rows:
            own = {"prenom1": holder_for(row["idTechnique"])} if row.get("idTechnique") else {}
            writer.writerow({**GOOD_ROW, **own, **row})
    return path


def spool_claim(spool: Spool, fragment: Fragment, *, source: str, row: int) -> str | None:
    """Claim one fragment's idTechnique; the spool's message when it was already used."""
    emitter = fragment.file_key.id_client_emetteur
    return spool.claim_rows(source, [row], [emitter], [fragment.id_technique]).get(0)


def spool_add(spool: Spool, fragment: Fragment, *, source: str, row: int) -> str | None:
    """Claim then store one fragment, as the build does for a one-row block."""
    message = spool_claim(spool, fragment, source=source, row=row)
    if message is None:
        spool.store_run(Run.of([fragment]))
    return message

"""SUPPRESSION flux: every holder variant is written in the official sample's shape, and
``check`` accepts every SUPPRESSION file the official 1.1.5 XSD accepts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from lxml import etree

from builders.cdc.check import check_flux
from builders.cdc.models import (
    DossierFormation,
    IdentifiantNational,
    IdentificationTitulaire,
    PassageRecord,
    Titulaire,
)
from builders.flux.suppression import suppression_of, write_suppression_files
from builders.settings import BuildSettings
from tests.unit.builders_output.conftest import counter_ids, fixed_clock, make_record

CPF = {"cpf": "urn:cdc:cpf:pc5:schema:1.0.0"}

HOLDERS = {
    "titulaire": IdentificationTitulaire(
        titulaire=Titulaire(
            nomNaissance="DUPONT",
            nomUsage="MARTIN",
            prenom1="Élodie",
            prenom2="Anne",
            anneeNaissance=1990,
            moisNaissance=None,
            jourNaissance=None,
            sexe="F",
            codePostal="69003",
            libelleCommuneNaissance="Lyon",
        )
    ),
    "titulaire-abroad": IdentificationTitulaire(
        titulaire=Titulaire(
            nomNaissance="SMITH",
            prenom1="John",
            anneeNaissance=1985,
            moisNaissance=12,
            jourNaissance=31,
            sexe="M",
            codeInsee="99132",
            codePaysNaissance="132",
            libellePaysNaissance="Royaume-Uni",
        )
    ),
    "dossierFormation": IdentificationTitulaire(
        dossierFormation=DossierFormation(
            idDossier="1234567890123", nomTitulaire="DUPONT", prenom1Titulaire="Élodie"
        )
    ),
    "identifiantNational": IdentificationTitulaire(
        identifiantNational=IdentifiantNational(nir="2900375115123", nomNaissance="DUPONT")
    ),
}


def _with_holder(name: str, holder: IdentificationTitulaire) -> PassageRecord:
    record = make_record(f"ID-{name}")
    passage = record.passage.model_copy(update={"identificationTitulaire": holder})
    return record.model_copy(update={"passage": passage})


def _shape(element: etree._Element) -> list[object]:
    """Element names, nested, in document order (the sample's indentation ignored)."""
    return [
        (etree.QName(child).localname, _shape(child))
        for child in element
        if isinstance(child.tag, str)
    ]


@pytest.mark.parametrize("variant", sorted(HOLDERS))
def test_suppression_each_holder_variant_valid_and_shaped_like_the_sample(
    variant, tmp_path, oracle, shared_cdc
):
    """A SUPPRESSION for a declared record passes the official XSD; header and passage have
    exactly the official sample's elements (idTechnique, then the holder as declared)."""
    record = _with_holder(variant, HOLDERS[variant])
    [built] = write_suppression_files(
        [suppression_of(record)],
        tmp_path,
        settings=BuildSettings(),
        now=fixed_clock(),
        new_id=counter_ids(),
    )
    document = etree.parse(str(built.path))
    assert oracle["1.1.5"].validate(document), oracle["1.1.5"].error_log
    assert document.findtext("cpf:action", namespaces=CPF) == "SUPPRESSION"
    sample = etree.parse(str(shared_cdc / "cdc-example-1.1.5-SUPPRESSION.xml"))
    header = [e for e in _shape(document.getroot()) if e[0] != "emetteur"]
    assert header == [e for e in _shape(sample.getroot()) if e[0] != "emetteur"]
    [passage] = document.xpath("//cpf:passageCertification", namespaces=CPF)
    assert [name for name, _ in _shape(passage)] == ["idTechnique", "identificationTitulaire"]
    assert passage.findtext("cpf:idTechnique", namespaces=CPF) == f"ID-{variant}"
    [holder] = passage.find("cpf:identificationTitulaire", namespaces=CPF)
    assert etree.QName(holder).localname == variant.split("-")[0]
    sample_certification = sample.find(".//cpf:certification", namespaces=CPF)
    certification = document.find(".//cpf:certification", namespaces=CPF)
    assert [n for n, _ in _shape(certification)] == [n for n, _ in _shape(sample_certification)]
    assert check_flux(built.path, xsd=None) == []


def _creation_as_suppression(shared_cdc: Path, folder: Path, edits: dict[str, str]) -> Path:
    """The official CREATION sample turned into a SUPPRESSION (all its fields kept)."""
    text = (shared_cdc / "cdc-example-1.1.5-CREATION.xml").read_text(encoding="utf-8")
    text = text.replace("<cpf:action>CREATION</cpf:action>", "<cpf:action>SUPPRESSION</cpf:action>")
    assert "<cpf:action>SUPPRESSION</cpf:action>" in text
    for old, new in edits.items():
        assert old in text, old
        text = text.replace(old, new, 1)
    path = folder / "suppression.xml"
    path.write_text(text, encoding="utf-8")
    return path


#: Variants of a SUPPRESSION carrying every CREATION field, and what the XSD says of them.
EXTRA_CASES = {
    "all-fields": {},
    # rules the XSD does not check: a deletion only names the passage, so warnings
    "validity-reversed": {
        "<cpf:dateFinValidite>2030-12-13</cpf:dateFinValidite>": (
            "<cpf:dateFinValidite>2019-01-01</cpf:dateFinValidite>"
        )
    },
    "language-flag-without-level": {
        "<cpf:presenceNiveauLangueEuro>true</cpf:presenceNiveauLangueEuro>": (
            "<cpf:presenceNiveauLangueEuro>false</cpf:presenceNiveauLangueEuro>"
        )
    },
    "vae-without-route": {
        "<cpf:modaliteAcces>FORMATION_INITIALE_APPRENTISSAGE</cpf:modaliteAcces>\n"
        "\t\t\t\t\t\t\t\t\t<cpf:voieAccessVAE>VAE_CLASSIQUE</cpf:voieAccessVAE>": (
            "<cpf:modaliteAcces>VAE</cpf:modaliteAcces>"
        )
    },
    # CREATION fields a deletion may leave out (optional in 1.1.5)
    "without-creation-fields": {
        "<cpf:dateDebutValidite>2020-12-12</cpf:dateDebutValidite>": "",
        "<cpf:obtentionCertification>PAR_ADMISSION</cpf:obtentionCertification>": "",
    },
    # facet violations: the XSD refuses them, so does check
    "bad-enum": {"PAR_ADMISSION": "PAR_HASARD"},
    "postcode-too-long": {
        "<cpf:codePostalCentreExamen>75009<": "<cpf:codePostalCentreExamen>7500900000<"
    },
    "date-out-of-range": {"<cpf:dateFinValidite>2030-12-13": "<cpf:dateFinValidite>2100-12-13"},
}


@pytest.mark.parametrize("case", sorted(EXTRA_CASES))
def test_check_suppression_errors_exactly_when_the_xsd_refuses(case, shared_cdc, tmp_path, oracle):
    """check's built-in rules (no XSD given) find an error in a SUPPRESSION exactly when the
    official 1.1.5 XSD refuses it; business rules only warn there."""
    path = _creation_as_suppression(shared_cdc, tmp_path, EXTRA_CASES[case])
    xsd_ok = oracle["1.1.5"].validate(etree.parse(str(path)))
    findings = check_flux(path, xsd=None)
    errors = [f for f in findings if f.is_error]
    assert (errors == []) is xsd_ok, (case, [str(f) for f in findings])
    assert not any("Extra inputs" in f.message for f in findings)


def test_check_suppression_rule_findings_are_warnings(shared_cdc, tmp_path, xsd115):
    """A business rule broken inside a SUPPRESSION is reported, as a warning, at its line."""
    path = _creation_as_suppression(shared_cdc, tmp_path, EXTRA_CASES["vae-without-route"])
    findings = check_flux(path, xsd=xsd115)
    assert [(f.field, f.severity) for f in findings if f.field == "voieAccessVAE"] == [
        ("voieAccessVAE", "warning")
    ]
    assert all(not f.is_error for f in findings)


def test_check_suppression_birth_rule_warns_but_creation_errors(shared_cdc, tmp_path):
    """The same impossible birth date (31 February) is an error in a CREATION, a warning in a
    SUPPRESSION of it; both pass the XSD."""
    sample = (shared_cdc / "cdc-example-1.1.5-SUPPRESSION.xml").read_text(encoding="utf-8")
    text = sample.replace("<cpf:moisNaissance>01<", "<cpf:moisNaissance>02<").replace(
        "<cpf:jourNaissance>01<", "<cpf:jourNaissance>31<"
    )
    path = tmp_path / "s.xml"
    path.write_text(text, encoding="utf-8")
    [finding] = check_flux(path, xsd=None)
    assert (finding.field, finding.severity) == ("jourNaissance", "warning")


def test_check_suppression_duplicate_id_warns(shared_cdc, tmp_path):
    """The same idTechnique twice in a SUPPRESSION: the XSD accepts it, check warns."""
    sample = (shared_cdc / "cdc-example-1.1.5-SUPPRESSION.xml").read_text(encoding="utf-8")
    path = tmp_path / "s.xml"
    path.write_text(sample.replace("ID_TECHNIQUE_02", "ID_TECHNIQUE_01"), encoding="utf-8")
    findings = check_flux(path, xsd=None)
    assert [(f.field, f.severity) for f in findings] == [("idTechnique", "warning")]


def test_suppression_of_keeps_the_declared_certification(tmp_path):
    """The SUPPRESSION names the certification and BCRs the passage was declared with."""
    record = make_record("T9", code="RS1234", type_="RS", certificateur="CD456EFG")
    deletion = suppression_of(record)
    assert (deletion.certification, deletion.declaration) == (
        record.certification,
        record.declaration,
    )
    assert deletion.identificationTitulaire == record.passage.identificationTitulaire
    assert record.passage.dateDebutValidite == dt.date(2025, 6, 30)

"""The official samples parse, pass check and round-trip through the writer."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from builders.cdc.check import check_flux
from builders.cdc.fluxread import FluxHeader, iter_flux
from builders.cdc.models import PassageRecord, SuppressionRecord
from builders.flux.suppression import write_suppression_files
from builders.settings import BuildSettings
from tests.unit.builders_output.conftest import counter_ids, fixed_clock, write_flux

CREATION_SAMPLES = (
    ("cdc-example-1.1.2-Fichier-XML-v2.0.0.xml", "1.1.2"),
    ("cdc-example-1.1.5-CREATION.xml", "1.1.5"),
    ("pix-deposit-sample-RS-1.1.2.xml", "1.1.2"),
)
#: The official CDC samples give voieAccessVAE with modaliteAcces other than VAE: the CDC
#: accepts it, so the project's rule only warns (builders.cdc.rules.vae_route_unexpected).
VAE_WARNING_SAMPLES = {"cdc-example-1.1.2-Fichier-XML-v2.0.0.xml", "cdc-example-1.1.5-CREATION.xml"}


def _read(path: Path) -> tuple[FluxHeader, list]:
    header, passages = iter_flux(path)
    return header, list(passages)


@pytest.mark.parametrize(
    "name",
    [name for name, _ in CREATION_SAMPLES] + ["cdc-example-1.1.5-SUPPRESSION.xml"],
)
def test_samples_pass_check(shared_cdc, xsd115, xsd112, name):
    """No error at all; only the voieAccessVAE warning where the CDC's own samples carry it."""
    xsd = xsd112 if "1.1.2" in name else xsd115
    findings = check_flux(shared_cdc / name, xsd=xsd)
    assert [f for f in findings if f.is_error] == []
    warnings = {(f.field, f.value) for f in findings}
    if name in VAE_WARNING_SAMPLES:
        assert warnings == {("voieAccessVAE", "VAE_CLASSIQUE")}
    else:
        assert findings == []


@pytest.mark.parametrize(("name", "version"), CREATION_SAMPLES)
def test_samples_round_trip_through_writer(shared_cdc, oracle, tmp_path, name, version):
    """read -> records -> write -> read gives equal records; the rewrite passes the XSD."""
    header, passages = _read(shared_cdc / name)
    records = [p.record for p in passages]
    assert records and all(isinstance(r, PassageRecord) for r in records)
    assert [p.id_technique for p in passages] == [r.passage.idTechnique for r in records]
    built = write_flux(records, tmp_path / "out", schema_version=version)
    assert len(built) == 1
    assert oracle[version].validate(etree.parse(str(built[0].path))), oracle[version].error_log
    new_header, again = _read(built[0].path)
    assert [p.record for p in again] == records
    assert (new_header.id_client_emetteur, new_header.id_client_certificateur) == (
        header.id_client_emetteur,
        header.id_client_certificateur,
    )
    assert new_header.id_contrat == header.id_contrat


def test_samples_suppression_round_trip(shared_cdc, oracle, tmp_path):
    """The official SUPPRESSION sample reads as SuppressionRecords and is rewritten identically."""
    header, passages = _read(shared_cdc / "cdc-example-1.1.5-SUPPRESSION.xml")
    assert header.is_suppression
    records = [p.record for p in passages]
    assert [type(r) for r in records] == [SuppressionRecord] * 3
    built = write_suppression_files(
        records,  # type: ignore[arg-type]
        tmp_path,
        settings=BuildSettings(),
        now=fixed_clock(),
        new_id=counter_ids(),
    )
    document = etree.parse(str(built[0].path))
    assert oracle["1.1.5"].validate(document), oracle["1.1.5"].error_log
    new_header, again = _read(built[0].path)
    assert new_header.action == "SUPPRESSION"
    assert [p.record for p in again] == records
    passage = document.xpath(
        "//cpf:passageCertification[1]/*",
        namespaces={"cpf": "urn:cdc:cpf:pc5:schema:1.0.0"},
    )
    assert [etree.QName(e).localname for e in passage] == ["idTechnique", "identificationTitulaire"]


def test_fluxread_yields_broken_passages_with_their_problems(shared_cdc, tmp_path):
    """A passage breaking the rules still yields idTechnique, line, certification, holder."""
    text = (shared_cdc / "cdc-example-1.1.5-CREATION.xml").read_text(encoding="utf-8")
    broken = tmp_path / "broken.xml"
    # validity ending before it starts (2020-12-12): a rule the XSD cannot see
    broken.write_text(
        text.replace(
            "<cpf:dateFinValidite>2030-12-13</cpf:dateFinValidite>",
            "<cpf:dateFinValidite>2019-01-01</cpf:dateFinValidite>",
            1,
        ),
        encoding="utf-8",
    )
    header, passages = _read(broken)
    first = passages[0]
    assert first.record is None
    assert first.id_technique == "ID_TECHNIQUE_01"
    assert (first.certification_type, first.certification_code) == ("RNCP", "RNCP11556")
    assert first.holder()["titulaire"]["nomNaissance"] == "nomNaissance"
    assert first.line == 19
    problem = first.problems[0]
    assert problem.field == "dateFinValidite" and problem.value == "2019-01-01"
    lines = broken.read_text(encoding="utf-8").splitlines()
    assert lines[problem.line - 1].strip().startswith("<cpf:dateFinValidite>")
    assert passages[1].record is not None
    assert header.horodatage == "2020-12-18T14:24:12+01:00"

"""Every real report sample in ../shared/cdc parses to exactly what it says."""

from __future__ import annotations

from pathlib import Path

import pytest

from builders.cdc.messages import KoClass, classify
from builders.cdc.reports import ProcessingReport, parse_report, report_to_json
from tests.conftest import SHARED_CDC

SAMPLES = sorted(p.name for p in SHARED_CDC.glob("report-*.xml"))
H = KoClass.HOLDER_NOT_FOUND


def test_samples_found() -> None:
    """The glob finds the five known report samples (an empty glob would hide every test)."""
    assert len(SAMPLES) == 5


@pytest.mark.parametrize("name", SAMPLES)
def test_parse_report_every_sample_consistent(shared_cdc: Path, name: str) -> None:
    """Each sample parses; counts match the raw XML; KO carry class and hint; OK carry none."""
    path = shared_cdc / name
    raw = path.read_text("utf-8")
    report = parse_report(path)
    assert report == parse_report(path.read_bytes())
    assert report.nom_fichier is not None
    assert report.nom_fichier in raw
    assert report.id_traitement is not None
    assert len(report.ko) == raw.count("<passage>")
    assert len(report.errors) == raw.count("<erreur>")
    assert len(report.passages) == raw.count("<idTechnique>")
    assert report.file_rejected == ("<erreurs>" in raw)
    for passage in report.ko:
        assert passage.klass is classify(passage.message)
        assert passage.hint
        assert f"<idTechnique>{passage.id_technique}</idTechnique>" in raw
    for passage in report.passages:
        if passage.ok:
            assert (passage.message, passage.klass, passage.hint) == (None, None, None)


def _summary(report: ProcessingReport) -> tuple[object, ...]:
    return (
        report.nom_fichier,
        report.id_flux,
        report.id_traitement,
        [(p.id_technique, p.klass) for p in report.ko],
        report.ok_ids,
        [(e.type, e.line, e.column) for e in report.errors],
    )


def test_parse_report_pix_ok_ko(shared_cdc: Path) -> None:
    """The Pix OK/KO report: 3 KO (holder, holder, duplicate) then 2 OK, in document order."""
    report = parse_report(shared_cdc / "report-pix-accuse-de-traitement-ok-ko-20231018.xml")
    assert _summary(report) == (
        "pix-cpf-export-20231016-223239.xml",
        "4df76fd4-0915-46df-8c56-525506af35be",
        "67598",
        [("1979262", H), ("1996215", H), ("1983189", KoClass.DUPLICATE)],
        ("1968666", "1964200"),
        [],
    )
    assert not report.file_rejected
    # The duplicate message names another id (1559735): never taken from the text.
    assert report.ko[2].id_technique == "1983189"
    assert "1559735" in (report.ko[2].message or "")
    assert [p.ok for p in report.passages] == [False, False, False, True, True]


def test_parse_report_pix_cpf_import_log(shared_cdc: Path) -> None:
    """The older Pix fixture (standalone=yes): 2 KO, 1 OK as a single child."""
    report = parse_report(shared_cdc / "report-pix-cpfImportLog-fixture.xml")
    assert _summary(report) == (
        "pix-cpf-export-20221003-324234.xml",
        "1234-abcd",
        "1",
        [("1234", H), ("4567", KoClass.DUPLICATE)],
        ("891011",),
        [],
    )


def test_parse_report_qm124(shared_cdc: Path) -> None:
    """The qm124 report: 7 KO, one of them several_holders, and 17 OK."""
    report = parse_report(shared_cdc / "report-qm124-RECONSTRUCTED-from-parsed-dict.xml")
    assert report.id_traitement == "51354"
    assert report.id_flux == "lnf00000-0000-0000-0000-000000000008"
    assert len(report.ko) == 7
    assert len(report.ok_ids) == 17
    classes = [p.klass for p in report.ko]
    assert classes.count(KoClass.SEVERAL_HOLDERS) == 1
    assert classes.count(H) == 6
    assert report.ko[4].id_technique == "202104-10523"
    assert report.ko[4].klass is KoClass.SEVERAL_HOLDERS
    assert report.ok_ids[0] == "202006-2094"
    assert report.ok_ids[-1] == "LNF_Accrochage_668"


def test_parse_report_pix_xsd_error(shared_cdc: Path) -> None:
    """The Pix XSD-error report: file rejected, no idFlux, error at line 1 column 18."""
    report = parse_report(shared_cdc / "report-pix-accuse-de-traitement-erreur-xsd.xml")
    assert _summary(report) == (
        "pix-cpf-export-20231016-223357_002.xml",
        None,
        "68548",
        [],
        (),
        [("XSD", 1, 18)],
    )
    assert report.file_rejected
    assert report.errors[0].message == (
        "Un espace est obligatoire entre les données et la cible de l'instruction de traitement."
    )


def test_parse_report_2021_id_demande(shared_cdc: Path) -> None:
    """The 2021 transcription uses idDemande, read as idTraitement; error at line 7 column 12."""
    report = parse_report(shared_cdc / "report-official-2021-xsd-error-TRANSCRIBED.xml")
    assert _summary(report) == (
        "xsdCommentaireInterdit.xml",
        None,
        "472",
        [],
        (),
        [("XSD", 7, 12)],
    )
    assert report.errors[0].message == 'La chaîne "--" n\'est pas autorisée dans les commentaires.'


def test_report_to_json_shape(shared_cdc: Path) -> None:
    """report_to_json uses the CDC key names and OK/KO statuses, key by key."""
    data = report_to_json(
        parse_report(shared_cdc / "report-pix-accuse-de-traitement-ok-ko-20231018.xml")
    )
    assert list(data) == ["nomFichier", "idFlux", "idTraitement", "passages", "errors"]
    assert data["passages"][0] == {
        "idTechnique": "1979262",
        "status": "KO",
        "message": "Aucun titulaire ne correspond aux critères obligatoires",
        "class": "holder_not_found",
        "hint": data["passages"][0]["hint"],
    }
    assert data["passages"][0]["hint"]
    assert data["passages"][-1] == {
        "idTechnique": "1964200",
        "status": "OK",
        "message": None,
        "class": None,
        "hint": None,
    }
    assert data["errors"] == []
    rejected = report_to_json(
        parse_report(shared_cdc / "report-pix-accuse-de-traitement-erreur-xsd.xml")
    )
    assert rejected["errors"] == [
        {
            "type": "XSD",
            "message": (
                "Un espace est obligatoire entre les données et la cible de l'instruction "
                "de traitement."
            ),
            "ligne": 1,
            "colonne": 18,
        }
    ]

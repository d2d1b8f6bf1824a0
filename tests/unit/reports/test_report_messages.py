"""The CDC message catalogue: exact texts, classification and operator hints."""

from __future__ import annotations

from pathlib import Path

import pytest

from builders.cdc.messages import (
    HOLDER_NOT_FOUND,
    HOLDER_NOT_FOUND_ENRICHED,
    HOLDER_NOT_FOUND_RECONCILIATION,
    SEVERAL_HOLDERS,
    KoClass,
    certification_ko_message,
    classify,
    duplicate_message,
    hint,
    normalise,
    validity_date_message,
)

# Exact texts of cdc-format.md §8.1, typed from the fact sheet (independent of the module).
DOC_DUPLICATE = (
    "Le passage certification avec le bcr émetteur 03VML243 et l'id technique partenaire "
    "1559735 existe déjà en base"
)
DOC_CERTIFICATION = (
    "Le statut de la certification avec le bcr émetteur 12ABC345, l'id technique partenaire "
    "P-1 et l'index 0 est KO"
)
DOC_DATE = (
    "La date de fin de validité est inférieure à date de début de validité pour le passage "
    "certification avec le bcr émetteur 12ABC345 et l'id technique partenaire P-2"
)


def test_duplicate_message_matches_real_report(shared_cdc: Path) -> None:
    """The rendered duplicate text is byte-identical to the one in the Pix report sample."""
    sample = (shared_cdc / "report-pix-accuse-de-traitement-ok-ko-20231018.xml").read_text("utf-8")
    rendered = duplicate_message("03VML243", "1559735")
    assert rendered == DOC_DUPLICATE
    assert f"<messageErreur>{rendered}</messageErreur>" in sample


def test_certification_ko_message_exact_text() -> None:
    """The certification KO template renders the documented text."""
    assert certification_ko_message("12ABC345", "P-1") == DOC_CERTIFICATION


def test_validity_date_message_exact_text() -> None:
    """The validity-date template renders the documented text."""
    assert validity_date_message("12ABC345", "P-2") == DOC_DATE


def test_holder_constants_exact_texts(shared_cdc: Path) -> None:
    """The holder constants are the documented texts; two appear verbatim in real samples."""
    assert HOLDER_NOT_FOUND == "Aucun titulaire ne correspond aux critères obligatoires"
    assert HOLDER_NOT_FOUND_ENRICHED == (
        "Aucun titulaire ne correspond aux critères obligatoires enrichis du jour et du mois "
        "de naissance"
    )
    assert HOLDER_NOT_FOUND_RECONCILIATION == (
        "Aucun titulaire ne correspond aux critères de reconciliation"
    )
    assert SEVERAL_HOLDERS == "Plusieurs titulaires ont été identifiés"
    pix = (shared_cdc / "report-pix-accuse-de-traitement-ok-ko-20231018.xml").read_text("utf-8")
    qm = (shared_cdc / "report-qm124-RECONSTRUCTED-from-parsed-dict.xml").read_text("utf-8")
    assert f">{HOLDER_NOT_FOUND_ENRICHED}<" in pix
    assert f">{SEVERAL_HOLDERS}<" in qm


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (DOC_DUPLICATE, KoClass.DUPLICATE),
        (duplicate_message("X", "Y"), KoClass.DUPLICATE),
        (DOC_CERTIFICATION, KoClass.CERTIFICATION),
        (DOC_DATE, KoClass.DATE),
        (HOLDER_NOT_FOUND, KoClass.HOLDER_NOT_FOUND),
        (HOLDER_NOT_FOUND_ENRICHED, KoClass.HOLDER_NOT_FOUND),
        (HOLDER_NOT_FOUND_RECONCILIATION, KoClass.HOLDER_NOT_FOUND),
        (SEVERAL_HOLDERS, KoClass.SEVERAL_HOLDERS),
        ("Le titulaire existe déjà en base", KoClass.OTHER),
        ("Erreur technique inattendue", KoClass.OTHER),
        ("", KoClass.OTHER),
        (None, KoClass.OTHER),
    ],
)
def test_classify_documented_messages(message: str | None, expected: KoClass) -> None:
    """Every documented message gets its class; unknown, empty and missing give OTHER."""
    assert classify(message) is expected


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("AUCUN TITULAIRE NE CORRESPOND AUX CRITERES OBLIGATOIRES", KoClass.HOLDER_NOT_FOUND),
        ("  Aucun   titulaire\nne correspond\taux critères  ", KoClass.HOLDER_NOT_FOUND),
        (
            "Aucun titulaire ne correspond aux critères de réconciliation",
            KoClass.HOLDER_NOT_FOUND,
        ),
        ("plusieurs titulaires ont ete identifies.", KoClass.SEVERAL_HOLDERS),
        (DOC_DUPLICATE.replace("'", "\u2019").upper(), KoClass.DUPLICATE),
        (DOC_CERTIFICATION.replace("est KO", "est KO."), KoClass.CERTIFICATION),
        (DOC_DATE.replace("é", "e").replace("É", "E"), KoClass.DATE),
        # Decomposed accents (NFD) as some tools write them.
        ("Plusieurs titulaires ont e\u0301te\u0301 identifie\u0301s", KoClass.SEVERAL_HOLDERS),
    ],
)
def test_classify_tolerates_case_accents_whitespace(message: str, expected: KoClass) -> None:
    """Classification survives case, accents, apostrophes, punctuation and whitespace changes."""
    assert classify(message) is expected


def test_classify_does_not_confuse_near_messages() -> None:
    """A certification text not ending KO, and a date text without ordering, are OTHER."""
    assert classify("Le statut de la certification est OK") is KoClass.OTHER
    assert classify("La date de naissance est absente") is KoClass.OTHER
    assert classify("Le passage existe") is KoClass.OTHER


def test_normalise_folds_text() -> None:
    """normalise strips accents and case, straightens apostrophes and collapses spaces."""
    assert normalise(" L\u2019Été  DÉJÀ\n") == "l'ete deja"


def test_hint_distinct_and_actionable_per_class() -> None:
    """Every class has its own non-empty hint naming what to check."""
    hints = {klass: hint(klass) for klass in KoClass}
    assert len(set(hints.values())) == len(KoClass)
    assert all(text.strip() for text in hints.values())
    for word in ("birth name", "first name", "sex", "birth date", "commune"):
        assert word in hints[KoClass.HOLDER_NOT_FOUND]
    assert "nothing to do" in hints[KoClass.DUPLICATE]
    assert "France compétences" in hints[KoClass.CERTIFICATION]
    assert "end of validity" in hints[KoClass.DATE]


def test_ko_class_values_are_contract() -> None:
    """The class values printed in JSON are the documented ones."""
    assert [k.value for k in KoClass] == [
        "duplicate",
        "holder_not_found",
        "several_holders",
        "certification",
        "date",
        "other",
    ]

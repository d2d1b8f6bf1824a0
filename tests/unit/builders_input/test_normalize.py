"""Normalisation tables: dates, booleans, integers, enumeration labels, codes, DIGCOMP results."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builders.cdc import models
from builders.exports.normalize import (
    CellError,
    enum_converter,
    fold,
    format_resultats,
    parse_birth_date,
    parse_bool,
    parse_certification_code,
    parse_certification_type,
    parse_date,
    parse_insee,
    parse_int,
    parse_postal,
    parse_resultats,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("28/06/2024", dt.date(2024, 6, 28)),
        ("1/2/2024", dt.date(2024, 2, 1)),
        ("2024-06-28", dt.date(2024, 6, 28)),
        ("2024-06-28T00:00:00", dt.date(2024, 6, 28)),
        ("2024-06-28 00:00", dt.date(2024, 6, 28)),
        ("2024-06-28T10:00:00", dt.date(2024, 6, 28)),
        ("29/02/2024", dt.date(2024, 2, 29)),
        ("01/01/1900", dt.date(1900, 1, 1)),
        ("31/12/2099", dt.date(2099, 12, 31)),
    ],
)
def test_parse_date_accepts(raw: str, expected: dt.date) -> None:
    """DD/MM/YYYY and ISO dates are read."""
    assert parse_date(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("31/02/2024", "not a real calendar date"),
        ("29/02/2023", "not a real calendar date"),
        ("2024-13-01", "no month 13$"),
        ("01/01/1899", "outside 1900-2099"),
        ("2100-01-01", "outside 1900-2099"),
        ("28 juin 2024", "DD/MM/YYYY"),
        ("06/28/24", "no month 28: dates are read day first"),
    ],
)
def test_parse_date_rejects(raw: str, message: str) -> None:
    """Impossible dates, years outside 1900-2099 and other formats are refused with a reason."""
    with pytest.raises(CellError, match=message):
        parse_date(raw)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dates(dt.date(1900, 1, 1), dt.date(2099, 12, 31)))
def test_parse_date_round_trips(date: dt.date) -> None:
    """Every XSD-valid date reads back from both written forms."""
    assert parse_date(date.isoformat()) == date
    assert parse_date(date.strftime("%d/%m/%Y")) == date


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1990", (1990, None, None)),
        ("04/1990", (1990, 4, None)),
        ("1990-04", (1990, 4, None)),
        ("17/04/1990", (1990, 4, 17)),
        ("1990-04-17", (1990, 4, 17)),
    ],
)
def test_parse_birth_date_partial(raw: str, expected: tuple[int, int | None, int | None]) -> None:
    """A birth date may be partial: year, month and year, or full."""
    assert parse_birth_date(raw) == expected


@pytest.mark.parametrize("raw", ["13/1990", "1899", "30/02/1990", "avril 1990"])
def test_parse_birth_date_rejects(raw: str) -> None:
    """Impossible or unreadable birth dates are refused."""
    with pytest.raises(CellError):
        parse_birth_date(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        *[(word, True) for word in ("true", "TRUE", "Oui", "vrai", "VRAI", "1", "yes")],
        *[(word, False) for word in ("false", "False", "non", "NON", "faux", "0", "no")],
    ],
)
def test_parse_bool_words(raw: str, expected: bool) -> None:
    """French and English booleans in any case."""
    assert parse_bool(raw) is expected


@pytest.mark.parametrize("raw", ["peut-être", "2", "oui non"])
def test_parse_bool_rejects(raw: str) -> None:
    """Anything else is refused, naming the accepted words."""
    with pytest.raises(CellError, match="oui/non"):
        parse_bool(raw)


def test_parse_int_digits_only() -> None:
    """Integers are digits only."""
    assert parse_int("0042") == 42
    for raw in ("12.5", "-3", "douze"):
        with pytest.raises(CellError, match="whole number"):
            parse_int(raw)


LABELS = [
    (models.Mention, "Assez bien", "MENTION_ASSEZ_BIEN"),
    (models.Mention, "Très bien", "MENTION_TRES_BIEN"),
    (models.Mention, "Sans mention", "SANS_MENTION"),
    (models.Mention, "mention_bien", "MENTION_BIEN"),
    (models.Mention, "Félicitations du jury", "MENTION_TRES_BIEN_AVEC_FELICITATIONS_DU_JURY"),
    (models.ModalitePassageExamen, "Présentiel", "EN_PRESENTIEL"),
    (models.ModalitePassageExamen, "En présentiel", "EN_PRESENTIEL"),
    (models.ModalitePassageExamen, "A distance", "A_DISTANCE"),
    (models.ModalitePassageExamen, "À distance", "A_DISTANCE"),
    (models.ModalitePassageExamen, "Mixte", "MIXTE"),
    (models.Sexe, "Homme", "M"),
    (models.Sexe, "H", "M"),
    (models.Sexe, "Masculin", "M"),
    (models.Sexe, "m", "M"),
    (models.Sexe, "Femme", "F"),
    (models.Sexe, "Féminin", "F"),
    (models.ObtentionCertification, "Par admission", "PAR_ADMISSION"),
    (models.ObtentionCertification, "Par scoring", "PAR_SCORING"),
    (models.ModaliteAcces, "Apprentissage", "FORMATION_INITIALE_APPRENTISSAGE"),
    (models.ModaliteAcces, "VAE", "VAE"),
    (models.ModaliteAcces, "Candidat libre", "CANDIDAT_LIBRE"),
    (models.ModaliteAcces, "EQUIVALENCE_(DIPLOME_ETRANGER)", "EQUIVALENCE_DIPLOME_ETRANGER"),
    (models.VoieAccesVAE, "Congés VAE", "CONGES_VAE"),
    (models.VoieAccesVAE, "VAE classique", "VAE_CLASSIQUE"),
    (models.InitiativeInscription, "Pôle emploi", "POLE_EMPLOI"),
    (models.InitiativeInscription, "Organisme de formation", "OF"),
    (models.NatureDeposant, "Certificateur", "CERTIFICATEUR"),
    (models.NatureDeposant, "Tiers de confiance", "TIERS_CONFIANCE"),
    (models.NiveauCECRL, "b2", "B2"),
    (models.NiveauCECRL, "Insuffisant", "INSUFFISANT"),
]


@pytest.mark.parametrize(("enum", "raw", "expected"), LABELS)
def test_enum_converter_labels(enum: type[StrEnum], raw: str, expected: str) -> None:
    """XSD values in any case and the obvious French labels map to the XSD value."""
    assert enum_converter(enum)(raw) == expected


@pytest.mark.parametrize("enum", [models.Mention, models.Sexe, models.ModaliteAcces])
def test_enum_converter_every_value(enum: type[StrEnum]) -> None:
    """Every XSD value reads as itself, lower case too."""
    convert = enum_converter(enum)
    for member in enum:
        assert convert(member.value) == member.value
        assert convert(member.value.lower()) == member.value


def test_enum_converter_rejects_listing_values() -> None:
    """An unknown label is refused with the list of XSD values."""
    with pytest.raises(CellError, match="expected one of: M, F"):
        enum_converter(models.Sexe)("X")


def test_fold_removes_accents_and_separators() -> None:
    """Labels fold to upper case, no accents, one underscore per separator run."""
    assert fold(" Très  bien - avec l'ÉTÉ ") == "TRES_BIEN_AVEC_L_ETE"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("rncp", "RNCP"),
        ("Répertoire spécifique", "RS"),
        ("Diplôme d'établissement", "Diplôme d'Etablissement"),
        ("diplome universitaire", "Diplôme Universitaire"),
        ("HABILITATION", "Habilitation"),
    ],
)
def test_parse_certification_type(raw: str, expected: str) -> None:
    """Certification types of the V22 dictionary in their canonical spelling."""
    assert parse_certification_type(raw) == expected


def test_parse_certification_type_rejects() -> None:
    """Types outside the dictionary are refused."""
    with pytest.raises(CellError, match="RNCP, RS"):
        parse_certification_type("Titre pro")


def test_parse_certification_code_normalises_prefix() -> None:
    """`rncp 12345` becomes RNCP12345; other codes are kept as written."""
    assert parse_certification_code("rncp 12345") == "RNCP12345"
    assert parse_certification_code("Rs5875") == "RS5875"
    assert parse_certification_code("1710") == "1710"


def test_parse_commune_codes_restore_leading_zero() -> None:
    """A 4-digit code lost its leading zero in a spreadsheet; Corsican codes go upper case."""
    assert parse_insee("1053") == "01053"
    assert parse_insee("2a004") == "2A004"
    assert parse_insee("75056") == "75056"
    assert parse_postal("1000") == "01000"
    assert parse_postal("sw1a") == "sw1a"


def test_parse_resultats_round_trip() -> None:
    """DIGCOMP results read from `domaine.competence=niveau|...` and format back."""
    items = parse_resultats("1.1=3 | 2.6 = 5|5.4=1")
    assert items == [
        {"domaineCompetenceId": "1", "competenceId": "1", "niveau": 3},
        {"domaineCompetenceId": "2", "competenceId": "6", "niveau": 5},
        {"domaineCompetenceId": "5", "competenceId": "4", "niveau": 1},
    ]
    block = models.NiveauNumeriqueEuropeen(scoreGeneral=1, resultats=items)  # type: ignore[arg-type]
    assert format_resultats(block.resultats) == "1.1=3|2.6=5|5.4=1"


@pytest.mark.parametrize("raw", ["1.1", "11=3", "1.1=x", "a.b=3"])
def test_parse_resultats_rejects(raw: str) -> None:
    """Malformed DIGCOMP items are refused with the expected format."""
    with pytest.raises(CellError, match=r"domaine\.competence=niveau"):
        parse_resultats(raw)

"""Plausibility of valid rows: errors the CDC would reject, warnings an operator should see."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from builders.exports.importer import import_file
from builders.exports.plausibility import add_months
from builders.settings import BuildSettings

from .helpers import DECLARANT, base_row, write_csv

TODAY = dt.date(2024, 7, 15)


def _import(tmp_path: Path, rows: list[dict[str, str]], today: dt.date = TODAY) -> list:
    headers = list(dict.fromkeys(name for row in rows for name in row))
    path = write_csv(tmp_path / "export.csv", rows, headers=headers)
    return list(import_file(path, declarant=DECLARANT, settings=BuildSettings(), today=today))


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"dateDebutValidite": "16/07/2024"},
            "dateDebutValidite",
            "in the future (today is 15/07/2024)",
        ),
        (
            {"anneeNaissance": "2025", "moisNaissance": "", "jourNaissance": ""},
            "anneeNaissance",
            "in the future (today is 15/07/2024)",
        ),
        (
            {"anneeNaissance": "2024", "moisNaissance": "6", "jourNaissance": "29"},
            "dateDebutValidite",
            "before the holder's birth (29/06/2024)",
        ),
        (
            {"anneeNaissance": "2010", "moisNaissance": "6", "jourNaissance": "29"},
            "anneeNaissance",
            "the holder would be 13 at the certification date (28/06/2024): at least 14",
        ),
        (
            {"dateFinExamen": "29/06/2024"},
            "dateFinExamen",
            "after the certification date dateDebutValidite (28/06/2024)",
        ),
        (
            {"dateDebutExamen": "29/06/2024", "dateFinExamen": ""},
            "dateDebutExamen",
            "after the certification date",
        ),
    ],
)
def test_implausible_rows_are_errors(
    tmp_path: Path, changes: dict[str, str], field: str, message: str
) -> None:
    """Future certification, birth after it or in the future, under 14, exam after it."""
    [result] = _import(tmp_path, [base_row(**changes)])
    assert result.record is None
    assert [(e.field, message in e.message) for e in result.errors] == [(field, True)]


def test_fourteen_on_the_day_is_fine(tmp_path: Path) -> None:
    """Born 28/06/2010, certified 28/06/2024: exactly 14, accepted."""
    [result] = _import(
        tmp_path, [base_row(anneeNaissance="2010", moisNaissance="6", jourNaissance="28")]
    )
    assert result.errors == ()


def test_partial_birth_year_judged_at_its_precision(tmp_path: Path) -> None:
    """Born "in 2010": on 28/06/2024 the holder may be 14 (born in January), so no error."""
    row = base_row(anneeNaissance="2010", moisNaissance="", jourNaissance="")
    [result] = _import(tmp_path, [row])
    assert result.errors == ()


def test_birth_error_names_date_naissance_column(tmp_path: Path) -> None:
    """With a dateNaissance column the birth finding names it, with its cell."""
    row = base_row(anneeNaissance="", moisNaissance="", jourNaissance="")
    row["dateNaissance"] = "01/01/2030"
    [result] = _import(tmp_path, [row])
    assert [(e.field, e.value) for e in result.errors] == [("dateNaissance", "01/01/2030")]


def test_late_declaration_is_a_warning(tmp_path: Path) -> None:
    """Past the 3-month deadline: declared, with a warning naming the deadline."""
    [result] = _import(tmp_path, [base_row()], today=dt.date(2024, 9, 29))
    assert result.record is not None
    assert [(w.field, w.message) for w in result.warnings] == [
        (
            "dateDebutValidite",
            "late declaration: the 3-month deadline after the certification date passed on "
            "28/09/2024",
        )
    ]
    [on_time] = _import(tmp_path, [base_row()], today=dt.date(2024, 9, 28))
    assert on_time.warnings == ()


@pytest.mark.parametrize(
    ("code", "label", "warned"),
    [
        ("75015", "Paris", True),
        ("69003", "Lyon", True),
        ("69003", "Albigny-sur-Saône", False),
        ("13001", "Marseille", True),
        ("13001", "Aix-en-Provence", False),
        ("06000", "Nice", True),
        ("75115", "Paris 15e Arrondissement", False),
        ("69123", "Lyon", False),
    ],
)
def test_postal_code_given_as_insee_is_a_warning(
    tmp_path: Path, code: str, label: str, warned: bool
) -> None:
    """Arrondissement postal codes and codes ending in 000 in codeInsee are warned about."""
    [result] = _import(tmp_path, [base_row(codeInsee=code, libelleCommuneNaissance=label)])
    assert result.record is not None
    assert any(w.field == "codeInsee" for w in result.warnings) is warned


def test_voie_acces_vae_without_vae_is_a_warning(tmp_path: Path) -> None:
    """The check warning (voieAccessVAE without VAE) reaches the importer's results."""
    [result] = _import(tmp_path, [base_row(voieAccessVAE="VAE_CLASSIQUE")])
    assert result.record is not None
    assert [w.field for w in result.warnings] == ["voieAccessVAE"]


def test_same_holder_same_certification_two_ids_is_an_error(tmp_path: Path) -> None:
    """The second id for the same holder and certification is refused, naming the first row."""
    same = {"prenom1": "Élodie"}
    results = _import(
        tmp_path,
        [
            base_row(idTechnique="A1", **same),
            base_row(idTechnique="A2", **same, nomNaissance="MARTIN"),
            base_row(idTechnique="A3", **same, code="RNCP11111"),
            base_row(idTechnique="A1", **same),
        ],
    )
    assert results[0].record is not None
    assert [(e.field, e.message) for e in results[1].errors] == [
        (
            "idTechnique",
            "the same holder and certification are on row 2 under another idTechnique: one "
            "certificate would be declared twice",
        )
    ]
    assert results[2].record is not None  # another certification
    assert [e.field for e in results[3].errors] == ["idTechnique"]  # a reused id, reported as such
    assert "same idTechnique" in results[3].errors[0].message


def test_limited_validity_renewal_is_another_certificate(tmp_path: Path) -> None:
    """A certification with dateFinValidite renewed later: two certificates, both declared."""
    results = _import(
        tmp_path,
        [
            base_row(idTechnique="T1", prenom1="Élodie", dateFinValidite="28/06/2026"),
            base_row(
                idTechnique="T2",
                prenom1="Élodie",
                dateDebutExamen="",
                dateFinExamen="",
                dateDebutValidite="01/07/2024",
                dateFinValidite="01/07/2026",
            ),
        ],
    )
    assert [r.errors for r in results] == [(), ()]


def test_add_months_clamps_to_month_end() -> None:
    """31 January + 1 month is 29 February in a leap year."""
    assert add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)
    assert add_months(dt.date(2024, 11, 30), 3) == dt.date(2025, 2, 28)

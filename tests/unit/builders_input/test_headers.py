"""Header matching: CDC names, French labels, the config, and what is reported (headers.py)."""

from __future__ import annotations

import pytest

from builders.errors import BuildError
from builders.exports.headers import LABELS, header_key, match_headers, score, suggest


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("Nom de naissance", "nomNaissance"),
        ("NOM DE\nNAISSANCE", "nomNaissance"),
        ("  nom_de_naissance ", "nomNaissance"),
        ("Nom d’usage", "nomUsage"),
        ("PRENOM", "prenom1"),
        ("Code INSEE (commune de naissance)", "codeInsee"),
        ("Date d'obtention", "dateDebutValidite"),
        ("Date de début d'examen", "dateDebutExamen"),
        ("N° candidat", "idTechnique"),
        ("Voie d'accès", "modaliteAcces"),
        ("Admis(e)", "admis"),
        ("nomnaissance", "nomNaissance"),
        ("Civilité", "sexe"),
    ],
)
def test_match_headers_recognises_french_labels_and_cdc_names(header, column):
    """Labels and CDC names match regardless of case, accents, punctuation and line breaks."""
    match = match_headers([header], {}, "f.csv", 1)
    assert match.columns == {column: header}
    assert match.unknown == []


def test_labels_keys_are_unique_across_columns():
    """No label key gives two columns (one would silently shadow the other)."""
    owners: dict[str, set[str]] = {}
    for column, labels in LABELS.items():
        for label in labels:
            owners.setdefault(header_key(label), set()).add(column)
    assert {key: cols for key, cols in owners.items() if len(cols) > 1} == {}


def test_match_headers_config_overrides_a_label():
    """A [build.columns] entry wins over the label reading of the same header."""
    match = match_headers(["Nom", "Nom de naissance"], {"nom": "nomUsage"}, "f.csv", 1)
    assert match.columns == {"nomUsage": "Nom", "nomNaissance": "Nom de naissance"}
    assert match.notices == []


def test_match_headers_more_specific_label_wins_with_a_notice():
    """Two labels for one column: the more specific one is used, the other reported."""
    match = match_headers(["Résultat", "Décision du jury"], {}, "f.csv", 2)
    assert match.columns == {"admis": "Décision du jury"}
    (notice,) = match.notices
    assert (notice.row, notice.field, notice.value) == (2, "admis", "Résultat")


def test_match_headers_reports_unused_config_entry():
    """A [build.columns] entry that matches no header is a notice naming its target."""
    match = match_headers(["idTechnique"], {"Statut jury": "admis"}, "f.csv", 1)
    (notice,) = match.notices
    assert notice.field == "admis"
    assert "matches no header of the file" in notice.message


def test_match_headers_repeated_unused_header_is_a_notice_used_one_an_error():
    """A repeated header is fatal only when its column is used."""
    match = match_headers(["idTechnique", "Remarque", "REMARQUE"], {}, "f.csv", 1)
    assert [n.message for n in match.notices] == [
        "this header appears twice; the column is not used"
    ]
    with pytest.raises(BuildError, match="the header 'PRÉNOM' appears twice"):
        match_headers(["Prénom", "PRÉNOM"], {}, "f.csv", 1)


def test_match_headers_two_cdc_headers_for_one_column_is_an_error():
    """A CDC name and a config entry giving the same column cannot be told apart."""
    with pytest.raises(BuildError, match="both give column nomNaissance"):
        match_headers(["Nom", "nomNaissance"], {"Nom": "nomNaissance"}, "f.csv", 1)


def test_match_headers_unknown_target_suggests_the_column():
    """A config entry targeting a misspelt column is an error with a suggestion."""
    with pytest.raises(BuildError, match=r"not a known column \(did you mean nomNaissance\?\)"):
        match_headers(["Nom"], {"Nom": "nomNaisance"}, "f.csv", 1)


@pytest.mark.parametrize(
    ("header", "hint"),
    [
        ("nomNaisance", " (did you mean nomNaissance?)"),
        ("Date de naisance", " (did you mean dateNaissance?)"),
        ("Remarques", ""),
        ("Nm", ""),
    ],
)
def test_suggest_names_close_columns_only(header, hint):
    """Near misses get a "did you mean"; unrelated or tiny headers get nothing."""
    assert suggest(header) == hint


def test_score_counts_distinct_columns():
    """A header row scores the distinct columns it gives; a title row scores 0 or 1."""
    assert score(["Nom", "Prénom", "Sexe", "Remarque", ""], {}) == 3
    assert score(["Résultats de la session de juin 2024"], {}) == 0
    assert score(["Nom", "Nom de famille"], {}) == 1

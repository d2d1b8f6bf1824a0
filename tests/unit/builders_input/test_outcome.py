"""The jury outcome table and spotting an unmapped outcome column (outcome.py)."""

from __future__ import annotations

import pytest

from builders.exports.normalize import CellError
from builders.exports.outcome import outcome_column, parse_outcome


@pytest.mark.parametrize(
    "value",
    ["Admis", "ADMIS(E)", "admise", "Reçu(e)", "recue", "Oui", "O", "x", "1", "true", "VRAI"],
)
def test_parse_outcome_admitted(value):
    """Every spelling of admitted reads True."""
    assert parse_outcome(value) is True


@pytest.mark.parametrize(
    "value",
    ["Ajourné(e)", "AJOURNEE", "Non", "Absent(e)", "Refusé(e)", "Éliminé(e)", "0", "false", "FAUX"],
)
def test_parse_outcome_not_admitted(value):
    """Every spelling of not admitted reads False (the row is skipped)."""
    assert parse_outcome(value) is False


@pytest.mark.parametrize("value", ["En attente", "15/20", "Admissible", "?"])
def test_parse_outcome_other_values_list_the_accepted_ones(value):
    """Anything else is an error whose message lists the accepted values."""
    with pytest.raises(CellError, match=r"expected an outcome: Admis, .* Ajourné\(e\)"):
        parse_outcome(value)


def test_outcome_column_by_name_or_by_telling_values():
    """A column is an outcome by its name (with outcome values) or by telling values."""
    headers = ["Remarque", "Handicap", "Statut"]
    rows = [["ok", "Oui", "Oui"], ["", "Non", "Non"]]
    assert outcome_column(headers, rows) == "Statut"
    assert outcome_column(["Remarque", "Décision finale"], [["a", "Admis"], ["b", "Ajourné"]]) == (
        "Décision finale"
    )


def test_outcome_column_leaves_other_columns_alone():
    """Oui/Non under an unrelated name, or a status that is not an outcome, is not flagged."""
    assert outcome_column(["Handicap"], [["Oui"], ["Non"]]) is None
    assert outcome_column(["Statut"], [["Salarié"], ["Demandeur d'emploi"]]) is None
    assert outcome_column(["Session"], [["Admis"], ["Juin 2024"]]) is None

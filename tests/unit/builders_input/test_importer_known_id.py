"""What import_file still tells of a bad row: its idTechnique (when reliable), emitter, code."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from builders.cdc.idtech import PREFIX

from .helpers import base_row, error_fields, import_one, import_rows

NO_ID_COLUMN = [name for name in base_row() if name != "idTechnique"]


def test_row_result_bad_row_carries_the_id_cell(tmp_path: Path) -> None:
    """With the idTechnique column, a bad row carries its id, emitter, code and delivery date."""
    result = import_one(tmp_path, base_row(idTechnique=" X-42 ", sexe="X"))
    assert result.record is None and error_fields(result) == {"sexe"}
    assert result.id_technique == "X-42"
    assert result.emitter == "12ABC345"
    assert result.certification_code == "RNCP34567"
    assert result.delivery_date == dt.date(2024, 6, 28)


def test_row_result_valid_row_carries_its_record_id(tmp_path: Path) -> None:
    """A valid row's id_technique and emitter are its record's."""
    result = import_one(tmp_path, base_row())
    assert result.record is not None
    assert result.id_technique == result.record.passage.idTechnique == "2024-RNCP34567-0001"
    assert result.emitter == result.record.declaration.idClientEmetteur


@pytest.mark.parametrize(
    "cell",
    ["", "I" * 256, "bad\x01id"],
    ids=["empty", "too-long", "control-char"],
)
def test_row_result_bad_id_cell_gives_no_id(tmp_path: Path, cell: str) -> None:
    """An empty, too long or unreadable idTechnique cell gives no id."""
    result = import_one(tmp_path, base_row(idTechnique=cell))
    assert "idTechnique" in error_fields(result)
    assert result.id_technique is None


def test_row_result_derived_id_for_a_bad_row(tmp_path: Path) -> None:
    """Without the column, a bad row whose identity is valid gets the id its fix will get."""
    (bad,) = import_rows(
        tmp_path, [base_row(sexe="F", mentionValidee="Génial")], headers=NO_ID_COLUMN
    )
    assert bad.record is None and error_fields(bad) == {"mentionValidee"}
    (fixed,) = import_rows(tmp_path, [base_row(sexe="F")], headers=NO_ID_COLUMN)
    assert fixed.record is not None
    assert bad.id_technique is not None and bad.id_technique.startswith(PREFIX)
    assert bad.id_technique == fixed.record.passage.idTechnique


@pytest.mark.parametrize(
    "changes",
    [
        {"nomNaissance": "N" * 61},
        {"anneeNaissance": "19x0"},
        {"jourNaissance": "31", "moisNaissance": "2"},
        {"dateDebutValidite": "hier"},
        {"code": ""},
        {"sexe": "X"},
    ],
    ids=["name", "year", "calendar", "validity", "no-code", "sex"],
)
def test_row_result_no_derived_id_when_identity_is_bad(
    tmp_path: Path, changes: dict[str, str]
) -> None:
    """Without the column, an error in a field the derivation uses gives no id."""
    (result,) = import_rows(tmp_path, [base_row(**changes)], headers=NO_ID_COLUMN)
    assert result.record is None
    assert result.id_technique is None


def test_row_result_bad_emitter_gives_no_emitter(tmp_path: Path) -> None:
    """A bad idClientEmetteur cell leaves ``emitter`` unknown (the id is still known)."""
    result = import_one(tmp_path, base_row(idClientEmetteur="TOO-LONG-BCR"))
    assert "idClientEmetteur" in error_fields(result)
    assert result.emitter is None
    assert result.id_technique == "2024-RNCP34567-0001"


@pytest.mark.parametrize("derived", [False, True], ids=["column", "derived"])
def test_row_result_duplicate_row_gives_no_id(tmp_path: Path, derived: bool) -> None:
    """A row repeating an earlier row's id gives no id: it must not touch that passage."""
    rows = [base_row(), base_row(nomNaissance="Autre" if not derived else "MARTIN")]
    headers = NO_ID_COLUMN if derived else None
    first, second = import_rows(tmp_path, rows, headers=headers)
    assert first.record is not None and first.id_technique is not None
    assert error_fields(second) == {"idTechnique"}
    assert second.id_technique is None

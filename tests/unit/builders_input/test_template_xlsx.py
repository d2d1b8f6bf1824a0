"""The XLSX template: CDC names, French labels under them, drop-downs, and it imports."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from agent.cli import cli
from builders.exports.columns import CANONICAL
from builders.exports.importer import import_file
from builders.exports.template_xlsx import CHOICES, DATES, LABELS, write_template_xlsx
from builders.settings import BuildSettings, Declarant


def _validations(path: Path) -> dict[str, tuple[str, str | None]]:
    """Column name -> (validation type, formula1) of the template's first sheet."""
    book = load_workbook(path)
    sheet = book["accrochage"]
    header = [cell.value for cell in sheet[1]]
    found: dict[str, tuple[str, str | None]] = {}
    for rule in sheet.data_validations.dataValidation:
        for cells in rule.sqref.ranges:
            found[header[cells.min_col - 1]] = (rule.type, rule.formula1)
    return found


def test_template_xlsx_names_labels_and_drop_downs(tmp_path: Path) -> None:
    """Row 1 CDC names, row 2 French labels, a list for each enumeration, date checks."""
    path = tmp_path / "modele.xlsx"
    write_template_xlsx(path)
    assert path.stat().st_mode & 0o077 == 0
    book = load_workbook(path)
    sheet = book["accrochage"]
    assert [cell.value for cell in sheet[1]] == list(CANONICAL)
    assert [cell.value for cell in sheet[2]] == [LABELS[name] for name in CANONICAL]
    assert book["listes"].sheet_state == "hidden"
    rules = _validations(path)
    assert set(CHOICES) | set(DATES) <= set(rules)
    kind, source = rules["sexe"]
    assert kind == "list"
    assert source is not None
    column = source.split("!")[1].split(":")[0].replace("$", "").rstrip("0123456789")
    listed = [row[0].value for row in book["listes"][f"{column}1:{column}2"]]
    assert listed == ["M", "F"]
    assert rules["dateDebutValidite"] == ("date", "DATE(1900,1,1)")
    assert rules["admis"][0] == "list"
    assert isinstance(sheet["P3"].value, dt.datetime)  # dateDebutValidite: a real date cell
    assert sheet["P3"].number_format == "DD/MM/YYYY"


def test_template_xlsx_imports_skipping_its_label_row(tmp_path: Path) -> None:
    """The template imports as one valid record; its French label row is not a data row."""
    path = tmp_path / "modele.xlsx"
    write_template_xlsx(path)
    results = list(import_file(path, declarant=Declarant(), settings=BuildSettings()))
    assert [(r.row, r.errors) for r in results] == [(3, ())]
    record = results[0].record
    assert record is not None
    assert record.passage.dateDebutValidite == dt.date(2024, 6, 28)


def test_cli_template_xlsx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`accrochage template --xlsx` writes modele-accrochage.xlsx by default."""
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["template", "--xlsx"])
    assert result.exit_code == 0, result.output
    assert result.output == "wrote modele-accrochage.xlsx\n"
    sheet = load_workbook(tmp_path / "modele-accrochage.xlsx")["accrochage"]
    assert sheet["A2"].value == "BCR de l'émetteur"

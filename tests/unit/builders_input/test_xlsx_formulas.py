"""XLSX formulas without a stored value (issue 10): a row error saying so, never an empty cell.

openpyxl writes formulas without computing them (``<f>..</f><v></v>``), exactly what a file
written by a program and never saved by a spreadsheet holds; with ``data_only=True`` such a
cell reads as None, like an empty one. The sheet's XML says which is which.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter

from builders.exports import xlsxscan
from builders.exports.importer import import_file
from builders.exports.rowshape import FORMULA_CELL
from builders.flux.build import build
from builders.settings import BuildSettings

from .helpers import DECLARANT, base_row

SHEET = "xl/worksheets/sheet1.xml"


def _workbook(rows: list[list[object]], headers: list[str]) -> Workbook:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    return workbook


def _import(path: Path):
    return list(import_file(path, declarant=DECLARANT, settings=BuildSettings()))


def _rows_with_formulas() -> tuple[list[str], list[list[object]]]:
    headers = [*base_row(), "Remarque"]
    good = [*base_row(idTechnique="A1").values(), "ok"]
    computed_date = [*base_row(idTechnique="A2").values(), "ok"]
    computed_date[headers.index("dateDebutValidite")] = "=DATE(2024,6,28)"
    computed_name = [*base_row(idTechnique="A3").values(), '=A2&" "&B2']  # unused column
    two = [*base_row(idTechnique="A4").values(), "ok"]
    two[headers.index("sexe")] = '=IF(A5="","M","F")'
    two[headers.index("prenom1")] = "=PROPER(C5)"
    totals: list[object] = [""] * len(headers)
    totals[headers.index("nomNaissance")] = "Total"
    totals[headers.index("anneeNaissance")] = "=COUNTA(A2:A5)"
    only_formulas: list[object] = [""] * len(headers)
    only_formulas[headers.index("anneeNaissance")] = "=SUM(B2:B6)"
    only_formulas[headers.index("idTechnique")] = "=COUNT(B2:B6)"
    return headers, [good, computed_date, computed_name, two, totals, only_formulas]


def test_formula_without_value_is_a_row_error_per_used_column(tmp_path):
    """Each used cell holding a formula without a value gets the message; an unused one none."""
    headers, rows = _rows_with_formulas()
    path = tmp_path / "export.xlsx"
    _workbook(rows, headers).save(path)
    results = _import(path)
    assert [r.row for r in results] == [2, 3, 4, 5, 6, 7]
    good, date, name, two = results[:4]
    assert good.record is not None and not good.errors
    assert name.record is not None and not name.errors  # the formula is in 'Remarque'
    assert [(e.field, e.value, e.message) for e in date.errors] == [
        ("dateDebutValidite", "=DATE(2024,6,28)", FORMULA_CELL)
    ]
    assert FORMULA_CELL == "formula without a stored value: open and save the file in Excel"
    assert sorted((e.field, e.value) for e in two.errors) == [
        ("prenom1", "=PROPER(C5)"),
        ("sexe", '=IF(A5="","M","F")'),
    ]
    assert {e.message for e in two.errors} == {FORMULA_CELL}


def test_totals_row_of_formulas_is_one_row_message(tmp_path):
    """A totals row ('Total' and a formula) and a row of formulas only: one message each."""
    headers, rows = _rows_with_formulas()
    path = tmp_path / "export.xlsx"
    _workbook(rows, headers).save(path)
    totals, only = _import(path)[4:]
    assert [(e.field, e.value) for e in totals.errors] == [("row", "Total")]
    assert totals.errors[0].message.startswith("looks like a totals row, not a candidate")
    assert [(e.field, e.value) for e in only.errors] == [("row", "=COUNT(B2:B6)")]
    assert only.errors[0].message.startswith("formulas without stored values only")


def _with_stored_values(path: Path, values: dict[str, bytes]) -> None:
    """Rewrite ``path`` as a spreadsheet that computed and stored its formulas would."""
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    sheet = parts[SHEET]
    for reference, cell in values.items():
        sheet, count = re.subn(rb'<c r="' + reference.encode() + rb'"[^>]*>.*?</c>', cell, sheet)
        assert count == 1
    parts[SHEET] = sheet
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def test_formula_with_stored_value_reads_its_value(tmp_path):
    """The same formulas once a spreadsheet stored their values (an empty text included)."""
    headers = [*base_row(), "Remarque"]
    row = [*base_row(idTechnique="A1").values(), '=""']
    sexe = get_column_letter(headers.index("sexe") + 1)
    row[headers.index("sexe")] = '=IF(TRUE,"M","F")'
    path = tmp_path / "export.xlsx"
    _workbook([row], headers).save(path)
    assert _import(path)[0].errors  # not computed yet
    remark = get_column_letter(len(headers))
    _with_stored_values(
        path,
        {
            f"{sexe}2": f'<c r="{sexe}2" t="str"><f>IF(TRUE,"M","F")</f><v>M</v></c>'.encode(),
            f"{remark}2": f'<c r="{remark}2" t="str"><f>""</f><v></v></c>'.encode(),
        },
    )
    [result] = _import(path)
    assert not result.errors
    assert result.record is not None
    assert result.record.passage.identificationTitulaire.titulaire.sexe == "M"


@pytest.mark.parametrize("scan_bytes", [5, 97, 1 << 20])
def test_formula_cells_found_whatever_the_scan_block(tmp_path, monkeypatch, scan_bytes):
    """Cells are found even when one straddles two read blocks; rows above the header not."""
    monkeypatch.setattr(xlsxscan, "SCAN_BYTES", scan_bytes)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["=NOW()"])  # row 1: above the header
    sheet.append(["a", "b", "c"])
    for number in range(3, 40):
        sheet.append([f"=ROW()*{number}" if number % 7 == 0 else "x", "y", "=A1" * (number == 9)])
    path = tmp_path / "f.xlsx"
    workbook.save(path)
    opened = load_workbook(path, read_only=True)
    try:
        found = xlsxscan.formula_cells(opened, opened.active, 2)
    finally:
        opened.close()
    expected = {number: {0: f"ROW()*{number}"} for number in (7, 14, 21, 28, 35)}
    expected[9] = {2: "A1"}
    assert found == expected


def test_build_rejects_the_formula_rows_and_declares_the_others(tmp_path, shared_cdc):
    """Through ``build``: the good rows are declared, each formula row is rejected once."""
    headers, rows = _rows_with_formulas()
    path = tmp_path / "export.xlsx"
    _workbook(rows, headers).save(path)
    result = build(
        [path],
        tmp_path / "out",
        settings=BuildSettings(),
        declarant=DECLARANT,
        data_dir=tmp_path / "data",
    )
    assert (result.valid, result.rejected) == (2, 4)
    assert sorted({e.row for e in result.errors}) == [3, 5, 6, 7]
    assert [e.field for e in result.errors if e.row == 3] == ["dateDebutValidite"]
    schema = etree.XMLSchema(etree.parse(str(shared_cdc / "cdc-certifications-1.1.5.xsd")))
    [built] = result.files
    tree = etree.parse(str(built.path))
    assert schema.validate(tree)
    ns = {"cpf": "urn:cdc:cpf:pc5:schema:1.0.0"}
    assert tree.xpath("//cpf:idTechnique/text()", namespaces=ns) == ["A1", "A3"]

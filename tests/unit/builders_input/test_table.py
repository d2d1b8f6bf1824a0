"""Opening an export as a table: defaults, code tables, refusals (table.py)."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from builders.errors import BuildError
from builders.exports.formats import open_sheet
from builders.exports.table import inspect_table, locator, open_table
from builders.settings import BuildSettings

from .helpers import base_row, import_rows, write_csv


def _rows(path: Path, settings: BuildSettings) -> tuple[tuple[str, ...], list[list[str]]]:
    with open_table(path, settings) as table:
        index = [table.headers.index(table.columns[name]) for name in ("sexe", "donneeCertifiee")]
        return table.headers, [[cells[i] for i in index] for _, cells in table.rows]


def test_defaults_fill_empty_cells_and_add_missing_columns(tmp_path):
    """A default fills the column's empty cells only, or stands for a column the file lacks."""
    rows = [base_row(sexe=""), base_row(sexe="M")]
    path = write_csv(
        tmp_path / "e.csv", [{k: v for k, v in r.items() if k != "donneeCertifiee"} for r in rows]
    )
    settings = BuildSettings(defaults={"sexe": "F", "donneeCertifiee": True})
    headers, cells = _rows(path, settings)
    assert headers[-1] == "[build.defaults] donneeCertifiee"
    assert cells == [["F", "true"], ["M", "true"]]


def test_values_translate_local_codes_before_reading(tmp_path):
    """A [build.values.FIELD] table maps local codes (any case, accents) to field values."""
    rows = [base_row(idTechnique="1", sexe="Mme"), base_row(idTechnique="2", sexe="mr")]
    results = import_rows(
        tmp_path, rows, settings=BuildSettings(values={"sexe": {"MME": "F", "Mr": "M"}})
    )
    sexes = [r.record.passage.identificationTitulaire.titulaire.sexe for r in results]
    assert sexes == ["F", "M"]


@pytest.mark.parametrize(
    ("settings", "reason"),
    [
        (
            BuildSettings(defaults={"idTechnique": "X"}),
            r"\[build.defaults\] cannot set idTechnique",
        ),
        (BuildSettings(defaults={"admis": "oui"}), "all_rows_admitted = true"),
        (BuildSettings(defaults={"sexe": "Z"}), r"\[build.defaults\] sexe = 'Z': expected one of"),
        (BuildSettings(values={"sex": {"a": "M"}}), r"\[build.values\] names 'sex'"),
    ],
)
def test_bad_config_tables_refuse_the_file(tmp_path, settings, reason):
    """A default or code table that cannot work is one clear error for the file."""
    path = write_csv(tmp_path / "e.csv", [base_row()])
    with pytest.raises(BuildError, match=reason):
        inspect_table(path, settings)


def test_outcome_column_refusal_and_its_two_fixes(tmp_path):
    """An unmapped outcome column refuses the file; mapping it or all_rows_admitted accepts it."""
    rows = [
        {**{k: v for k, v in base_row().items() if k != "admis"}, "Statut": value}
        for value in ("Admis", "Ajourné")
    ]
    path = write_csv(tmp_path / "e.csv", rows)
    with pytest.raises(
        BuildError, match=r"'Statut' looks like the jury outcome \(values Admis, Ajourné\)"
    ):
        inspect_table(path, BuildSettings())
    info, _ = inspect_table(path, BuildSettings(columns={"Statut": "admis"}))
    assert info.columns["admis"] == "Statut"
    info, notices = inspect_table(path, BuildSettings(all_rows_admitted=True))
    assert "admis" not in info.columns
    assert "'Statut'" in notices[0].message


def test_utf16_tab_text_with_header_below_a_title(tmp_path):
    """Excel's "Texte Unicode" (UTF-16, BOM, tabs) with a title row reads like any CSV."""
    row = base_row()
    text = "Export du 01/07/2024\r\n" + "\t".join(row) + "\r\n" + "\t".join(row.values()) + "\r\n"
    path = tmp_path / "export.txt"
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    with open_table(path, BuildSettings()) as table:
        assert table.sheet.header_row == 2
        ((number, cells),) = list(table.rows)
    assert number == 3
    assert cells[table.headers.index("nomNaissance")] == row["nomNaissance"]


def test_multiline_quoted_header_cell_is_found(tmp_path):
    """A header cell with a line break (Alt+Enter in Excel) does not hide the header row."""
    path = tmp_path / "export.csv"
    path.write_text(
        'Titre;;\r\n"Nom de\nnaissance";"Prénom";Sexe\r\nMartin;Léa;F\r\n', encoding="utf-8"
    )
    with open_sheet(path, locate=locator(BuildSettings(), str(path))) as sheet:
        assert (sheet.header_row, sheet.headers) == (2, ("Nom de\nnaissance", "Prénom", "Sexe"))
        assert list(sheet.rows) == [(3, ["Martin", "Léa", "F"])]


@pytest.mark.parametrize("scan_bytes", [7, 64, 1 << 20])
def test_hidden_rows_found_whatever_the_scan_block(tmp_path, monkeypatch, scan_bytes):
    """Hidden rows are found even when a <row> tag straddles two read blocks."""
    from openpyxl import Workbook

    from builders.exports import xlsxscan

    monkeypatch.setattr(xlsxscan, "SCAN_BYTES", scan_bytes)
    row = base_row()
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Titre"])
    sheet.append(list(row))
    for number in range(40):
        sheet.append([*base_row(idTechnique=str(number)).values()])
    hidden = [1, 5, 6, 17, 42]  # row 1 is above the header: not a data row
    for number in hidden:
        sheet.row_dimensions[number].hidden = True
    path = tmp_path / "e.xlsx"
    workbook.save(path)
    info, notices = inspect_table(path, BuildSettings())
    assert info.hidden == (5, 6, 17, 42)
    assert notices[-1].row == 5

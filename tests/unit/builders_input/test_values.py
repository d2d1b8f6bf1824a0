"""Values as spreadsheets write them: dates, number artifacts in codes, names, civilités."""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builders.cdc import models
from builders.exports import codes, names
from builders.exports.cellerror import CellError
from builders.exports.dates import excel_serial, parse_birth_date, parse_date
from builders.exports.normalize import enum_converter, parse_int

from .helpers import base_row, error_fields, import_one, import_rows

EVENT_DATES = st.dates(dt.date(2000, 1, 1), dt.date(2099, 12, 31))


def _written_forms(date: dt.date) -> list[str]:
    """Every way a spreadsheet or an operator may write ``date`` in a cell."""
    d, m, y = date.day, date.month, date.year
    forms = [
        f"{d:02d}/{m:02d}/{y}",
        f"{d}/{m}/{y}",
        f"{d:02d}-{m:02d}-{y}",
        f"{d:02d}.{m:02d}.{y}",
        date.isoformat(),
        f"{y}/{m:02d}/{d:02d}",
        f"{date.isoformat()}T23:59:59+02:00",
        f"{date.isoformat()}T08:15:00.000Z",
        f"{date.isoformat()} 10:30:00",
        f"{d:02d}/{m:02d}/{y} 10:30",
    ]
    if y >= 2000:
        forms.append(f"{d:02d}/{m:02d}/{y % 100:02d}")
    serial = (date - dt.date(1899, 12, 30)).days
    if serial >= 10000:
        forms += [str(serial), f"{serial}.5", f"{serial},25"]
    return forms


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dates(dt.date(1900, 3, 1), dt.date(2099, 12, 31)))
def test_parse_date_every_written_form_is_the_same_day(date: dt.date) -> None:
    """Property: any form the readers accept gives back the same calendar day."""
    for form in _written_forms(date):
        assert parse_date(form) == date, form


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet="0123456789/-.T: +Z", max_size=24))
def test_parse_date_accepts_only_real_days(raw: str) -> None:
    """Property: whatever text is given, an accepted date is real and its digits are in it."""
    try:
        date = parse_date(raw)
    except CellError as exc:
        assert str(exc)
        return
    assert models.MIN_DATE <= date <= models.MAX_DATE
    digits = re.sub(r"\D", "", raw)
    assert str(date.day) in digits or f"{date.day:02d}" in digits or len(digits) >= 5


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("31/04/2024", r"^not a real calendar date \(April 2024 has 30 days\)$"),
        ("29/02/2023", r"February 2023 has 28 days"),
        ("15/13/2024", r"no month 13: dates are read day first"),
        ("2024-00-10", r"^there is no month 0$"),
        ("31/12/1899", r"1899 is outside 1900-2099"),
        ("99999", r"after 2099"),
        ("le 3 mars", r"expected a date as DD/MM/YYYY"),
        ("2024.06.28", r"expected a date as DD/MM/YYYY"),
        ("28/06-2024", r"expected a date as DD/MM/YYYY"),
    ],
)
def test_parse_date_one_clear_message(raw: str, message: str) -> None:
    """An impossible or unreadable date gets one message saying what is wrong."""
    with pytest.raises(CellError, match=message):
        parse_date(raw)


def test_excel_serial_matches_excel() -> None:
    """Excel's 1900 system: 45471 is 28/06/2024, 61 is 01/03/1900, 73050 is 31/12/2099."""
    assert excel_serial(45471) == dt.date(2024, 6, 28)
    assert excel_serial(61) == dt.date(1900, 3, 1)
    assert excel_serial(73050) == dt.date(2099, 12, 31)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("17.04.1990", (1990, 4, 17)),
        ("17-04-1990", (1990, 4, 17)),
        ("1990/04/17", (1990, 4, 17)),
        ("1990-04-17T00:00:00", (1990, 4, 17)),
        ("32980", (1990, 4, 17)),
        ("1990.0", (1990, None, None)),
        ("04.1990", (1990, 4, None)),
    ],
)
def test_parse_birth_date_spreadsheet_forms(
    raw: str, expected: tuple[int, int | None, int | None]
) -> None:
    """Birth dates in the same forms, an Excel serial and a year written 1990.0."""
    assert parse_birth_date(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("17/04/90", r"write the year with 4 digits \(1990\?\)"),
        ("17/04/05", r"write the year with 4 digits \(1905 or 2005\?\)"),
        ("31/04/1990", r"^not a real calendar date \(April 1990 has 30 days\)$"),
        ("13/1990", r"no month 13"),
        ("né en avril", r"expected a birth date"),
    ],
)
def test_parse_birth_date_refuses_with_reason(raw: str, message: str) -> None:
    """A 2-digit birth year is ambiguous; an impossible birth date says why, once."""
    with pytest.raises(CellError, match=message):
        parse_birth_date(raw)


def test_impossible_birth_date_is_one_row_error(tmp_path: Path) -> None:
    """31/04 in dateNaissance: one error on dateNaissance, not one more on anneeNaissance."""
    row = base_row(
        anneeNaissance="", moisNaissance="", jourNaissance="", dateNaissance="31/04/1990"
    )
    result = import_one(tmp_path, row)
    assert [(e.field, e.message) for e in result.errors] == [
        ("dateNaissance", "not a real calendar date (April 1990 has 30 days)")
    ]


def test_impossible_certification_date_is_one_row_error(tmp_path: Path) -> None:
    """31/04 in dateDebutValidite: one error, on that field."""
    result = import_one(tmp_path, base_row(dateDebutValidite="31/04/2024"))
    assert [(e.field, e.value) for e in result.errors] == [("dateDebutValidite", "31/04/2024")]


@pytest.mark.parametrize(
    ("convert", "raw", "expected"),
    [
        (codes.parse_insee, "69123.0", "69123"),
        (codes.parse_insee, "1053", "01053"),
        (codes.parse_insee, "1053.0", "01053"),
        (codes.parse_insee, "1053,00", "01053"),
        (codes.parse_insee, "2a004", "2A004"),
        (codes.parse_insee, "69 123", "69123"),
        (codes.parse_postal, "6000", "06000"),
        (codes.parse_postal, "6000.0", "06000"),
        (codes.parse_postal, "1000", "01000"),
        (codes.parse_postal, "75\u00a0015", "75015"),
        (codes.parse_postal, "SW1A 1AA", "SW1A 1AA"),
        (codes.parse_identifier, "123456789.0", "123456789"),
        (codes.parse_certification_code, "RNCP 34 567", "RNCP34567"),
        (codes.parse_certification_code, "rncp-34567", "RNCP34567"),
        (codes.parse_certification_code, "34567.0", "34567"),
        (codes.parse_certification_code, "Rs 5875", "RS5875"),
        (codes.parse_certification_code, "DU-2024-A", "DU-2024-A"),
        (parse_int, "1997.0", 1997),
    ],
)
def test_code_artifacts_fixed_when_certain(convert: object, raw: str, expected: object) -> None:
    """A `.0`, digit groups and one dropped leading zero are fixed; other codes are kept."""
    assert convert(raw) == expected  # type: ignore[operator]


@pytest.mark.parametrize(
    "convert",
    [
        codes.parse_insee,
        codes.parse_postal,
        codes.parse_identifier,
        codes.parse_certification_code,
        codes.refuse_scientific,
    ],
)
@pytest.mark.parametrize("raw", ["1,23457E+11", "6.9123E+4", "1E10"])
def test_scientific_notation_refused_naming_the_artifact(convert: object, raw: str) -> None:
    """Scientific notation has lost digits: refused, saying so and how to export again."""
    with pytest.raises(CellError, match="scientific notation: its digits are lost; format"):
        convert(raw)  # type: ignore[operator]


_CODE_TEXT = st.text(alphabet="0123456789.,E+ \u00a0", min_size=1, max_size=14).map(str.strip)


@settings(deadline=None)
@given(_CODE_TEXT.filter(bool))
def test_code_fixes_only_add_zeros_or_drop_a_decimal_zero(raw: str) -> None:
    """Property: a fixed code is the cell's digits (without a `.0`), after added zeros only."""
    for convert in (codes.parse_insee, codes.parse_postal, codes.parse_identifier):
        try:
            fixed = convert(raw)
        except CellError:
            continue
        if fixed == raw:
            continue
        digits = re.sub(r"[.,]0+$", "", raw)
        digits = re.sub(r"[ \u00a0]", "", digits)
        assert fixed.lstrip("0") == digits.lstrip("0"), (convert, raw, fixed)
        assert fixed.endswith(digits)
        assert "." not in fixed
        assert "," not in fixed


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Martin", "Martin"),
        ("Jean\u00a0Pierre", "Jean Pierre"),
        ("Jean\tPierre", "Jean Pierre"),
        ("Jean   Pierre", "Jean Pierre"),
        ("\u200bMartin\u200d", "Martin"),
        ("Marie\u202fClaire", "Marie Claire"),
        ("Lefèvre-Dupont", "Lefèvre-Dupont"),
        ("N’Diaye", "N’Diaye"),
        ("Łukasz", "Łukasz"),
    ],
)
def test_parse_name_cleans_spaces(raw: str, expected: str) -> None:
    """NBSP, tabs, space runs become one space; invisible characters are removed."""
    assert names.parse_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("Mart1n", r"cannot contain digits \('1' at position 5\)"),
        ("Dupont 😀", "cannot contain symbols or emoji"),
        ("Dupont ✓", "cannot contain symbols or emoji"),
        ("Du\x07pont", "control character U\\+0007 at position 3"),
        ("\u200b", "only invisible characters"),
    ],
)
def test_parse_name_refuses_digits_emoji_controls(raw: str, message: str) -> None:
    """Digits, symbols, emoji and control characters in a name are row errors."""
    with pytest.raises(CellError, match=message):
        names.parse_name(raw)


def test_parse_label_keeps_digits() -> None:
    """A commune label may hold digits (arrondissements); its spaces are cleaned."""
    assert names.parse_label("Marseille\u00a0 13e") == "Marseille 13e"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Mme", "F"),
        ("Mme.", "F"),
        ("Madame", "F"),
        ("Mlle", "F"),
        ("MADEMOISELLE", "F"),
        ("M.", "M"),
        ("M", "M"),
        ("Mr", "M"),
        ("monsieur", "M"),
    ],
)
def test_civilite_labels_give_sexe(raw: str, expected: str) -> None:
    """French civilités read as the holder's sexe."""
    assert enum_converter(models.Sexe)(raw) == expected


def test_import_values_as_excel_wrote_them(tmp_path: Path) -> None:
    """A row as a spreadsheet wrote it imports clean, with the fixed values."""
    row = base_row(
        code="34567.0",
        codeInsee="1053.0",
        codePostalCentreExamen="6000",
        dateDebutValidite="2024-06-28 14:30:00",
        dateDebutExamen="45446",
        dateFinExamen="05.06.2024",
        sexe="Mme",
        nomNaissance="Martin\u00a0 Dupont",
        prenom1="\u200bÉlodie\t",
        anneeNaissance="1990.0",
    )
    result = import_one(tmp_path, row)
    assert result.errors == ()
    assert result.record is not None
    passage = result.record.passage
    holder = passage.identificationTitulaire.titulaire
    assert holder is not None
    assert result.record.certification.code == "RNCP34567"
    assert (holder.codeInsee, passage.codePostalCentreExamen) == ("01053", "06000")
    assert passage.dateDebutValidite == dt.date(2024, 6, 28)
    assert passage.dateDebutExamen == dt.date(2024, 6, 3)
    assert passage.dateFinExamen == dt.date(2024, 6, 5)
    assert (holder.sexe, holder.nomNaissance, holder.prenom1) == ("F", "Martin Dupont", "Élodie")
    assert holder.anneeNaissance == 1990


def test_bare_code_prefixed_by_its_type(tmp_path: Path) -> None:
    """`1710` with type RS is RS1710."""
    result = import_one(tmp_path, base_row(type="RS", code="1710"))
    assert result.record is not None
    assert result.record.certification.code == "RS1710"


def test_bare_code_without_type_blames_the_code_column(tmp_path: Path) -> None:
    """A bare code and no type: one message about the code column, none about type."""
    row = base_row(code="34567")
    del row["type"]
    result = import_one(tmp_path, row)
    assert error_fields(result) == {"code"}
    assert "starts with RNCP or RS (e.g. RNCP34567 or RS34567)" in result.errors[0].message


def test_scientific_code_is_a_row_error_and_good_rows_go_on(tmp_path: Path) -> None:
    """A code Excel wrote as 1,23457E+11 fails its row only; never written as is."""
    results = import_rows(
        tmp_path,
        [
            base_row(idTechnique="A1", codePostalCentreExamen="6,9123E+4"),
            base_row(idTechnique="A2"),
        ],
    )
    assert error_fields(results[0]) == {"codePostalCentreExamen"}
    assert results[1].record is not None


@pytest.mark.parametrize(
    ("field", "raw"),
    [("nomNaissance", "Mart1n"), ("prenom1", "Élodie 🎓"), ("nomUsage", "Du\x01pont")],
)
def test_bad_name_is_one_row_error(tmp_path: Path, field: str, raw: str) -> None:
    """A digit, emoji or control character in a name: one error on that field."""
    result = import_one(tmp_path, base_row(**{field: raw}))
    assert error_fields(result) == {field}
    assert len(result.errors) == 1


def test_totals_row_is_one_message(tmp_path: Path) -> None:
    """A totals row under the table: one row message saying so, not one per field."""
    headers = list(base_row())
    total = dict.fromkeys(headers, "")
    total["nomNaissance"] = "Total : 2 candidats"
    total["scoring"] = "2"
    results = import_rows(
        tmp_path, [base_row(idTechnique="A1"), base_row(idTechnique="A2"), total], headers=headers
    )
    assert [r.record is not None for r in results] == [True, True, False]
    assert [(e.field, e.value) for e in results[2].errors] == [("row", "Total : 2 candidats")]
    assert results[2].errors[0].message.startswith("looks like a totals row, not a candidate")


def test_formula_without_value_is_one_message(tmp_path: Path) -> None:
    """A cell holding a formula's text (no stored value): one row message saying so."""
    result = import_one(tmp_path, base_row(dateDebutValidite="=DATE(2024;6;28)", sexe="=C2"))
    assert [(e.field, e.value) for e in result.errors] == [("row", "=DATE(2024;6;28)")]
    assert "a formula without its value" in result.errors[0].message


def test_name_like_total_in_a_full_row_is_not_a_totals_row(tmp_path: Path) -> None:
    """A holder named 'Nombre' in a full row keeps its own field errors."""
    result = import_one(tmp_path, base_row(nomNaissance="Nombre", sexe="X"))
    assert [e.field for e in result.errors] == ["sexe"]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(EVENT_DATES.filter(lambda d: d.year >= 2005), st.times()),
        min_size=1,
        max_size=6,
    )
)
def test_readers_keep_the_calendar_day(moments: list[tuple[dt.date, dt.time]]) -> None:
    """Property: a date cell (any time of day) or any text form reads as the same day."""
    from openpyxl import Workbook

    from builders.exports.importer import import_file
    from builders.settings import BuildSettings

    from .helpers import DECLARANT, write_csv

    headers = list(base_row(dateDebutExamen="", dateFinExamen=""))
    rows = []
    for day, time in moments:
        for form in [dt.datetime.combine(day, time), *_written_forms(day)]:
            cells = base_row(idTechnique=f"I{len(rows)}", dateDebutExamen="", dateFinExamen="")
            rows.append((day, form, cells))
    with tempfile.TemporaryDirectory() as folder:
        book = Workbook()
        sheet = book.active
        sheet.append(headers)
        for _, form, cells in rows:
            sheet.append([form if name == "dateDebutValidite" else cells[name] for name in headers])
        book.save(Path(folder) / "export.xlsx")
        text_rows = [
            {**c, "dateDebutExamen": "", "dateFinExamen": "", "dateDebutValidite": str(f)}
            for _, f, c in rows
            if isinstance(f, str)
        ]
        write_csv(Path(folder) / "export.csv", text_rows, headers=headers)
        found = []
        for name in ("export.xlsx", "export.csv"):
            found += [
                r.record.passage.dateDebutValidite if r.record else r.errors
                for r in import_file(
                    Path(folder) / name,
                    declarant=DECLARANT,
                    settings=BuildSettings(),
                    today=models.MAX_DATE,
                )
            ]
    expected = [day for day, _, _ in rows] + [day for day, form, _ in rows if isinstance(form, str)]
    assert found == expected
